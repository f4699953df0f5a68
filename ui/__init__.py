"""Streamlit glue shared by app.py and pages/: cached loaders and session state (no computation)."""
