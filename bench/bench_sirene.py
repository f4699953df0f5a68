"""Benchmark: memory and speed of the Sirene aggregation (``data update --only sirene`` after the download).

No real Sirene file is available here. Files are generated in INSEE's official layout (54 columns for the
establishments, 35 for the legal units, zipped UTF-8 CSV, ``tests/sirene_files.py``) at two sizes, each
aggregated in a fresh child process whose peak RSS is read from the OS (``RUSAGE_CHILDREN``), with the
progress lines the command prints. Peak RSS grows with the ESS rows kept (the units' index and the listing),
not with the file: the two sizes give that slope, extrapolated to the national stock (about 29 M legal
units, 42 M establishments in 2025, ESS share as generated). Target: under 2 GB.

    python bench/bench_sirene.py [--units 2000000] [--establishments 3000000] [--ess-share 0.05] [--keep DIR]
    python bench/bench_sirene.py --national     # one measurement at the national size, no extrapolation (≈ 1 h here)
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # `python bench/x.py` does not put the project root on sys.path

from tests.sirene_files import ESTABLISHMENT_HEADER, UNIT_HEADER, establishments_frame, units_frame, write_zip  # noqa: E402

__all__ = ["main"]

NATIONAL_UNITS, NATIONAL_ESTABLISHMENTS = 29_000_000, 42_000_000  # order of magnitude of the 2025 stock files
_BLOCK = 250_000
_COMMUNES = [f"{d:02d}{c:03d}" for d in range(1, 96) if d != 20 for c in range(1, 400, 7)]
_CHILD = """
import sys, time
from pathlib import Path
import pyarrow.parquet as pq
from ptce_geo.sources.sirene import aggregate, print_progress
t = time.perf_counter()
tables = aggregate(sys.argv[1], sys.argv[2], Path(sys.argv[1]).parent, print_progress)
print(time.perf_counter() - t, int(tables["ess"]["n"].sum()), pq.ParquetFile(tables["ess_liste"]).metadata.num_rows,
      int(tables["etablissements_actifs"]["n"].sum()))
"""


def generate(folder: Path, units: int, establishments: int, ess_share: float) -> tuple[Path, Path]:
    started = time.perf_counter()
    ul = write_zip(folder / "StockUniteLegale_utf8.zip", "StockUniteLegale_utf8.csv",
                   (units_frame(min(_BLOCK, units - i), seed=i, ess_share=ess_share).assign(
                       siren=lambda f, i=i: [f"{100_000_000 + i + k:09d}" for k in range(len(f))]) for i in range(0, units, _BLOCK)),
                   UNIT_HEADER)
    et = write_zip(folder / "StockEtablissement_utf8.zip", "StockEtablissement_utf8.csv",
                   (establishments_frame(min(_BLOCK, establishments - i), units, _COMMUNES, seed=i) for i in range(0, establishments, _BLOCK)),
                   ESTABLISHMENT_HEADER)
    print(f"  fichiers générés en {time.perf_counter() - started:.0f} s : {ul.stat().st_size / 1e6:.0f} Mo + {et.stat().st_size / 1e6:.0f} Mo (zip)")
    return ul, et


def measure(ul: Path, et: Path) -> dict:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    out = subprocess.run([sys.executable, "-c", _CHILD, str(ul), str(et)], cwd=ROOT, capture_output=True, text=True, check=True)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    if peak_kb <= before:
        print("  (pic mémoire inférieur à celui d'une mesure précédente : relancez avec une seule taille)")
    seconds, ess, listed, active = out.stdout.split()
    progress = [line for line in out.stderr.splitlines() if "lignes lues" in line]
    print("  progression affichée : " + " | ".join(progress[:2] + ["…"] + progress[-1:]))
    return {"s": float(seconds), "ess": int(ess), "listed": int(listed), "active": int(active), "rss_mb": peak_kb / 1024}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=2_000_000)
    parser.add_argument("--establishments", type=int, default=3_000_000)
    parser.add_argument("--ess-share", type=float, default=0.05, help="part des unités légales de l'ESS (≈ 5 % au niveau national)")
    parser.add_argument("--keep", help="dossier où garder les fichiers générés")
    parser.add_argument("--national", action="store_true", help="une seule mesure à la taille du stock national")
    args = parser.parse_args(argv)
    if args.national:
        return national(args.ess_share, args.keep)
    results = []
    with tempfile.TemporaryDirectory(dir=args.keep) as tmp:
        # smallest size first: RUSAGE_CHILDREN keeps the largest child's peak
        for share in (0.25, 1.0):
            units, estabs = int(args.units * share), int(args.establishments * share)
            folder = Path(tmp) / f"x{share}"
            folder.mkdir()
            print(f"{units:_} unités légales ; {estabs:_} établissements".replace("_", " "))
            ul, et = generate(folder, units, estabs, args.ess_share)
            r = measure(ul, et)
            rate = estabs / r["s"]
            print(f"  agrégation : {r['s']:.1f} s ({rate / 1e3:.0f} k établissements/s) ; pic RSS {r['rss_mb']:.0f} Mo ; "
                  f"{r['ess']:_} établissements ESS actifs gardés".replace("_", " "))
            results.append((units, estabs, r, rate))
    (u1, e1, r1, _), (u2, e2, r2, rate) = results
    slope = (r2["rss_mb"] - r1["rss_mb"]) / max(e2 - e1, 1)  # Mo per establishment row (through the ESS rows it brings)
    national_rss = r2["rss_mb"] + slope * (NATIONAL_ESTABLISHMENTS - e2)
    national_s = NATIONAL_ESTABLISHMENTS / rate + NATIONAL_UNITS / rate
    print(f"Extrapolation au stock national ({NATIONAL_UNITS / 1e6:.0f} M unités légales, {NATIONAL_ESTABLISHMENTS / 1e6:.0f} M "
          f"établissements, même part d'ESS) : pic ≈ {national_rss:.0f} Mo (pente {slope * 1e6:.0f} Mo par million de lignes), "
          f"durée ≈ {national_s / 60:.0f} min au débit mesuré. Cible : 2 048 Mo.")
    return 0 if national_rss < 2048 else 1


def national(ess_share: float, keep: str | None) -> int:
    """Measure the peak at the national stock's size itself (the issue's target is measured, not extrapolated)."""
    with tempfile.TemporaryDirectory(dir=keep) as tmp:
        print(f"{NATIONAL_UNITS:_} unités légales ; {NATIONAL_ESTABLISHMENTS:_} établissements".replace("_", " "))
        r = measure(*generate(Path(tmp), NATIONAL_UNITS, NATIONAL_ESTABLISHMENTS, ess_share))
    print(f"Taille nationale : agrégation {r['s'] / 60:.0f} min ; pic RSS {r['rss_mb']:.0f} Mo (cible 2 048 Mo) ; "
          f"{r['ess']:_} établissements ESS actifs gardés sur {r['active']:_} actifs".replace("_", " "))
    return 0 if r["rss_mb"] < 2048 else 1


if __name__ == "__main__":
    sys.exit(main())
