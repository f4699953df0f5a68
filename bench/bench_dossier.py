"""Benchmark: the diagnostic dossier (HTML, then PDF) for one EPCI, a 300-commune territory and a whole région.

Timed separately: the diagnostic (``build_territory`` + ``diagnose``), the HTML (``build_html``: maps,
charts, template) and the PDF (``html_to_pdf``, WeasyPrint); with the HTML size and the PDF page
count. CPU time is printed next to wall time: on a shared machine the wall time says more about the
neighbours than about the code. Target: a 300-commune dossier « in a few seconds ».

    python bench/bench_dossier.py [--data-dir DIR] [--runs 1] [--out DIR]

Territories (real indicators are needed for the full dossier: ``python -m ptce_geo data import ...``):
one EPCI (CA du Bassin de Bourg-en-Bresse, 74 communes), the most populated EPCI of the Ain added until
300 communes at least, and every commune of the Auvergne-Rhône-Alpes région.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_geo.diagnostic import diagnose  # noqa: E402
from ptce_geo.dossier import build_html, html_to_pdf  # noqa: E402
from ptce_geo.reference import Reference, load_reference  # noqa: E402
from ptce_geo.territory import TerritoryDefinition, build_territory  # noqa: E402

__all__ = ["main", "territories"]

BOURG = "200071751"
TARGET_300_S = 5.0  # HTML + PDF of a 300-commune territory, CPU seconds


def territories(ref: Reference) -> dict[str, TerritoryDefinition]:
    """One EPCI, ~300 communes (whole EPCI of the Ain, largest first), a whole région (84)."""
    ain = ref.communes[ref.communes["code_dep"] == "01"]
    sizes = ain.groupby("code_epci")["population"].sum().sort_values(ascending=False)
    chosen, count = [], 0
    for code in sizes.index:
        chosen.append(code)
        count += int((ref.communes["code_epci"] == code).sum())
        if count >= 300:
            break
    region = ref.communes.index[ref.communes["code_reg"] == "84"].tolist()
    return {"un EPCI": TerritoryDefinition(epci=[BOURG]), "≈ 300 communes": TerritoryDefinition(epci=chosen),
            "une région (84)": TerritoryDefinition(communes=region)}


def _timed(func, runs: int):
    walls, cpus, result = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = func()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", help="cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", help="dossier où écrire les fichiers produits (pour les regarder)")
    args = parser.parse_args(argv)
    from pypdf import PdfReader

    ref = load_reference(args.data_dir)
    build_html(ref, diagnose(ref, build_territory(ref, TerritoryDefinition(epci=[BOURG]))))  # imports, fonts, caches: once
    print(f"{'territoire':18} {'communes':>8} {'diagnostic':>11} {'HTML (CPU)':>17} {'Mo':>5} {'PDF (CPU)':>17} {'pages':>5}")
    ok = True
    for name, definition in territories(ref).items():
        t_diag, _, diag = _timed(lambda d=definition: diagnose(ref, build_territory(ref, d)), args.runs)
        t_html, c_html, html = _timed(lambda d=diag: build_html(ref, d), args.runs)
        t_pdf, c_pdf, pdf = _timed(lambda h=html: html_to_pdf(h), args.runs)
        pages = len(PdfReader(io.BytesIO(pdf)).pages)
        print(f"{name:18} {diag.overview['communes']:>8} {t_diag:>10.2f}s {t_html:>7.2f}s ({c_html:>5.2f}s) "
              f"{len(html.encode()) / 1e6:>5.2f} {t_pdf:>7.2f}s ({c_pdf:>5.2f}s) {pages:>5}", flush=True)
        if args.out:
            Path(args.out).mkdir(parents=True, exist_ok=True)
            stem = Path(args.out) / name.replace(" ", "_").replace("≈", "env").replace("(", "").replace(")", "")
            stem.with_suffix(".html").write_text(html, encoding="utf-8")
            stem.with_suffix(".pdf").write_bytes(pdf)
        if name.startswith("≈"):
            ok = c_html + c_pdf <= TARGET_300_S
            print(f"  cible 300 communes : HTML + PDF ≤ {TARGET_300_S:g} s de CPU -> {'atteinte' if ok else 'MANQUÉE'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
