"""Constants and helpers shared by the browser conftest and tests (one module, so one ``TIMINGS``)."""

from __future__ import annotations

from pathlib import Path

__all__ = ["ROOT", "ARTIFACTS", "CHROMIUM", "CHROMIUM_ARGS", "TIMINGS", "shot"]

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags chromium calls Google's hosts at start (refused offline).
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
TIMINGS: dict[str, float] = {}


def shot(page, name: str) -> None:
    """Full-page screenshot to ``artifacts/NAME.png``."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
