"""Skips that would hide untested code become failures (a pytest plugin, loaded by ``tests/conftest.py``).

A skip tells the truth only when its reason is true:
- "real datasets absent" while ``../shared/data`` exists means a test looked in the wrong place: failure;
- on CI (``CI`` set to true, as ``.ci/run`` does), chromium and ``static/vendor/`` are installed, so a browser test
  skipped for want of them is a failure too.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

__all__ = ["SHARED", "REAL_DATA", "BROWSER_MISSING", "forbidden_skip", "on_ci", "pytest_runtest_makereport"]

SHARED = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
REAL_DATA = "real datasets absent"  # the start of every skip reason for want of ../shared/data
BROWSER_MISSING = ("chromium", "static/vendor/", "node_modules/axe-core")  # words of the browser suites' skip reasons


def on_ci(environ=os.environ) -> bool:
    return environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def forbidden_skip(reason: str, shared_present: bool, ci: bool) -> str | None:
    """Why a skip with ``reason`` must fail, or ``None`` when the skip may stand."""
    if shared_present and REAL_DATA in reason:
        return f"skipped for want of real data, but {SHARED} is present: the test looks in the wrong place"
    if ci and any(word in reason for word in BROWSER_MISSING):
        return "browser test skipped on CI, which installs chromium and static/vendor/ (.ci/run)"
    return None


def _reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[2]) if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = _reason(report)
        why = forbidden_skip(reason, SHARED.is_dir(), on_ci())
        if why:
            report.outcome = "failed"
            report.longrepr = f"{why}\n(skip reason: {reason})"
    return report
