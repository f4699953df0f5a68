"""Technical functions, funding lines, formalisation and place: rules at their boundaries, French errors, alerts.

Expected values are computed by hand in the test (dates counted on a calendar, amounts divided on paper).
"""

import sqlite3
import subprocess
import sys
from datetime import date

import geopandas as gpd
import pandas as pd
import pytest

from ptce_geo.collective import functions as fn
from ptce_geo.collective import funding, governance
from ptce_geo.collective.profile import set_profile_field
from ptce_geo.collective.tables import snapshot_summary
from ptce_geo.dossier.sections import project_section
from ptce_geo.errors import CollectiveError, ProjectError, PtceGeoError
from ptce_geo.project import Project, open_project, save_project

ACTORS = ["Ressourcerie du Val", "Mairie de Montargis", "Coop Bois"]


def codes(alerts: pd.DataFrame) -> list[str]:
    return alerts["code"].tolist()


# --- technical functions --------------------------------------------------------------------------------

def test_a_function_is_held_by_an_actor_of_the_inventory_with_a_time_that_is_not_negative():
    table = fn.add(fn.empty(), ACTORS, "coordination", "Ressourcerie du Val", fn.OWN_STRUCTURE, "0,5")
    table = fn.add(table, ACTORS, "animation", "Coop Bois", "Mairie de Montargis", 0)
    assert table["id"].tolist() == [1, 2]
    assert table["etp"].tolist() == [0.5, 0.0] and table["structure"].tolist() == [fn.OWN_STRUCTURE, "Mairie de Montargis"]
    with pytest.raises(CollectiveError, match="négatif"):
        fn.add(table, ACTORS, "animation", "Coop Bois", etp=-0.1)
    with pytest.raises(CollectiveError, match="n'est pas un acteur de l'inventaire"):
        fn.add(table, ACTORS, "ingénierie", "Bureau fantôme")
    with pytest.raises(CollectiveError, match="structure qui porte le poste"):
        fn.add(table, ACTORS, "ingénierie", "Coop Bois", "Inconnue SA")
    with pytest.raises(CollectiveError, match="Fonction technique inconnue"):
        fn.add(table, ACTORS, "comptabilité", "Coop Bois")
    with pytest.raises(CollectiveError, match="illisible"):
        fn.add(table, ACTORS, "ingénierie", "Coop Bois", etp="un demi")
    with pytest.raises(CollectiveError, match="fini"):
        fn.add(table, ACTORS, "ingénierie", "Coop Bois", etp=float("inf"))
    assert issubclass(CollectiveError, PtceGeoError) and issubclass(CollectiveError, ValueError)
    assert len(table) == 2  # a refused row leaves the table as it was


def test_an_unknown_time_stays_unanswered_and_the_summary_adds_known_times():
    table = fn.empty()
    for holder, time in (("Ressourcerie du Val", 0.5), ("Coop Bois", 0.3), ("Mairie de Montargis", None)):
        table = fn.add(table, ACTORS, "coordination", holder, etp=time)
    row = fn.summary(table).set_index("fonction").loc["coordination"]
    assert row["titulaires"] == 3 and row["etp"] == pytest.approx(0.8) and row["etp_inconnu"] == 1
    assert pd.isna(fn.summary(table).set_index("fonction").loc["ingénierie", "etp"])


@pytest.mark.parametrize(("engineering_time", "alerted"), [(None, False), (0.0, True), (0.01, False)])
def test_ingenierie_missing_is_alerted_at_zero_time_but_not_when_the_time_is_unknown(engineering_time, alerted):
    table = fn.add(fn.empty(), ACTORS, "coordination", "Ressourcerie du Val", etp=1)
    table = fn.add(table, ACTORS, "ingénierie", "Coop Bois", etp=engineering_time)
    assert ("ingenierie_absente" in codes(fn.alerts(table, ACTORS))) is alerted


def test_no_ingenierie_row_is_alerted_and_names_the_guide_but_an_empty_table_is_only_unanswered():
    table = fn.add(fn.empty(), ACTORS, "coordination", "Ressourcerie du Val", etp=1)
    table = fn.add(table, ACTORS, "animation", "Coop Bois", etp=0.5)
    row = fn.alerts(table, ACTORS).set_index("code").loc["ingenierie_absente"]
    assert "Institut Godin" in row["message"] and row["niveau"] == "vigilance"
    assert "coordination : 1 titulaire, 1,00 ETP" in row["chiffres"] and "ingénierie : 0 titulaire, — ETP" in row["chiffres"]
    assert codes(fn.alerts(fn.empty(), ACTORS)) == ["fonctions_non_renseignees"]


def test_a_deleted_actor_still_holding_a_function_is_alerted_and_the_row_is_kept():
    table = fn.add(fn.empty(), ACTORS, "ingénierie", "Coop Bois", "Mairie de Montargis", 0.2)
    remaining = ["Ressourcerie du Val", "Mairie de Montargis"]  # Coop Bois left the inventory
    alerts = fn.alerts(table, remaining)
    assert codes(alerts) == ["fonction_acteur_absent"] and "Coop Bois" in alerts["chiffres"].iloc[0]
    assert fn.read(table).equals(table)
    assert fn.remove(table, [1]).empty and len(fn.remove(table, [99])) == 1


# --- funding lines --------------------------------------------------------------------------------------

def test_a_negative_amount_or_a_period_in_the_wrong_order_is_refused_in_french():
    with pytest.raises(CollectiveError, match="Montant négatif"):
        funding.add(funding.empty(), "Région", montant=-1)
    with pytest.raises(CollectiveError, match="mauvais ordre.*01/01/2026"):
        funding.add(funding.empty(), "Région", debut="2026-01-02", fin="2026-01-01")
    with pytest.raises(CollectiveError, match="source"):
        funding.add(funding.empty(), "  ", montant=10)
    with pytest.raises(CollectiveError, match="Échéance illisible"):
        funding.add(funding.empty(), "Région", echeance="31/02/2026")
    with pytest.raises(CollectiveError, match="Nature de financement inconnue"):
        funding.add(funding.empty(), "Région", nature="loterie")
    one_day = funding.add(funding.empty(), "Région", montant=0, debut="2026-01-01", fin="2026-01-01")  # same day: a valid period
    assert one_day.loc[0, ["debut", "fin"]].tolist() == ["2026-01-01", "2026-01-01"] and one_day.loc[0, "montant"] == 0


def test_an_unanswered_field_stays_unanswered():
    line = funding.add(funding.empty(), "Département").iloc[0]
    assert pd.isna(line["montant"]) and line["debut"] == "" and line["nature"] == "" and pd.isna(line["poste_coordination"])


ON = date(2026, 3, 31)


@pytest.mark.parametrize(("end", "alerted"), [
    ("2026-03-30", False),  # ended yesterday: not « ending soon »
    ("2026-03-31", True),  # ends today
    ("2026-09-30", True),  # 31 March + 6 months (no 31 September): the last day of the horizon
    ("2026-10-01", False),
])
def test_a_funding_ending_within_six_months_is_alerted(end, alerted):
    table = funding.add(funding.empty(), "Fondation X", montant=12000, debut="2025-01-01", fin=end)
    assert ("financement_fin_proche" in codes(funding.alerts(table, ON))) is alerted


@pytest.mark.parametrize(("due", "alerted"), [("2026-01-01", True), ("2026-03-02", True), ("2026-03-03", False), ("2025-12-31", False)])
def test_a_deadline_within_sixty_days_is_alerted(due, alerted):
    # 1 January 2026 + 60 days: 31 days of January, 28 of February, then 2 March
    table = funding.add(funding.empty(), "AMI national", echeance=due)
    assert ("financement_echeance_proche" in codes(funding.alerts(table, date(2026, 1, 1)))) is alerted


def test_the_share_of_own_resources_spreads_each_amount_over_its_period():
    table = funding.add(funding.empty(), "Région", 150_000, "2025-01-01", "2027-12-31", nature="subvention publique")  # 1 095 days
    table = funding.add(table, "Ventes", 30_000, "2026-01-01", "2026-12-31", nature=funding.OWN_RESOURCES)
    table = funding.add(table, "Cotisations", 999, "2026-01-01", "2026-05-31", nature=funding.OWN_RESOURCES)  # ended before 1 June
    table = funding.add(table, "Commune", 5_000, "2026-01-01", "2026-12-31")  # no nature: left out, and said
    table = funding.add(table, "Mécène", 7_000, "2026-06-01", "2026-06-30", nature="mécénat ou fondation")  # starts on the day
    share = funding.own_share(table, date(2026, 6, 1))
    mecene = 7_000 / 30 * 365
    assert share.counted == 3 and share.left_out == 1
    assert share.own_per_year == pytest.approx(30_000)
    assert share.total_per_year == pytest.approx(50_000 + 30_000 + mecene)
    assert share.share == pytest.approx(30_000 / (80_000 + mecene))
    assert "financement_incomplet" in codes(funding.alerts(table, date(2026, 6, 1)))
    assert funding.own_share(funding.empty(), date(2026, 6, 1)).share is None


def test_the_coordination_post_funding_ends_with_its_last_line_and_only_that_line_is_an_alerte():
    table = funding.add(funding.empty(), "Région (dispositif coordination)", 40_000, "2026-01-01", "2026-12-31",
                        nature="subvention publique", poste_coordination=True)
    table = funding.add(table, "Région, suite", 40_000, "2027-01-01", "2027-06-30", nature="subvention publique", poste_coordination=True)
    post = funding.coordination_funding(table, date(2026, 9, 1))
    assert (post.lines, post.running, post.ends, post.open_ended) == (2, 1, date(2027, 6, 30), False)
    assert post.per_year == pytest.approx(40_000)
    levels = funding.alerts(table, date(2026, 9, 1)).set_index("code")["niveau"]
    assert levels.to_dict() == {"financement_fin_proche": "vigilance"}  # 31/12/2026 is relayed by the next line
    levels = funding.alerts(table, date(2027, 2, 1))
    assert levels.loc[levels["code"] == "financement_fin_proche", "niveau"].tolist() == ["alerte"]


def test_a_coordination_post_whose_funding_has_ended_is_an_alerte():
    table = funding.add(funding.empty(), "AMI PTCE", 60_000, "2024-02-01", "2026-01-31", poste_coordination=True)
    assert "coordination_sans_financement" not in codes(funding.alerts(table, date(2026, 1, 31)))
    alert = funding.alerts(table, date(2026, 2, 1)).set_index("code").loc["coordination_sans_financement"]
    assert alert["niveau"] == "alerte" and "31/01/2026" in alert["chiffres"] and "Institut Godin" in alert["message"]


def test_a_date_damaged_in_the_file_is_an_alerte_not_a_crash():
    table = funding.read(pd.DataFrame({"id": [1], "source": ["Région"], "fin": ["bientôt"]}))
    alerts = funding.alerts(table, ON)
    assert codes(alerts) == ["financement_illisible"] and "bientôt" in alerts["chiffres"].iloc[0]


# --- formalisation, governance bodies, place -------------------------------------------------------------

def test_formalisation_bodies_and_place_are_separate_answers_and_nothing_is_preset():
    project = Project(name="p")
    set_profile_field(project, "formalisation", "association")
    set_profile_field(project, "instances", ["comité de pilotage", "espaces informels du noyau dur"])
    set_profile_field(project, "lieu", True)
    set_profile_field(project, "lieu_modalites", "location à loyer modéré")
    set_profile_field(project, "lieu_fourni_par", "  Mairie de Montargis ")
    prof = project.profile
    assert prof["formalisation"] == "association" and prof["instances"] == ["comité de pilotage", "espaces informels du noyau dur"]
    assert prof["lieu"] is True and prof["lieu_fourni_par"] == "Mairie de Montargis" and prof.get("tiers_lieu") is None
    with pytest.raises(ProjectError, match="Instance de gouvernance inconnue"):
        set_profile_field(project, "instances", ["conseil des sages"])
    with pytest.raises(ProjectError, match="Valeur inconnue"):
        set_profile_field(project, "formalisation", "SARL")
    with pytest.raises(ProjectError, match="oui, non"):
        set_profile_field(project, "tiers_lieu", "peut-être")
    assert prof["formalisation"] == "association"  # a refused answer leaves the previous one


@pytest.mark.parametrize(("old", "level"), [("aucune", 0), ("portage par une structure existante", 0), ("association", 1), ("SCIC", 2)])
def test_the_old_single_governance_answer_becomes_a_formalisation_level(old, level):
    upgraded = governance.upgrade_profile({"gouvernance": old, "fonctions": ["coordination", "ingénierie"], "tiers_lieu": True})
    assert upgraded["formalisation"] == governance.FORMALISATION[level]
    assert "gouvernance" not in upgraded and upgraded["fonctions"] == ["coordination", "ingénierie"]  # kept as written
    assert upgraded["lieu"] is True and upgraded["tiers_lieu"] is True


def test_an_old_value_outside_the_vocabulary_is_kept_as_written():
    upgraded = governance.upgrade_profile({"gouvernance": "GIP", "tiers_lieu": False})
    assert upgraded["formalisation"] == "GIP" and upgraded.get("lieu") is None and upgraded["tiers_lieu"] is False


# --- in the project GeoPackage: round trip, old profiles, snapshots, export ---------------------------------

def filled_project() -> Project:
    actors = gpd.GeoDataFrame({"nom": ACTORS}, geometry=gpd.points_from_xy([2.73, 2.74, 2.75], [48.0, 48.0, 48.0]), crs=4326)
    project = Project(name="Rond", actors=actors)
    table = fn.add(fn.empty(), ACTORS, "coordination", "Ressourcerie du Val", fn.OWN_STRUCTURE, 0.8)
    project.tables[fn.LAYER] = fn.add(table, ACTORS, "ingénierie", "Coop Bois", "Mairie de Montargis", None, "à préciser")
    money = funding.add(funding.empty(), "Région", 40_000, "2026-01-01", "2026-12-31", "2026-10-15", "subvention publique", True)
    project.tables[funding.LAYER] = funding.add(money, "Ventes", 12_500.5, nature=funding.OWN_RESOURCES, poste_coordination=False)
    set_profile_field(project, "formalisation", governance.FORMALISATION[2])
    set_profile_field(project, "instances", ["comité de pilotage"])
    set_profile_field(project, "lieu", False)
    return project


def test_functions_funding_and_profile_survive_the_geopackage(tmp_path):
    path = save_project(filled_project(), tmp_path / "rond.gpkg")
    with sqlite3.connect(path) as con:  # read back without the code under test
        rows = con.execute("SELECT fonction, titulaire, structure, etp FROM fonctions ORDER BY id").fetchall()
        assert rows == [("coordination", "Ressourcerie du Val", fn.OWN_STRUCTURE, 0.8), ("ingénierie", "Coop Bois", "Mairie de Montargis", None)]
        money = con.execute("SELECT source, montant, debut, fin, echeance, poste_coordination FROM financements ORDER BY id").fetchall()
        assert money == [("Région", 40000.0, "2026-01-01", "2026-12-31", "2026-10-15", 1.0), ("Ventes", 12500.5, "", "", "", 0.0)]
    back = open_project(path)
    assert back.tables[fn.LAYER].equals(filled_project().tables[fn.LAYER])
    assert back.tables[funding.LAYER].equals(filled_project().tables[funding.LAYER])
    assert back.profile["formalisation"] == governance.FORMALISATION[2] and back.profile["instances"] == ["comité de pilotage"]
    assert back.profile["lieu"] is False and back.profile["tiers_lieu"] is None


def test_a_schema_2_profile_opens_in_the_new_fields(tmp_path):
    path = save_project(Project(name="Ancien"), tmp_path / "ancien.gpkg")
    with sqlite3.connect(path) as con:  # as schema 2 wrote it: one « gouvernance » answer, a list of functions, a tiers-lieu toggle
        con.execute("DELETE FROM profil")
        con.executemany("INSERT INTO profil (cle, valeur) VALUES (?, ?)",
                        [("gouvernance", '"SCIC"'), ("fonctions", '["coordination"]'), ("tiers_lieu", "true")])
    back = open_project(path)
    assert back.profile["formalisation"] == governance.FORMALISATION[2] and "gouvernance" not in back.profile
    assert back.profile["lieu"] is True and back.profile["fonctions"] == ["coordination"]


def test_snapshots_and_the_export_carry_functions_and_funding(tmp_path):
    project = filled_project()
    content = snapshot_summary(project.tables)  # what snapshot_content keeps under « collectif »
    assert content[fn.LAYER]["lignes"] == 2 and content[fn.LAYER]["etp (total)"] == pytest.approx(0.8)
    assert content[fn.LAYER]["fonction : ingénierie"] == 1 and content[funding.LAYER]["montant (total)"] == pytest.approx(52_500.5)
    path = save_project(project, tmp_path / "rond.gpkg")
    run = subprocess.run([sys.executable, "-m", "ptce_geo", "project", "export", str(path), "--out", str(tmp_path / "csv")],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    functions_csv = pd.read_csv(tmp_path / "csv" / "fonctions.csv", dtype=str, keep_default_na=False)
    assert functions_csv[["fonction", "titulaire", "etp"]].values.tolist() == [["coordination", "Ressourcerie du Val", "0.8"],
                                                                             ["ingénierie", "Coop Bois", ""]]
    money = pd.read_csv(tmp_path / "csv" / "financements.csv", dtype=str, keep_default_na=False)
    assert money["source"].tolist() == ["Région", "Ventes"] and money["montant"].tolist() == ["40000.0", "12500.5"]


def test_the_dossier_shows_the_new_answers_and_no_preset_one():
    rows = dict(project_section(Project(name="neuf"))["profile"])
    assert rows["Tiers-lieu"] == "—" and rows["Lieu"] == "—" and rows["Type"] == "—" and rows["Formalisation"] == "—"
    assert rows["Financements"] == "—"
    rows = dict(project_section(filled_project())["profile"])
    assert rows["Formalisation"] == governance.FORMALISATION[2] and rows["Instances de gouvernance"] == "comité de pilotage"
    assert rows["Lieu"] == "non" and rows["Tiers-lieu"] == "—"
    assert rows["Fonctions techniques"].startswith("coordination : 1 titulaire, 0,80 ETP; animation : 0 titulaire, — ETP")
    assert rows["Financements"] == "2 lignes, 52\u202f500 € au total"  # 40 000 + 12 500,5 rounded to the euro
