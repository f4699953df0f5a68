"""Streamlit glue shared by app.py and app_pages/: cached loaders and session state (no computation)."""
