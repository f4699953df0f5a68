"""ptce-geo: territorial diagnostic for PTCE (library, no Streamlit)."""

__version__ = "0.1.0"
