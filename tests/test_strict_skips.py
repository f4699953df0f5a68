"""The CI tells the truth: a skip whose reason is false fails (tests/strict_skips.py), in a real pytest run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.strict_skips import SHARED, forbidden_skip, on_ci

ROOT = Path(__file__).resolve().parents[1]


def test_the_rule_at_its_boundaries():
    real = f"real datasets absent: {SHARED}"
    assert forbidden_skip(real, shared_present=True, ci=False) is not None
    assert forbidden_skip(real, shared_present=False, ci=True) is None  # absent: the skip is true, even on CI
    browser = "/usr/bin/chromium absent (apt-get install chromium); static/vendor/ absent (npm ci)"
    assert forbidden_skip(browser, shared_present=False, ci=True) is not None
    assert forbidden_skip(browser, shared_present=True, ci=False) is None  # a laptop without chromium
    assert forbidden_skip("static/vendor/ absent (npm ci)", shared_present=False, ci=True) is not None
    assert forbidden_skip("needs Windows", shared_present=True, ci=True) is None  # other skips stand
    assert [on_ci({"CI": v}) for v in ("true", "1", "TRUE", "yes", "false", "0", "")] == [True] * 4 + [False] * 3
    assert on_ci({}) is False


def run_pytest(tmp_path: Path, reason: str, ci: bool) -> subprocess.CompletedProcess:
    """A one-test session skipped with ``reason``, run with the plugin (outside this repository's configuration)."""
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    (tmp_path / "test_one.py").write_text(f"import pytest\n\ndef test_one():\n    pytest.skip({reason!r})\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"} | {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"} | ({"CI": "true"} if ci else {})
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.strict_skips", "-p", "no:cacheprovider", "-rs", "-q",
                           "-c", str(tmp_path / "pytest.ini"), "--rootdir", str(tmp_path), str(tmp_path / "test_one.py")],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def test_a_browser_skip_fails_on_ci_only(tmp_path):
    reason = "/usr/bin/chromium absent (apt-get install --no-install-recommends chromium; .ci/run does it)"
    local = run_pytest(tmp_path, reason, ci=False)
    assert local.returncode == 0 and "1 skipped" in local.stdout and "chromium absent" in local.stdout  # -rs shows why
    ci = run_pytest(tmp_path, reason, ci=True)
    assert ci.returncode == 1 and "1 failed" in ci.stdout and "browser test skipped on CI" in ci.stdout


@pytest.mark.skipif(not SHARED.is_dir(), reason=f"{SHARED} absent: the rule cannot fire here")
def test_a_real_data_skip_fails_when_the_data_is_there(tmp_path):
    result = run_pytest(tmp_path, "real datasets absent: /ailleurs/shared/data", ci=False)
    assert result.returncode == 1 and "1 failed" in result.stdout and "is present" in result.stdout
