"""The collective read from the inventory: interest × involvement, the guide's correspondence, the drift alert,
compétences / problématiques and their crossing by theme, visions. Hand-made inventories; expected figures
counted by hand (written in each test) or with plain pandas, never with the code under test."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from ptce_geo.cli import main
from ptce_geo.collective import projects
from ptce_geo.collective.actor_schema import INTERESTS, SIAE, THEMES
from ptce_geo.collective.actors import read_actors, validate_actors
from ptce_geo.collective.analysis import (
    DRIFT_CODE,
    DRIFT_SHARE_PCT,
    drift_alerts,
    frequencies,
    interest_involvement,
    interest_level,
    needs_and_competences,
    off_correspondence,
    visions_by_theme,
)
from ptce_geo.collective.profile import MARKER_SCALE_NOTE, STAGES, marker_scores
from ptce_geo.project import MATURITY_MARKERS, Project, open_project, save_project

OWN, THEME, TERRITORY = INTERESTS


def inventory(rows: list[tuple]) -> pd.DataFrame:
    columns = ["nom", "implication", "interet", "thematiques", "competences", "problematiques", "vision"]
    frame = pd.DataFrame([row + (None,) * (len(columns) - len(row)) for row in rows], columns=columns)
    frame.index = pd.Index(range(2, 2 + len(frame)), name="ligne")
    return frame


COLLECTIVE = inventory([
    ("Ressourcerie", "noyau dur", TERRITORY, "réemploi; mobilité", "collecte; réparation", "locaux trop petits", "Un territoire sans déchet"),
    ("Garage solidaire", "noyau dur", OWN, "mobilité", "réparation automobile", "manque de véhicules", "Se déplacer sans voiture à soi"),
    ("Mairie", "cellule de pilotage", TERRITORY, "mobilité; habitat", "foncier", None, None),
    ("Épicerie", "groupe thématique", THEME, "alimentation", "vente", "approvisionnement local", "Manger local"),
    ("Maraîcher", "groupe projet", TERRITORY, "alimentation", None, "approvisionnement local; logistique", None),
    ("Traiteur", "groupe projet", OWN, "alimentation", "cuisine", None, None),
    ("Banque", "non impliqué", None, "habitat", "financement", "foncier", None),
    ("Inconnu", "groupe thématique", None, None, "logistique", "locaux trop petits", "Mutualiser"),
])


def test_the_highest_level_is_the_actor_s_interest():
    assert interest_level(f"{OWN}; {TERRITORY}") == TERRITORY
    assert interest_level(f"{THEME}; {OWN}") == THEME
    assert interest_level(None) is None
    assert interest_level("autre chose") is None


def test_interest_by_involvement_counts_each_actor_once():
    table = interest_involvement(COLLECTIVE).set_index("implication")
    expected = pd.crosstab(COLLECTIVE["implication"], COLLECTIVE["interet"].fillna("non renseigné"))  # plain pandas
    for space, row in expected.iterrows():
        for interest, n in row.items():
            assert table.loc[space, interest] == n, (space, interest)
    assert table.loc["noyau dur", "total"] == 2 and table.loc["total", "total"] == 8
    assert table.loc["total", OWN] == 2 and table.loc["total", "non renseigné"] == 2
    assert list(table.index[:4]) == ["noyau dur", "cellule de pilotage", "groupe thématique", "groupe projet"]


def test_actors_off_the_guide_s_correspondence():
    off = off_correspondence(COLLECTIVE).set_index("nom")
    # by hand: the garage (own activity in the noyau dur) is below; the maraîcher (territory in a project group) beyond;
    # the traiteur (own activity, project group) and the others match; « Inconnu » has no interest
    assert sorted(off.index) == ["Garage solidaire", "Maraîcher"]
    assert off.loc["Garage solidaire", "ecart"] == "en deçà" and off.loc["Garage solidaire", "interet_attendu"] == TERRITORY
    assert off.loc["Maraîcher", "ecart"] == "au-delà" and off.loc["Maraîcher", "interet_attendu"] == OWN
    assert off.loc["Garage solidaire", "ligne"] == 3


def steering(own: int, other: int, unknown: int = 0) -> pd.DataFrame:
    rows = [(f"P{i}", "noyau dur" if i % 2 else "cellule de pilotage", OWN) for i in range(own)]
    rows += [(f"T{i}", "cellule de pilotage", TERRITORY) for i in range(other)]
    rows += [(f"U{i}", "noyau dur", None) for i in range(unknown)]
    rows += [(f"G{i}", "groupe projet", OWN) for i in range(10)]  # project groups are outside the measure
    return inventory(rows)


def test_drift_alert_at_its_boundary():
    assert DRIFT_SHARE_PCT == 50.0
    at = drift_alerts(steering(1, 1))  # 1 of 2 = 50 %: the threshold itself raises it
    assert [a["code"] for a in at] == [DRIFT_CODE]
    assert at[0]["niveau"] == "alerte" and at[0]["chiffres"].startswith("1 sur 2 ") and "(50 %" in at[0]["chiffres"]
    assert drift_alerts(steering(49, 51)) == []  # 49 %: just below
    assert drift_alerts(steering(50, 50))  # 50 of 100
    assert drift_alerts(steering(0, 3)) == []


def test_drift_ignores_unknown_interests_and_says_how_many():
    alert = drift_alerts(steering(1, 1, unknown=5))
    assert alert and "1 sans intérêt" not in alert[0]["chiffres"] and "5 sans intérêt renseigné" in alert[0]["chiffres"]
    assert drift_alerts(steering(0, 0, unknown=3)) == []  # no interest known: nothing to judge


def long_counts(column: str) -> pd.Series:
    """Actors naming each item, in plain pandas."""
    items = COLLECTIVE[column].dropna().str.split(";").explode().str.strip()
    return items.groupby(level=0).unique().explode().value_counts()


@pytest.mark.parametrize("column", ["competences", "problematiques"])
def test_frequencies_count_actors(column):
    table = frequencies(COLLECTIVE, column)
    name = column.removesuffix("s")
    got = table.set_index(name)["acteurs"]
    expected = long_counts(column)
    assert got.sort_index().to_dict() == expected.sort_index().to_dict()
    assert table["acteurs"].is_monotonic_decreasing


def test_problem_frequencies_by_hand():
    table = frequencies(COLLECTIVE, "problematiques").set_index("problematique")
    # locaux trop petits: Ressourcerie + Inconnu, both involved; foncier: Banque only, not involved
    assert table.loc["locaux trop petits", ["acteurs", "impliques"]].tolist() == [2, 2]
    assert table.loc["foncier", ["acteurs", "impliques"]].tolist() == [1, 0]
    assert table.loc["foncier", "part_pct"] == pytest.approx(100 / 8, abs=0.05)


def test_problems_crossed_with_competences_by_theme():
    cross = needs_and_competences(COLLECTIVE).set_index(["thematique", "problematique"])
    # mobilité: the garage's problem can be met by the ressourcerie and the mairie (involved, same theme)
    row = cross.loc[("mobilité", "manque de véhicules")]
    assert row["couverture"] == "compétences disponibles"
    assert row["competences_disponibles"] == "collecte; foncier; réparation"
    assert row["acteurs_ressources"] == "Mairie; Ressourcerie"
    # alimentation: épicerie (vente) and traiteur (cuisine) are involved and on the theme
    row = cross.loc[("alimentation", "approvisionnement local")]
    assert row["acteurs_concernes"] == 2 and row["porte_par"] == "Épicerie; Maraîcher"
    assert row["acteurs_ressources"] == "Traiteur"  # each raiser's own skills do not answer its problem; épicerie raised it
    # alimentation « logistique »: raised by the maraîcher; épicerie and traiteur hold skills
    assert cross.loc[("alimentation", "logistique"), "acteurs_ressources"] == "Épicerie; Traiteur"
    # habitat: the bank raises « foncier »; the mairie (involved, habitat) holds « foncier »
    assert cross.loc[("habitat", "foncier"), "couverture"] == "compétences disponibles"
    # the actor without theme cannot be matched
    assert cross.loc[("non renseigné", "locaux trop petits"), "couverture"] == "thématique non renseignée"


def test_an_unmet_need():
    alone = inventory([("A", "noyau dur", TERRITORY, "énergie", None, "raccordement"),
                       ("B", "non impliqué", None, "énergie", "électricité"),  # not in the collective
                       ("C", "groupe projet", OWN, "mobilité", "électricité")])  # other theme
    cross = needs_and_competences(alone)
    assert cross[["thematique", "problematique", "couverture"]].values.tolist() == [["énergie", "raccordement", "besoin non couvert"]]


def test_visions_by_theme():
    visions = visions_by_theme(COLLECTIVE)
    # by hand: Ressourcerie under réemploi and mobilité, Garage under mobilité, Épicerie under alimentation, Inconnu unthemed
    assert visions[["thematique", "nom"]].values.tolist() == [
        ["alimentation", "Épicerie"], ["mobilité", "Garage solidaire"], ["mobilité", "Ressourcerie"],
        ["non renseigné", "Inconnu"], ["réemploi", "Ressourcerie"]]


def test_one_theme_list_for_actors_and_findings(tmp_path):
    assert projects.FINDING_THEMES is THEMES
    old = Project(name="ancien")
    for theme in ("Logement", "Emploi et activité", "Transition écologique", "Foncier et locaux", "Autre chose", ""):
        old.add_finding(f"constat {theme}", theme=theme, auteur="", date="2025-01-01", communes=[], epci=[])  # as an older version wrote it
    path = save_project(old, tmp_path / "ancien.gpkg")
    with sqlite3.connect(path) as db:  # the file keeps the old spelling
        assert {r[0] for r in db.execute("select theme from constats")} >= {"Logement", "Emploi et activité"}
    themes = open_project(path).findings["theme"].tolist()
    assert themes == ["habitat", "emploi-insertion", "environnement", "foncier et locaux", "Autre chose", ""]


def test_findings_counted_in_the_crossing_by_theme():
    findings = pd.DataFrame({"theme": ["Mobilité", "mobilité", "Logement", "alimentation"]})
    cross = needs_and_competences(COLLECTIVE, findings).set_index(["thematique", "problematique"])["constats_partages"]
    # by hand: two findings on mobilité (one in the old capitalised spelling), one habitat (« Logement »), one alimentation
    assert cross[("mobilité", "manque de véhicules")] == 2
    assert cross[("habitat", "foncier")] == 1
    assert cross[("alimentation", "logistique")] == 1
    assert cross[("non renseigné", "locaux trop petits")] == 0


def test_an_inventory_without_interests_or_lists():
    bare = inventory([("A", "noyau dur"), ("B", "non impliqué")])
    assert off_correspondence(bare).empty and drift_alerts(bare) == []
    assert frequencies(bare, "competences").empty and needs_and_competences(bare).empty and visions_by_theme(bare).empty
    assert interest_involvement(bare).set_index("implication").loc["total", "non renseigné"] == 2
    empty = inventory([])
    assert off_correspondence(empty).empty and interest_involvement(empty).set_index("implication").loc["total", "total"] == 0


def test_diagnose_with_actors_writes_the_collective_tables(tmp_path, embedded_root):
    # Montargis 45208 and Amilly 45004; noyau dur + cellule de pilotage: 2 of 3 want to develop their activity (67 % ≥ 50 %)
    (tmp_path / "acteurs.csv").write_text(
        "nom;type_structure;implication;interet;thematiques;competences;problematiques;vision;code_commune\n"
        f"Ressourcerie;association;noyau dur;{TERRITORY};réemploi;collecte;locaux trop petits;Zéro déchet;45208\n"
        f"Garage;entreprise;noyau dur;{OWN};mobilité;réparation;manque de véhicules;;45004\n"
        f"Traiteur;SCOP;cellule de pilotage;{OWN};alimentation;cuisine;;;45208\n"
        f"Mairie;collectivité;groupe projet;{THEME};mobilité;foncier;;;45004\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["diagnose", "--communes", "45208,45004", "--actors", str(tmp_path / "acteurs.csv"), "--out", str(out),
                 "--data-dir", str(embedded_root)]) == 0
    for stem in ("acteurs_interet_implication", "acteurs_competences", "acteurs_problematiques", "acteurs_problematiques_competences"):
        assert (out / f"{stem}.csv").is_file(), stem
    table = pd.read_csv(out / "acteurs_interet_implication.csv", sep=None, engine="python").set_index("implication")
    assert table.loc["noyau dur", OWN] == 1 and table.loc["cellule de pilotage", OWN] == 1 and table.loc["total", "total"] == 4
    skills = pd.read_csv(out / "acteurs_competences.csv", sep=None, engine="python")
    assert sorted(skills["competence"]) == ["collecte", "cuisine", "foncier", "réparation"]
    cross = pd.read_csv(out / "acteurs_problematiques_competences.csv", sep=None, engine="python").set_index("problematique")
    assert cross.loc["manque de véhicules", "acteurs_ressources"] == "Mairie"  # the other involved actor on mobilité
    assert cross.loc["locaux trop petits", "couverture"] == "besoin non couvert"
    alerts = pd.read_csv(out / "acteurs_alertes.csv", sep=None, engine="python").set_index("code")
    assert alerts.loc[DRIFT_CODE, "chiffres"].startswith("2 sur 3 acteurs") and "67 %" in alerts.loc[DRIFT_CODE, "chiffres"]
    assert "collectif_sans_ess" not in alerts.index and len(alerts) > 1  # the other alerts stay in the same file


def test_the_profile_has_no_preset_answer_and_the_guide_s_stages(tmp_path):
    fresh = Project(name="neuf")
    assert fresh.profile["type_ptce"] is None and fresh.profile["stade"] is None and fresh.profile["formalisation"] is None
    assert fresh.profile["tiers_lieu"] is None and fresh.profile["lieu"] is None and fresh.profile["instances"] == []
    assert fresh.profile["marqueurs"] == {}
    assert [level for _, _, level in marker_scores(fresh.profile)] == ["non évalué"] * 6
    assert STAGES == ("émergent", "existant", "historique") and "propre à l'application" in MARKER_SCALE_NOTE
    assert len(MATURITY_MARKERS) == 6 and "hétérogénéité" in MATURITY_MARKERS["pluralite"]
    old = Project(name="ancien")
    old.profile["stade"] = "en développement"  # as an older version wrote it
    path = save_project(old, tmp_path / "ancien.gpkg")
    with sqlite3.connect(path) as db:
        assert db.execute("select valeur from profil where cle = 'stade'").fetchone()[0] == '"en développement"'
    reread = open_project(path).profile
    assert reread["stade"] == "existant" and reread["type_ptce"] is None


def validated(embedded, text: str):
    raw = read_actors(text.encode("utf-8"), "acteurs.csv")
    return validate_actors(raw, embedded.communes, departements=embedded.departements)


def test_one_interest_level_per_actor_the_highest_kept(embedded):
    actors, report = validated(embedded, "nom;interet;commune\n"
                                         f"A;\"{OWN} ; {TERRITORY}\";45208\n"
                                         f"B;{THEME};45208\n"
                                         f"C;{OWN}, {THEME};45208\n")
    assert actors["interet"].tolist() == [TERRITORY, THEME, THEME]
    messages = report.set_index("nom")["messages"]
    assert f"le plus élevé retenu « {TERRITORY} »" in messages["A"] and f"le plus élevé retenu « {THEME} »" in messages["C"]
    assert "plusieurs intérêts" not in messages["B"]


def test_the_law_s_partners_are_kinds_and_siae_is_not_ess_by_default(embedded):
    actors, report = validated(embedded, "nom;type_structure;ess;commune\n"
                                         "Chantier;ACI;;45208\nLabo;laboratoire;;45208\nFac;université;;45208\n"
                                         "CFA;CFA;;45208\nVoisins;collectif d'habitants;;45208\nEI;SIAE;oui;45208\n")
    kinds = actors.set_index("nom")["type_structure"]
    assert kinds.to_dict() == {"Chantier": SIAE, "Labo": "centre de recherche", "Fac": "enseignement supérieur et recherche",
                               "CFA": "organisme de formation", "Voisins": "habitants ou collectif citoyen", "EI": SIAE}
    ess = actors.set_index("nom")["ess"]
    assert pd.isna(ess["Chantier"]) and bool(ess["EI"]) is True  # asked, never deduced
    messages = report.set_index("nom")["messages"]
    assert "à préciser" in messages["Chantier"] and "à préciser" not in messages["EI"]


def test_a_prospect_is_a_contact_status_not_an_involvement(embedded):
    actors, report = validated(embedded, "nom;implication;statut_contact;commune\n"
                                         "A;à contacter;;45208\nB;potentiel;;45208\nC;non impliqué;rencontré;45208\n"
                                         "D;noyau dur;Contact pris;45208\nE;identifié;;45208\n")
    rows = actors.set_index("nom")
    assert rows["statut_contact"].tolist() == ["à contacter", "potentiel", "rencontré", "contacté", "potentiel"]
    assert pd.isna(rows.loc["A", "implication"]) and pd.isna(rows.loc["B", "implication"]) and pd.isna(rows.loc["E", "implication"])
    assert rows.loc["C", "implication"] == "non impliqué" and rows.loc["D", "implication"] == "noyau dur"
    assert "statut de contact" in report.set_index("nom").loc["A", "messages"]
