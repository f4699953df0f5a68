"""Validation: income estimator vs INSEE's published 2019 values, and the former method's error.

Inputs, read with plain pandas from ``../shared/data``: the 2019 commune figures of the official
*chiffres clés* workbook (``insee_filosofi_2019_tous_niveaux``: MED19, TP6019, D119, D919,
NBMENFISC19, NBPERSMENFISC19, geography 2022), the commune -> EPCI / département / région table of
the same geography (``insee_zonages/table_appartenance_communes_2022.csv``) and the 2018 census
population for the communes whose figures are secret (comparateur 2022). Expected values: the
EPCI, DEP, REG and METRO sheets of the same workbook (INSEE's published values; the DOM rows of
the Budget de famille survey under the DEP/REG sheets are left out).

Printed per level: median absolute error, 90th percentile and maximum, for the median (€) and the
poverty rate (points), for ``ptce_geo.income`` (« après ») and for the former method (« avant »:
persons-weighted median of commune medians, poverty over the communes that publish it).

    python bench/bench_income_estimator.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import io
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_geo.income import estimate_by, fit_model  # noqa: E402

__all__ = ["load_2019", "published_2019", "errors", "former_method", "main"]

WORKBOOK = "insee_filosofi_2019_tous_niveaux/base-cc-filosofi-2019_XLSX.zip"
LEVELS = {"epci": "EPCI", "departement": "DEP", "region": "REG", "france": "METRO"}


def _sheets(shared: Path) -> dict[str, pd.DataFrame]:
    with zipfile.ZipFile(shared / WORKBOOK) as archive:
        data = archive.read(archive.namelist()[0])
    sheets = pd.read_excel(io.BytesIO(data), sheet_name=["COM", *LEVELS.values()], header=5, dtype=str, engine="calamine")
    out = {}
    for name, frame in sheets.items():
        blank = frame["CODGEO"].isna().to_numpy().nonzero()[0]  # the Budget de famille block follows a blank row
        out[name] = frame.iloc[: blank[0] if len(blank) else len(frame)].set_index("CODGEO")
    return out


def load_2019(shared: Path) -> pd.DataFrame:
    """2019 commune figures under the indicators' variable names, with EPCI / département / région / France keys."""
    com = _sheets(shared)["COM"]
    num = com[["NBMENFISC19", "NBPERSMENFISC19", "MED19", "TP6019", "D119", "D919"]].apply(pd.to_numeric, errors="coerce")
    geo = pd.read_csv(shared / "insee_zonages" / "table_appartenance_communes_2022.csv", dtype=str).set_index("CODGEO")
    pop = pd.read_csv(shared / "insee_comparateur_2022_klopstock" / "base_cc_comparateur_2022.csv.gz", dtype={"CODGEO": str},
                      usecols=["CODGEO", "P18_POP"]).set_index("CODGEO")["P18_POP"]
    table = pd.DataFrame({
        "population": pop.reindex(com.index), "nb_menages_fisc": num["NBMENFISC19"], "nb_pers_menages_fisc": num["NBPERSMENFISC19"],
        "med_niveau_vie": num["MED19"], "d1_niveau_vie": num["D119"], "d9_niveau_vie": num["D919"],
        "pers_pauvres": num["TP6019"] * num["NBPERSMENFISC19"] / 100.0,
        "pers_couv_pauvrete": num["NBPERSMENFISC19"].where(num["TP6019"].notna()),
    }, index=com.index)
    table["departement"] = geo["DEP"].reindex(table.index)
    table["region"] = geo["REG"].reindex(table.index)
    table["epci"] = geo["EPCI"].reindex(table.index).where(lambda s: s.str.fullmatch(r"\d{9}", na=False))
    table["france"] = np.where(table["departement"].str.startswith("97", na=True), None, "1")
    return table


def published_2019(shared: Path) -> dict[str, pd.DataFrame]:
    """INSEE's published median and poverty rate per level (index = code)."""
    sheets = _sheets(shared)
    return {level: sheets[sheet][["MED19", "TP6019"]].apply(pd.to_numeric, errors="coerce")
            .set_axis(["med_niveau_vie", "taux_pauvrete"], axis=1) for level, sheet in LEVELS.items()}


def former_method(table: pd.DataFrame, key: str) -> pd.DataFrame:
    """Main's code: persons-weighted median of commune medians; poverty over the communes that publish it."""
    rows = {}
    for code, part in table.dropna(subset=[key]).groupby(key):
        known = part.dropna(subset=["med_niveau_vie", "nb_pers_menages_fisc"]).sort_values("med_niveau_vie", kind="stable")
        cum = known["nb_pers_menages_fisc"].cumsum()
        med = known["med_niveau_vie"].to_numpy()[np.searchsorted(cum.to_numpy(), cum.iloc[-1] / 2.0)] if len(known) else np.nan
        cov = part["pers_couv_pauvrete"].sum()
        rows[code] = (med, part["pers_pauvres"].sum() / cov * 100.0 if cov > 0 else np.nan)
    return pd.DataFrame.from_dict(rows, orient="index", columns=["med_niveau_vie", "taux_pauvrete"])


def errors(estimated: pd.DataFrame, published: pd.DataFrame) -> pd.DataFrame:
    """Absolute error statistics per indicator: n, median, p90, max."""
    rows = {}
    for column in ("med_niveau_vie", "taux_pauvrete"):
        gap = (estimated[column] - published[column].reindex(estimated.index)).abs().dropna()
        rows[column] = {"n": len(gap), "mediane": gap.median(), "p90": gap.quantile(0.9), "max": gap.max(),
                        "pire": gap.idxmax() if len(gap) else ""}
    return pd.DataFrame(rows).T


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=ROOT.parent / "shared" / "data")
    args = parser.parse_args(argv)
    table = load_2019(args.shared)
    published = published_2019(args.shared)
    started = time.perf_counter()
    model = fit_model(table, table["departement"])
    fitted = time.perf_counter() - started
    print(f"Seuil de pauvreté calibré sur les communes : {model.threshold:,.0f} € (ajustement {fitted * 1000:.0f} ms)")
    print("niveau       indicateur       méthode  n      médiane   p90      max     (pire)")
    for level in LEVELS:
        started = time.perf_counter()
        after = estimate_by(model, table[level])
        elapsed = time.perf_counter() - started
        for label, estimated in (("avant", former_method(table, level)), ("après", after)):
            for column, row in errors(estimated, published[level]).iterrows():
                unit = "€" if column == "med_niveau_vie" else "pt"
                print(f"{level:<12} {column:<16} {label:<8} {int(row['n']):<6} {row['mediane']:>7.2f}  {row['p90']:>7.2f}  "
                      f"{row['max']:>7.2f} {unit} ({row['pire']})")
        print(f"{level:<12} estimation de tous les groupes : {elapsed * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
