"""The inventory being worked on (``ptce_geo.collective.editing``) on the real reference: import, edit, revalidate,
and rebuilding it from the actors a project file holds.

Communes (embedded reference): Montargis 45208 and Amilly 45004 in the CA Montargoise (SIREN 244500203,
the EPCI of the PTCE Gâtinais Montargois); Strasbourg 67482 is outside that territory.
"""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
import pandas as pd
import pyogrio
import pytest

from ptce_geo.collective.actors import actor_template_xlsx
from ptce_geo.collective.actors_map import actor_layer
from ptce_geo.collective.editing import EditableInventory, append_actor, empty_inventory, from_stored, import_inventory, revalidate
from ptce_geo.errors import ActorError
from ptce_geo.project import Project, open_project, save_project

ROOT = Path(__file__).resolve().parent.parent
HEADER = "nom;type_structure;implication;commune;thematiques;latitude;longitude"
MONTARGOISE = "244500203"
# a name carrying a script, a row with latitude and longitude swapped, a formula name, an unknown level
BAD = (f"{HEADER}\n"
       "<script>window.__pwned=1</script>;asso;noyau dur;45208;réemploi;;\n"
       "Atelier inversé;SCIC;cellule de pilotage;45004;mobilité;2.7335;47.9975\n"
       '=HYPERLINK("http://x");entreprise;groupe projet;45208;réemploi;;\n'
       "Banque du coin;entreprise;très motivé;67482;finance;;\n")


def load(embedded, text: str | bytes, name: str = "acteurs.csv", **kw) -> EditableInventory:
    return import_inventory(embedded, text.encode("utf-8") if isinstance(text, str) else text, name, **kw)


def status(state: EditableInventory) -> dict[int, str]:
    return state.inventory.report.set_index("ligne")["statut"].to_dict()


# --- import -------------------------------------------------------------------------------------------

def test_import_keeps_every_row_and_refused_rows_stay_editable(embedded):
    state = load(embedded, BAD)
    assert status(state) == {2: "corrigé", 3: "corrigé", 4: "accepté", 5: "refusé"}
    assert state.table.index.tolist() == [2, 3, 4, 5]  # refused row 5 is in the table, as written
    assert state.table.loc[5, "implication"] == "très motivé" and state.table.loc[5, "commune"] == "67482"
    assert state.table.loc[2, "type_structure"] == "association"  # validated values for kept rows
    assert (state.table.loc[3, "latitude"], state.table.loc[3, "longitude"]) == ("47.9975", "2.7335")  # swap corrected
    placed = state.inventory.actors
    assert placed.loc[3, "placement"] == "coordonnées" and placed.loc[2, "placement"] == "commune"
    assert "latitude et longitude inversées" in state.inventory.report.set_index("ligne").loc[3, "messages"]


def test_cp1252_semicolon_file(embedded):
    text = f"{HEADER}\nCoopérative Éole, énergie;SCIC;noyau dur;Montargis;énergie, mobilité;;\n"
    state = load(embedded, text.encode("cp1252"))
    assert "cp1252" in state.notes[0] and "« ; »" in state.notes[0]
    assert state.inventory.actors["nom"].tolist() == ["Coopérative Éole, énergie"]
    assert state.table.loc[2, "thematiques"] == "énergie; mobilité"


@pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf\r\n"])
def test_empty_file_is_an_error(embedded, data):
    with pytest.raises(ActorError, match="vide"):
        load(embedded, data, "vide.csv")


def test_xlsx_with_several_sheets(embedded):
    book = openpyxl.load_workbook(io.BytesIO(actor_template_xlsx()))
    book.move_sheet("Aide", offset=-1)  # the help sheet first: the actors sheet is still found
    buffer = io.BytesIO()
    book.save(buffer)
    state = load(embedded, buffer.getvalue(), "modele.xlsx")
    assert "« Acteurs »" in state.notes[0] and len(state.inventory.actors) == 4 and state.inventory.refused == 0


def test_the_xlsx_template_takes_codes_as_text():
    """Excel turns a typed 01000 into 1000 and a SIRET into 7,32829E+13 in a cell formatted « Standard »: the code
    columns of the template are formatted as text (« @ »), the example rows and the rows to come; no other column."""
    sheet = openpyxl.load_workbook(io.BytesIO(actor_template_xlsx()))["Acteurs"]
    header = [cell.value for cell in sheet[1]]
    codes = {"siret", "code_commune", "departement", "code_postal"}
    assert codes <= set(header)
    for j, name in enumerate(header, start=1):
        letter = sheet.cell(1, j).column_letter
        formats = {sheet.column_dimensions[letter].number_format} | {sheet.cell(i, j).number_format for i in range(2, 6)}
        assert formats == ({"@"} if name in codes else {"General"}), (name, formats)


def test_personal_data_dropped_unless_kept(embedded):
    text = "nom;commune;courriel\nAtelier;45208;jean@example.org\n"
    assert "courriel" not in load(embedded, text).table.columns
    kept = load(embedded, text, keep_personal=True)
    assert kept.table.loc[2, "courriel"] == "jean@example.org"


# --- editing ------------------------------------------------------------------------------------------

def test_fixing_a_refused_row_keeps_the_others(embedded):
    state = load(embedded, BAD)
    table = state.table.copy()
    table.loc[5, "implication"] = "groupe thématique"
    new = revalidate(embedded, state, table)
    assert status(new) == {2: "corrigé", 3: "corrigé", 4: "accepté", 5: "corrigé"}
    report = new.inventory.report.set_index("ligne")
    assert report.loc[5, "messages"] == "ESS non déduit du type « entreprise »"
    assert "latitude et longitude inversées" in report.loc[3, "messages"]  # unchanged rows keep their first messages
    assert new.inventory.actors.loc[5, "code_commune"] == "67482" and new.revision == state.revision + 1
    assert new.inventory.actors.geometry.notna().all()


class CountingGeocoder:
    """Stands for the BAN: one point in Amilly for any address, and counts what it was asked."""

    def __init__(self):
        self.asked: list[str] = []

    def geocode(self, addresses, progress=None):
        self.asked += addresses["adresse"].tolist()
        return pd.DataFrame({"latitude": 47.9830, "longitude": 2.7690, "score": 0.9, "citycode": "45004", "label": "Amilly"},
                            index=addresses.index)


def test_unchanged_rows_keep_their_placement(embedded):
    geocoder = CountingGeocoder()
    state = load(embedded, "nom;commune;adresse\nÉpicerie;45004;1 rue de la Paix\nAtelier;45208;\n", geocoder=geocoder)
    assert geocoder.asked == ["1 rue de la Paix"] and state.inventory.actors.loc[2, "placement"] == "adresse (BAN)"
    table = state.table.copy()
    table.loc[3, "type_structure"] = "SCOP"
    new = revalidate(embedded, state, table, geocoder=geocoder)
    assert geocoder.asked == ["1 rue de la Paix"]  # not sent again
    assert new.inventory.actors.loc[2, "placement"] == "adresse (BAN)" and new.inventory.actors.loc[3, "type_structure"] == "SCOP"


def test_homonym_refused_then_fixed_with_its_departement(embedded):
    state = load(embedded, "nom;commune\nFerme;Sainte-Colombe\n")
    assert status(state) == {2: "refusé"} and "Sainte-Colombe" in state.inventory.report["messages"].iloc[0]
    table = state.table.copy()
    table.loc[2, "departement"] = "69"
    new = revalidate(embedded, state, table)
    assert status(new) == {2: "corrigé"} and new.inventory.actors.loc[2, "code_commune"] == "69189"  # corrigé: no level given


def test_deleting_every_row(embedded):
    state = load(embedded, BAD)
    new = revalidate(embedded, state, state.table.iloc[:0])
    assert new.inventory.report.empty and new.inventory.actors.empty and new.table.empty


def test_deleting_a_row_frees_its_duplicate(embedded):
    state = load(embedded, "nom;commune\nRessourcerie;45208\nressourcerie;45208\n")
    assert status(state) == {2: "accepté", 3: "refusé"}
    new = revalidate(embedded, state, state.table.drop(index=[2]))
    assert status(new) == {3: "corrigé"} and new.inventory.actors.index.tolist() == [3]
    assert new.inventory.report["messages"].iloc[0] == "implication non renseignée : « non impliqué » retenu"  # no column in the file


def test_rows_added_in_the_editor_get_new_line_numbers(embedded):
    state = load(embedded, "nom;commune\nRessourcerie;45208\n")
    added = pd.concat([state.table, pd.DataFrame({"nom": ["Jardin"], "commune": ["Châlette-sur-Loing"]}, index=[None])])
    new = revalidate(embedded, state, added)
    assert new.table.index.tolist() == [2, 3] and new.inventory.actors.loc[3, "code_commune"] == "45068"
    assert (new.table.dtypes == "str").all()


def test_actor_added_from_a_map_click(embedded):
    state = empty_inventory(embedded)
    table = append_actor(state.table, {"nom": "Recyclerie", "type_structure": "association", "thematiques": ["réemploi", "couture"],
                                              "latitude": 47.99781, "longitude": 2.73339, "inconnu": "x"})
    new = revalidate(embedded, state, table)
    row = new.inventory.actors.iloc[0]
    assert new.table.index.tolist() == [2] and row["code_commune"] == "45208" and row["thematiques"] == "réemploi; couture"
    assert "commune déduite des coordonnées" in new.inventory.report["messages"].iloc[0]
    again = revalidate(embedded, new, append_actor(new.table, {"nom": "Île", "latitude": 40.7, "longitude": -74.0}))
    assert status(again) == {2: "corrigé", 3: "refusé"}  # refused, reported, kept in the table to be fixed


def test_twenty_thousand_rows_edit_stays_linear(embedded):
    """Import, then change one row of 20,000: only that row is placed again (a quadratic step would show here)."""
    import importlib.util
    import time

    spec = importlib.util.spec_from_file_location("bench_actors", ROOT / "bench" / "bench_actors.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    state = load(embedded, bench.make_inventory(embedded.communes, 20_000), "gros.csv")
    assert len(state.table) == 20_000 and state.inventory.refused >= 20
    table = state.table.copy()
    first = state.inventory.actors.index[0]
    table.loc[first, "nom"] = "Renommée"
    start = time.perf_counter()
    new = revalidate(embedded, state, table)
    elapsed = time.perf_counter() - start
    assert new.inventory.actors.loc[first, "nom"] == "Renommée" and len(new.inventory.report) == 20_000
    kept = new.inventory.actors.index.drop(first).intersection(state.inventory.actors.index)
    assert new.inventory.actors.loc[kept, "geometry"].equals(state.inventory.actors.loc[kept, "geometry"])
    assert actor_layer(new.inventory.actors).marker_count == 5000  # capped: MAX_MARKERS
    assert elapsed < 20, f"{elapsed:.1f} s"  # ~3 s alone



# --- rebuilt from a project file ------------------------------------------------------------------------

def test_a_project_files_actors_come_back_editable(embedded, tmp_path):
    state = load(embedded, BAD)
    project = Project("Gâtinais", actors=state.inventory.actors)
    save_project(project, tmp_path / "p.gpkg")
    stored = pyogrio.read_dataframe(tmp_path / "p.gpkg", layer="acteurs")  # read independently of open_project
    back = from_stored(open_project(tmp_path / "p.gpkg").actors, "Gâtinais")
    assert len(back.inventory.actors) == len(stored) == 3  # the refused row 5 never reached the project
    assert back.table.index.tolist() == [2, 3, 4] and back.inventory.actors.index.tolist() == [2, 3, 4]
    assert back.table["nom"].tolist() == stored["nom"].tolist()
    assert status(back) == {2: "accepté", 3: "accepté", 4: "accepté"} and "Gâtinais" in back.notes[0]
    assert (back.table["latitude"].tolist()[1], back.table["longitude"].tolist()[1]) == ("47.9975", "2.7335")
    edited = back.table.copy()
    edited.loc[4, "implication"] = "noyau dur"
    new = revalidate(embedded, back, edited)
    assert new.inventory.actors.loc[4, "implication"] == "noyau dur" and len(new.inventory.actors) == 3
    assert new.inventory.actors.loc[[2, 3], "geometry"].equals(back.inventory.actors.loc[[2, 3], "geometry"])  # placement kept


def test_personal_columns_held_by_a_project_stay_editable(embedded):
    kept = load(embedded, "nom;commune;courriel\nAtelier;45208;jean@example.org\n", keep_personal=True)
    back = from_stored(kept.inventory.actors.reset_index(drop=True), "p")
    assert back.keep_personal and back.table.loc[2, "courriel"] == "jean@example.org"
    assert not from_stored(load(embedded, "nom;commune\nAtelier;45208\n").inventory.actors, "p").keep_personal
