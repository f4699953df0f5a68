"""The app's script (served by ``python -m ui.serve``, or ``streamlit run app.py``): the navigation, in French, over every page of app_pages/.

Declared with st.navigation so the home page reads « Accueil » instead of the script's name; the list
is still read from app_pages/ (sorted by their number prefix), so a new page needs no edit here. URL paths
stay those Streamlit infers from the file names (/Territoire, /Diagnostic…), the home page being /.
The folder is not named ``pages/``: Streamlit would auto-discover it too, and a fresh server whose first request is a
deep link (/Territoire) listed « app » above « Accueil » in the sidebar.
"""

from pathlib import Path

import streamlit as st

from ui import data_stack

HOME = "0_Accueil.py"
TERRITOIRE = "Territoire"  # the URL path Streamlit gives app_pages/1_Territoire.py
PAGES = Path(__file__).resolve().parent / "app_pages"

st.set_page_config(page_title="ptce-geo — diagnostic territorial", page_icon="🗺️", layout="wide")
page = st.navigation([st.Page(f"app_pages/{path.name}", default=path.name == HOME, title="Accueil" if path.name == HOME else None)
                      for path in sorted(PAGES.glob("[0-9]*_*.py"))])
if page.url_path != TERRITOIRE:  # that page sends a new session's first map before it loads the data stack (ui.first_map)
    data_stack.load()  # one thread at a time: ui.serve may be loading it in the background
page.run()
