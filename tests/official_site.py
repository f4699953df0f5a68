"""A local copy of the official download site, built at test time from ``../shared/data``.

Files are shaped the way INSEE and Etalab ship them (paths relative to the catalogue's bases):
``;``-separated CSV with a decimal comma and ``s`` secret cells zipped with their meta file, the
Filosofi zip split into DISP / DISP_PAUVRES (and a declared-income DEC decoy), xlsx workbooks with
title rows above the header, the COG's ``v_*.csv`` and the Etalab GeoJSON. Also a real
``ThreadingHTTPServer`` on 127.0.0.1 to serve a folder, with optional misbehaving handlers.
"""

from __future__ import annotations

import gzip
import io
import re
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote
from xml.sax.saxutils import escape

import pandas as pd

__all__ = ["build_site", "frr_workbook", "qpv_zip", "qpv_geojson", "QPV_ROWS", "site_path", "serve", "write_xlsx", "zip_bytes", "QuietHandler"]

_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'


def _column(i: int) -> str:
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _cell(ref: str, value) -> str:
    if value is None or (isinstance(value, float) and value != value) or value == "":
        return ""
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(value))}</t></is></c>'


def _sheet(rows: list[list]) -> str:
    body = "".join(f'<row r="{r}">' + "".join(_cell(f"{_column(c)}{r}", v) for c, v in enumerate(row)) + "</row>"
                   for r, row in enumerate(rows, 1))
    return f'{_HEAD}<worksheet xmlns="{_NS}"><sheetData>{body}</sheetData></worksheet>'


def write_xlsx(sheets: dict[str, list[list]]) -> bytes:
    """A minimal valid xlsx (inline strings, numbers as numbers): openpyxl needs ~9 s per 35,000-row sheet here."""
    types = [f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, len(sheets) + 1)]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", f'{_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                   '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                   '<Default Extension="xml" ContentType="application/xml"/>'
                   '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                   + "".join(types) + "</Types>")
        z.writestr("_rels/.rels", f'{_HEAD}<Relationships xmlns="{_PKG}"><Relationship Id="rId1" Type="{_REL}/officeDocument" '
                   'Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'{_HEAD}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
                   + "".join(f'<sheet name="{escape(n)}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", f'{_HEAD}<Relationships xmlns="{_PKG}">'
                   + "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                             for i in range(1, len(sheets) + 1)) + "</Relationships>")
        for i, rows in enumerate(sheets.values(), 1):
            z.writestr(f"xl/worksheets/sheet{i}.xml", _sheet(rows))
    return buf.getvalue()


def zip_bytes(members: dict[str, bytes | str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buf.getvalue()


def _titled(title: str, frame: pd.DataFrame, title_rows: int = 5) -> list[list]:
    """INSEE layout: a title, a source line, blank rows, then the header (row ``title_rows + 1``)."""
    head = [[title], ["Source : Insee"]] + [[] for _ in range(title_rows - 2)]
    values = frame.astype(object).where(frame.notna(), None).to_numpy().tolist()
    return head + [list(frame.columns)] + values


def _insee_csv(frame: pd.DataFrame | str) -> str:
    """``;`` separator, decimal comma, empty cells written as the secret marker ``s`` (numeric tables only)."""
    text = frame if isinstance(frame, str) else frame.to_csv(index=False)
    return re.sub(r"(?<=;)(?=;|\r|\n)", "s", text.replace(",", ";").replace(".", ","))


def _read(shared: Path, rel: str) -> pd.DataFrame:
    return pd.read_csv(shared / rel, dtype=str, keep_default_na=False, na_values=[""])


def _comparateur(shared: Path) -> bytes:
    text = gzip.decompress((shared / "insee_comparateur_2022_klopstock" / "base_cc_comparateur_2022.csv.gz").read_bytes()).decode("utf-8")
    meta = _read(shared, "insee_comparateur_2022_klopstock/meta_base_cc_comparateur_2022.csv")
    return zip_bytes({"base_cc_comparateur.CSV": _insee_csv(text).encode("utf-8"),
                      "meta_base_cc_comparateur.CSV": meta.to_csv(sep=";", index=False).encode("utf-8")})


def _serie_historique(shared: Path) -> bytes:
    """The séries historiques layout (2018 edition's columns): real P18/P13 populations, births, deaths and surfaces from the
    2022 comparateur; the older dates are not in ``../shared/data`` and are written as secret cells."""
    text = gzip.decompress((shared / "insee_comparateur_2022_klopstock" / "base_cc_comparateur_2022.csv.gz").read_bytes()).decode("utf-8")
    comp = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    older = ["P08_POP", "D99_POP", "D90_POP", "D82_POP", "D75_POP", "D68_POP"]
    periods = ["0813", "9908", "9099", "8290", "7582", "6875"]
    frame = comp[["CODGEO", "P18_POP", "P13_POP"]].assign(**{c: "" for c in older}, SUPERF=comp["SUPERF"], NAIS1318=comp["NAIS1318"],
                                                          **{f"NAIS{p}": "" for p in periods}, DECE1318=comp["DECE1318"],
                                                          **{f"DECE{p}": "" for p in periods})
    return zip_bytes({"base-cc-serie-historique-2018.CSV": _insee_csv(frame),
                      "meta_base-cc-serie-historique-2018.CSV": "COD_VAR;LIB_VAR\nP18_POP;Population en 2018\n"})


def _structure_age(shared: Path) -> bytes:
    """The age-structure layout (2022 edition's columns) over the reference communes; no age counts exist in
    ``../shared/data``, so every count is a secret cell: the file tests download and recognition, not figures."""
    codes = _read(shared, "decoupage_administratif/communes_2026.csv")
    codes = codes.loc[(codes["type"] == "commune-actuelle") & (codes["zone"] != "com"), "code_insee"]
    bands = ["POP", "POP0014", "POP1529", "POP3044", "POP4559", "POP6074", "POP7589", "POP90P", "POP0019", "POP2064", "POP65P"]
    frame = pd.DataFrame({"CODGEO": codes.to_numpy(), **{f"{y}_{b}": "" for y in ("P22", "P16") for b in bands}})
    return zip_bytes({"base-cc-evol-struct-pop-2022.CSV": _insee_csv(frame)})


def _filosofi(shared: Path) -> bytes:
    filo = _read(shared, "insee_filosofi_2021/cc_filosofi_2021_COM.csv")
    disp = filo.rename(columns={"NBMENFISC21": "NBMEN21", "NBPERSMENFISC21": "NBPERS21", "MED21": "Q221"})
    disp = disp[["CODGEO", "NBMEN21", "NBPERS21", "Q221", "D121", "D921", "PACT21"]]
    poor = filo[["CODGEO", "TP6021"] + [c for c in filo.columns if c.startswith("TP60AGE")]]
    dec = disp.assign(Q221=pd.to_numeric(disp["Q221"]).mul(1.25).round().astype("Int64").astype("string"))  # declared income: a decoy
    return zip_bytes({"FILO2021_DEC_COM.csv": _insee_csv(dec), "FILO2021_DISP_COM.csv": _insee_csv(disp),
                      "FILO2021_DISP_PAUVRES_COM.csv": _insee_csv(poor), "meta_FILO2021_DISP_COM.csv": "COD_VAR;LIB_VAR\nQ221;Médiane\n"})


def _filosofi_supra(shared: Path) -> bytes:
    """The SUPRA zip's layout with the real files at hand: FILO2019_DISP_<level> (EPCI, DEP, REG, METROPOLE) and the
    2020 DEP pair; a year other than the communes' 2021, so ``data update`` must estimate rather than mix vintages."""
    members = {p.name: p.read_bytes() for p in sorted((shared / "insee_filosofi_2019_supra_distribution").glob("FILO2019_DISP_*.csv"))}
    members |= {p.name: p.read_bytes() for p in sorted((shared / "insee_filosofi_2020_departements").glob("FILO2020_*.csv"))}
    return zip_bytes(members)


def _grille(shared: Path) -> bytes:
    grid = _read(shared, "insee_grille_densite/grille_densite_7_niveaux_2024.csv")[["CODGEO", "LIBGEO", "DENS", "LIBDENS", "PMUN21"]]
    grid = grid.assign(DENS=grid["DENS"].astype(int), PMUN21=pd.to_numeric(grid["PMUN21"]))
    return write_xlsx({"Documentation": [["Grille communale de densité à 7 niveaux"], ["Mise en ligne le 28/05/2024"]],
                       "Grille_Densite": _titled("Grille communale de densité, géographie au 01/01/2024", grid, 4)})


def _appartenance(shared: Path) -> bytes:
    com = _read(shared, "insee_zonages/table_appartenance_communes_2024.csv")[["CODGEO", "LIBGEO", "DEP", "CTCD", "REG", "EPCI", "EPT", "ARR"]]
    arm = _read(shared, "insee_zonages/table_appartenance_arm_2024.csv")
    supra = _read(shared, "insee_zonages/zones_supra_communales_2024.csv")
    book = write_xlsx({"COM": _titled("Table d'appartenance géographique des communes au 1er janvier 2025", com),
                       "ARM": _titled("Arrondissements municipaux", arm), "Zones_supra_communales": _titled("Zones", supra)})
    return zip_bytes({"table-appartenance-geo-communes-2025.xlsx": book})


def _aav(shared: Path) -> bytes:
    tag = _read(shared, "insee_zonages/table_appartenance_communes_2022.csv")
    com = tag[["CODGEO", "LIBGEO", "AAV2020", "CATEAAV2020", "DEP", "REG"]]
    aav = tag.groupby("AAV2020").agg(TAAV2017=("TAAV2017", "first"), NB_COM=("CODGEO", "size")).reset_index()
    book = write_xlsx({"AAV2020": _titled("Aires d'attraction des villes 2020", aav),
                       "Composition_communale": _titled("Composition communale des AAV 2020 au 1er janvier 2025", com)})
    return zip_bytes({"AAV2020_au_01-01-2025.xlsx": book})


def _intercommunalite(shared: Path) -> bytes:
    communes = _read(shared, "decoupage_administratif/communes_2026.csv")
    communes = communes[(communes["type"] == "commune-actuelle") & (communes["zone"] != "com")]
    epci = _read(shared, "decoupage_administratif/epci_2026.csv")
    sheet_epci = pd.DataFrame({"EPCI": epci["epci_siren"], "LIBEPCI": epci["epci_nom"],
                               "NATURE_EPCI": epci["epci_type"].replace({"METRO": "ME", "MET69": "ME"}), "NB_COM": epci["n_communes"].astype(int)})
    comp = pd.DataFrame({"CODGEO": communes["code_insee"], "LIBGEO": communes["nom"], "EPCI": communes["epci_siren"].fillna("ZZZZZZZZZ"),
                         "LIBEPCI": communes["epci_nom"].fillna("Sans objet"), "DEP": communes["dep"], "REG": communes["reg"]})
    book = write_xlsx({"EPCI": _titled("EPCI au 1er janvier 2025", sheet_epci),
                       "Composition_communale": _titled("Composition communale des EPCI au 1er janvier 2025", comp)})
    return zip_bytes({"Intercommunalite_Metropole_au_01-01-2025.xlsx": book})


def _cog(shared: Path) -> dict[str, bytes]:
    communes = _read(shared, "decoupage_administratif/communes_2026.csv")
    communes = communes[communes["zone"] != "com"]
    types = {"commune-actuelle": "COM", "commune-deleguee": "COMD", "commune-associee": "COMA", "arrondissement-municipal": "ARM"}
    v_commune = pd.DataFrame({"TYPECOM": communes["type"].map(types), "COM": communes["code_insee"], "REG": communes["reg"],
                              "DEP": communes["dep"], "CTCD": "", "ARR": communes["arrondissement"], "TNCC": "0",
                              "NCC": communes["nom"].str.upper(), "NCCENR": communes["nom"], "LIBELLE": communes["nom"], "CAN": "",
                              "COMPARENT": communes["chef_lieu"].where(communes["type"] != "commune-actuelle")})
    deps = _read(shared, "decoupage_administratif/departements_2026.csv")
    deps = deps[deps["zone"] != "com"]
    regs = _read(shared, "decoupage_administratif/regions_2026.csv")
    regs = regs[regs["zone"] != "com"]
    v_dep = pd.DataFrame({"DEP": deps["code"], "REG": deps["region"], "CHEFLIEU": deps["chefLieu"], "TNCC": deps["typeLiaison"],
                          "NCC": deps["nom"].str.upper(), "NCCENR": deps["nom"], "LIBELLE": deps["nom"]})
    v_reg = pd.DataFrame({"REG": regs["code"], "CHEFLIEU": regs["chefLieu"], "TNCC": regs["typeLiaison"],
                          "NCC": regs["nom"].str.upper(), "NCCENR": regs["nom"], "LIBELLE": regs["nom"]})
    return {name: frame.to_csv(index=False).encode("utf-8")
            for name, frame in (("v_commune_2025.csv", v_commune), ("v_departement_2025.csv", v_dep), ("v_region_2025.csv", v_reg))}


def frr_workbook(shared: Path) -> bytes:
    """The DGCL workbook « Liste communes FRR_juillet2025.xlsx »: one sheet, header on the first row, codes as text
    (the copy in ``../shared/data`` is its CSV conversion, with a trailing ``;``)."""
    frame = pd.read_csv(shared / "anct_france_ruralites_revitalisation_2025" / "liste-communes-FRR-juillet2025.csv", sep=";",
                        dtype=str, keep_default_na=False)
    frame = frame[[c for c in frame.columns if not c.startswith("Unnamed")]].fillna("")
    return write_xlsx({"Feuil1": [list(frame.columns)] + frame.to_numpy().tolist()})


def _ring(lon: float, lat: float, dx: float, dy: float) -> list[list[float]]:
    """A small irregular octagon around (lon, lat), counter-clockwise, closed (a quartier is a few hundred metres wide)."""
    import math

    points = [[round(lon + dx * (1 + 0.15 * (i % 3)) * math.cos(i * math.pi / 4), 6),
               round(lat + dy * (1 + 0.1 * (i % 2)) * math.sin(i * math.pi / 4), 6)] for i in range(8)]
    return points + [points[0]]


# (code_qp, lib_qp, insee_dep, insee_com, lib_com, insee_reg, siren_epci, lon, lat): QPV 2024 as the ANCT lists them
QPV_ROWS = [
    ("QN08001M", "Quartier Nord", "80", "80021", "Amiens", "32", "248000531", 2.2915, 49.9155),
    ("QN08002M", "Étouvie", "80", "80021", "Amiens", "32", "248000531", 2.2560, 49.9080),
    ("QN07536M", "La Chapelle - Évangile", "75", "75118", "Paris 18e Arrondissement", "11", "200054781", 2.3600, 48.8930),
    ("QN97414I", "Le Gol", "974", "97414", "Saint-Louis", "04", "200011710", 55.4120, -21.2860),
]


def qpv_geojson(rows: list[tuple] = QPV_ROWS) -> str:
    """The ANCT's combined WGS84 GeoJSON: FeatureCollection named after the file, CRS84, one MultiPolygon per QPV."""
    import json

    features = [{"type": "Feature", "properties": {"code_qp": r[0], "lib_qp": r[1], "insee_dep": r[2], "insee_com": r[3], "lib_com": r[4],
                                                   "insee_reg": r[5], "siren_epci": r[6]},
                 "geometry": {"type": "MultiPolygon", "coordinates": [[_ring(r[7], r[8], 0.004, 0.0025)]]}} for r in rows]
    return json.dumps({"type": "FeatureCollection", "name": "QP2024_France_Hexagonale_Outre_Mer_WGS84",
                       "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}, "features": features},
                      ensure_ascii=False)


def qpv_zip(geojson: str | None = None) -> bytes:
    """The ANCT zip layout: GEOJSON/ (combined WGS84 file, and a Lambert-93 one that must not be read) and SHP/ folders."""
    text = qpv_geojson() if geojson is None else geojson
    decoy = text.replace('"Quartier Nord"', '"LAMBERT-93 : ne pas lire"')
    return zip_bytes({"GEOJSON/QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson": text.encode("utf-8"),
                      "GEOJSON/QP2024_France_hexagonale_LB93.geojson": decoy.encode("utf-8"),
                      "SHP/LISEZMOI.txt": b"Quartiers prioritaires 2024"})


def site_path(folder: Path, file) -> Path:
    """Where a catalogue file lives in a served folder: the HTTP server decodes the URL's percent-escapes."""
    return folder / unquote(file.path)


def build_site(folder: Path, shared: Path) -> dict[str, Path]:
    """Write every catalogue file under ``folder`` at its relative path; returns name -> path."""
    from ptce_geo.sources.official import CATALOGUE

    cog = _cog(shared)
    contents = {
        "comparateur": _comparateur(shared), "filosofi": _filosofi(shared), "filosofi_supra": _filosofi_supra(shared),
        "serie_historique": _serie_historique(shared), "structure_age": _structure_age(shared),
        "grille_densite": _grille(shared),
        "appartenance": _appartenance(shared), "aav2020": _aav(shared), "epci": _intercommunalite(shared),
        "cog_communes": cog["v_commune_2025.csv"], "cog_departements": cog["v_departement_2025.csv"], "cog_regions": cog["v_region_2025.csv"],
        "contours": gzip.decompress((shared / "geo_communes_epci" / "communes_2025_datafrance.geojson.gz").read_bytes()),
        "frr": frr_workbook(shared),
        "qpv": qpv_zip(),  # not in ../shared/data: generated in the official layout
    }
    paths = {}
    for file in CATALOGUE:
        path = site_path(folder, file)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(contents[file.name])
        paths[file.name] = path
    return paths


class QuietHandler(SimpleHTTPRequestHandler):
    """Serves a folder without logging every request to stderr."""

    def log_message(self, format, *args) -> None:  # noqa: A002 - signature of the base class
        pass


@contextmanager
def serve(folder: Path, handler: type[SimpleHTTPRequestHandler] = QuietHandler) -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 (free port) serving ``folder``; yields its base URL."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
