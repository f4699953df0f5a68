"""Files built to exhaust memory (declared huge sheets, zip bombs, escaping paths) are refused before parsing.

The hostile files are built here with ``zipfile`` and minimal XML; each refusal is checked in the
library (our error family), through the actor reader, the table reader, the polygon reader and the CLI
(a French message and exit status 2, never the abort status 134 of a Rust panic).
"""

from __future__ import annotations

import gzip
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from ptce_geo.collective.actors import read_actors
from ptce_geo.errors import ActorError, GeometryError, PtceGeoError, SourceFileError
from ptce_geo.sources import safe_files
from ptce_geo.sources.geojson import read_polygons
from ptce_geo.sources.safe_files import check_archive, check_workbook, gunzip
from ptce_geo.sources.tables import read_table

ROOT = Path(__file__).resolve().parent.parent
_CT = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '{sheets}</Types>')
_RELS = ('<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
         'Target="xl/workbook.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _cell(ref: str, value: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def make_xlsx(sheets: dict[str, str], dimension: dict[str, str] | None = None) -> bytes:
    """A minimal workbook: ``sheets`` maps a sheet name to its ``<sheetData>`` content."""
    dimension = dimension or {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        overrides = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
                            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                            for i in range(1, len(sheets) + 1))
        z.writestr("[Content_Types].xml", _CT.format(sheets=overrides))
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook {_NS} {_RNS}><sheets>'
                   + "".join(f'<sheet name="{n}" sheetId="{i}" r:id="rId{i}"/>' for i, n in enumerate(sheets, 1))
                   + "</sheets></workbook>")
        z.writestr("xl/_rels/workbook.xml.rels", '<?xml version="1.0"?><Relationships '
                   'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   + "".join(f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                             f'relationships/worksheet" Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
                   + "</Relationships>")
        for i, (name, data) in enumerate(sheets.items(), 1):
            dim = f'<dimension ref="{dimension[name]}"/>' if name in dimension else ""
            z.writestr(f"xl/worksheets/sheet{i}.xml", f'<?xml version="1.0"?><worksheet {_NS}>{dim}<sheetData>{data}</sheetData></worksheet>')
    return buffer.getvalue()


ACTORS = ('<row r="1">' + _cell("A1", "nom") + _cell("B1", "code_commune") + '</row>'
          '<row r="2">' + _cell("A2", "Recyclerie") + _cell("B2", "75056") + '</row>')


def test_the_minimal_workbook_is_a_real_workbook():
    """The builder makes files calamine reads: a refusal below is the check's, not a broken file's."""
    data = make_xlsx({"Acteurs": ACTORS}, {"Acteurs": "A1:B2"})
    check_workbook(data, "ok.xlsx", ActorError)
    frame = read_actors(data, "ok.xlsx")
    assert frame["nom"].tolist() == ["Recyclerie"]
    assert pd.read_excel(io.BytesIO(data), engine="calamine").iloc[0, 0] == "Recyclerie"


# --- part 2: declared dimension, cell references, sizes -------------------------------------------

def test_declared_dimension_xfd1048576_is_refused_before_parsing():
    data = make_xlsx({"Acteurs": ACTORS}, {"Acteurs": "A1:XFD1048576"})
    assert len(data) < 5_000
    with pytest.raises(ActorError, match="1 048 576 lignes × 16 384 colonnes"):
        read_actors(data, "bombe.xlsx")


def test_a_far_cell_without_dimension_is_refused():
    """No dimension, but a cell at XFD1048576: calamine would size its grid from it."""
    data = make_xlsx({"Acteurs": ACTORS + '<row r="1048576">' + _cell("XFD1048576", "x") + "</row>"})
    with pytest.raises(ActorError, match="classeur refusé"):
        read_actors(data, "bombe.xlsx")


@pytest.mark.parametrize("cell", ['<c s="0" r="XFD1048576"><v>1</v></c>', '<c\tr="XFD1048576"><v>1</v></c>',
                                  '<c\nr="A1048577"><v>1</v></c>', '<c r="$XFD$1"><v>1</v></c>'])
def test_far_cells_are_found_whatever_the_attribute_order_or_blank(cell):
    with pytest.raises(ActorError, match="classeur refusé"):
        read_actors(make_xlsx({"Acteurs": ACTORS + f'<row r="3">{cell}</row>'}), "bombe.xlsx")


def _grid(rows: int, cols: int) -> bytes:
    return make_xlsx({"F": ""}, {"F": f"A1:{_letters(cols)}{rows}"})


def _letters(n: int) -> str:
    out = ""
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def test_cell_limit_boundary():
    cols = 1_000
    check_workbook(_grid(safe_files.MAX_CELLS // cols, cols), "juste.xlsx", SourceFileError)
    with pytest.raises(SourceFileError, match="cellules"):
        check_workbook(_grid(safe_files.MAX_CELLS // cols + 1, cols), "trop.xlsx", SourceFileError)


def test_column_and_row_limit_boundaries():
    assert _letters(1024) == "AMJ" and _letters(16384) == "XFD"  # the builder's letters, checked against Excel's names
    check_workbook(_grid(1, safe_files.MAX_COLUMNS), "large.xlsx", SourceFileError)
    with pytest.raises(SourceFileError, match="colonnes"):
        check_workbook(_grid(1, safe_files.MAX_COLUMNS + 1), "trop_large.xlsx", SourceFileError)
    with pytest.raises(SourceFileError, match="lignes"):
        check_workbook(make_xlsx({"F": ""}, {"F": f"A{safe_files.MAX_ROWS + 1}"}), "trop_long.xlsx", SourceFileError)


def test_sheet_xml_beyond_the_cap_is_refused(monkeypatch):
    """The 1.4 MB file expanding to 490 MB, scaled down: the cap is read from the module, the file built above it."""
    monkeypatch.setattr(safe_files, "MAX_SHEET_XML_BYTES", 2_000_000)
    rows = "".join(f'<row r="{i}">' + _cell(f"A{i}", "x" * 20) + "</row>" for i in range(1, 40_000))
    data = make_xlsx({"F": rows})
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        assert z.getinfo("xl/worksheets/sheet1.xml").file_size > 2_000_000
    with pytest.raises(SourceFileError, match="une fois décompressée"):
        check_workbook(data, "gros.xlsx", SourceFileError)


def test_table_reader_refuses_the_bomb(tmp_path):
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(make_xlsx({"F": _cell("A1", "CODGEO")}, {"F": "A1:XFD1048576"}))
    with pytest.raises(SourceFileError, match="classeur refusé"):
        read_table(path)


def test_cli_refuses_the_bomb_with_a_french_message(tmp_path, embedded_root):
    """Before: the Rust panic aborted the process (exit status 134)."""
    path = tmp_path / "bombe.xlsx"
    path.write_bytes(make_xlsx({"Acteurs": ACTORS}, {"Acteurs": "A1:XFD1048576"}))
    run = subprocess.run([sys.executable, "-m", "ptce_geo", "actors", "check", str(path), "--data-dir", str(embedded_root)],
                         capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert run.returncode == 2, run.stderr
    assert "classeur refusé" in run.stderr and "Traceback" not in run.stderr


# --- archives: zipped CSV, zipped shapefile, gzip ---------------------------------------------------

def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return buffer.getvalue()


def test_zip_bomb_ratio_is_refused():
    data = _zip({"a.csv": b"0" * 30_000_000})
    assert len(data) < 100_000
    with pytest.raises(SourceFileError, match="archive piégée"):
        check_archive(data, "bombe.zip", SourceFileError)


def test_ratio_boundary_applies_above_one_megabyte_only():
    small = _zip({"a.csv": b"0" * 900_000})  # ratio ~1000, but under 1 MB: ordinary
    check_archive(small, "petit.zip", SourceFileError)


def test_total_uncompressed_size_is_capped(monkeypatch):
    monkeypatch.setattr(safe_files, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    check_archive(_zip({"a.txt": b"x" * 500_000, "b.txt": b"y" * 500_000}), "juste.zip", SourceFileError)
    with pytest.raises(SourceFileError, match="une fois décompressée"):
        check_archive(_zip({"a.txt": b"x" * 500_000, "b.txt": b"y" * 500_001}), "trop.zip", SourceFileError)


def test_member_count_is_capped():
    check_archive(_zip({f"{i}.txt": b"" for i in range(safe_files.MAX_MEMBERS)}), "juste.zip", SourceFileError)
    with pytest.raises(SourceFileError, match="éléments"):
        check_archive(_zip({f"{i}.txt": b"" for i in range(safe_files.MAX_MEMBERS + 1)}), "trop.zip", SourceFileError)


@pytest.mark.parametrize("member", ["../evil.csv", "/etc/evil.csv", "a/../../evil.csv", "C:/evil.csv", "..\\evil.csv"])
def test_member_paths_leaving_the_archive_are_refused(member):
    with pytest.raises(SourceFileError, match="sort de l'archive"):
        check_archive(_zip({member: b"x"}), "traversee.zip", SourceFileError)


def test_zipped_table_bomb_is_refused_by_the_table_reader(tmp_path):
    path = tmp_path / "bombe.zip"
    path.write_bytes(_zip({"base.csv": b"CODGEO;P\n" + b"0" * 30_000_000}))
    with pytest.raises(SourceFileError, match="archive piégée"):
        read_table(path)


def test_zipped_shapefile_bomb_is_refused_by_the_polygon_reader():
    data = _zip({"contour.shp": b"\0" * 30_000_000, "contour.shx": b"", "contour.dbf": b""})
    with pytest.raises(PtceGeoError, match="archive piégée"):
        read_polygons(data, "contour.zip")


def test_a_real_zipped_shapefile_still_reads(tmp_path):
    import geopandas as gpd
    import shapely

    folder = tmp_path / "shp"
    folder.mkdir()
    gpd.GeoDataFrame({"n": [1]}, geometry=[shapely.box(2.3, 48.8, 2.4, 48.9)], crs=4326).to_file(folder / "c.shp")
    data = _zip({p.name: p.read_bytes() for p in folder.iterdir()})
    frame, _ = read_polygons(data, "c.zip")
    assert frame.geometry.iloc[0].symmetric_difference(shapely.box(2.3, 48.8, 2.4, 48.9)).area < 1e-12


def test_gzip_bomb_is_read_no_further_than_the_cap(monkeypatch):
    monkeypatch.setattr(safe_files, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    assert gunzip(gzip.compress(b"x" * 1_000_000), "juste.gz", SourceFileError) == b"x" * 1_000_000
    with pytest.raises(SourceFileError, match="une fois décompressé"):
        gunzip(gzip.compress(b"x" * 1_000_001), "bombe.gz", SourceFileError)


def test_gzip_geojson_bomb_is_refused(monkeypatch):
    monkeypatch.setattr(safe_files, "MAX_UNCOMPRESSED_BYTES", 1_000_000)
    with pytest.raises((SourceFileError, GeometryError), match="une fois décompressé"):
        read_polygons(gzip.compress(b" " * 2_000_000), "contour.geojson.gz")


# --- the app: the server survives and says why ------------------------------------------------------

def _app(page: str):
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.run()
    return at.switch_page(page).run()


def _messages(at) -> str:
    return " ".join(str(e.value) for kind in (at.info, at.warning, at.error) for e in kind)


def test_acteurs_page_refuses_the_bomb_and_stays_usable(app_data):
    at = _app("app_pages/4_Acteurs.py")
    at.file_uploader(key="act_fichier").set_value(("bombe.xlsx", make_xlsx({"Acteurs": ACTORS}, {"Acteurs": "A1:XFD1048576"}),
                                                    "application/octet-stream")).run()
    assert not at.exception and "classeur refusé" in _messages(at)
    at.file_uploader(key="act_fichier").set_value(("ok.xlsx", make_xlsx({"Acteurs": ACTORS}, {"Acteurs": "A1:B2"}),
                                                    "application/octet-stream")).run()
    assert not at.exception and len(at.session_state["actors_inventory"].inventory.actors) == 1


def test_territoire_page_refuses_a_zipped_shapefile_bomb(app_data):
    from tests.test_pages import territoire_part

    at = territoire_part(_app("app_pages/1_Territoire.py"), "Dessin ou contour")
    widget = next(w for w in at.file_uploader if "contour" in w.label)
    widget.set_value(("contour.zip", _zip({"contour.shp": b"\0" * 30_000_000, "contour.dbf": b""}), "application/zip")).run()
    assert not at.exception and "archive piégée" in _messages(at)
