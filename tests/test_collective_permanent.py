"""Rules of groups, activity projects, meetings and contacts (``ptce_geo.collective``): refusals at their boundaries,
references to structures, the widening of the collective and the evidence beside the maturity markers."""

import math

import geopandas as gpd
import pandas as pd
import pytest

from ptce_geo.collective import tables as ct
from ptce_geo.collective.activities import INNOVATION_CRITERIA, STATUSES, activity_counts, activity_points, criteria_counts
from ptce_geo.collective.evidence import marker_evidence, shared_by
from ptce_geo.collective.groups import memberships
from ptce_geo.collective.meetings import actor_history, contact_status, widening
from ptce_geo.errors import CollectiveError, ProjectError
from ptce_geo.project import MATURITY_MARKERS, Project

NAMES = ["Asso du Val", "Ressourcerie", "Mairie de Val", "Lycée agricole"]


@pytest.fixture
def empty() -> dict:
    return ct.empty_tables()


def test_guide_vocabularies():
    assert STATUSES == ("idée", "étude", "expérimentation", "en cours", "arrêté")
    assert len(INNOVATION_CRITERIA) == 8 and "co-construction avec les bénéficiaires" in INNOVATION_CRITERIA


def test_unknown_actor_is_refused_naming_it_and_tables_unchanged(empty):
    with pytest.raises(CollectiveError, match="Membres » : acteur absent de l'inventaire : « Inconnu »") as info:
        ct.add_row(empty, "groupes", {"nom": "G", "type": "groupe projet", "membres": "Asso du Val; Inconnu"}, NAMES)
    assert isinstance(info.value, ProjectError) and "Rien n'a été enregistré" in str(info.value)
    assert empty["groupes"].empty
    with pytest.raises(CollectiveError, match="Structures participantes » : acteur absent"):
        ct.add_row(empty, "rencontres", {"date": "2025-01-01", "type": "collective", "participants": "Personne"}, NAMES)


def test_every_problem_is_reported_at_once(empty):
    with pytest.raises(CollectiveError) as info:
        ct.add_row(empty, "projets_activite", {"statut": "lancé", "emplois": -1, "porteur": "X"}, NAMES)
    text = str(info.value)
    assert "« Nom du projet » est obligatoire" in text and "« lancé » n'est pas une valeur possible" in text
    assert "ne peut pas être inférieur à 0" in text and "« Structure porteuse » : acteur absent" in text


@pytest.mark.parametrize(("start", "end", "ok"), [("2025-03-01", "2025-03-01", True), ("2025-03-01", "2025-02-28", False),
                                                  ("2025-03-01", "", True)])
def test_dates_in_order_boundary(empty, start, end, ok):
    values = {"nom": "P", "statut": "idée", "date_debut": start, "date_fin": end}
    if ok:
        assert len(ct.add_row(empty, "projets_activite", values, NAMES)["projets_activite"]) == 1
    else:
        with pytest.raises(CollectiveError, match=r"« Fin » \(2025-02-28\) précède « Début » \(2025-03-01\)"):
            ct.add_row(empty, "projets_activite", values, NAMES)


@pytest.mark.parametrize(("jobs", "ok"), [(0, True), (-0.01, False), (0.5, True)])
def test_jobs_cannot_be_negative(empty, jobs, ok):
    values = {"nom": "P", "statut": "idée", "emplois": jobs}
    if ok:
        assert ct.add_row(empty, "projets_activite", values, NAMES)["projets_activite"].loc[0, "emplois"] == jobs
    else:
        with pytest.raises(CollectiveError, match="Emplois créés"):
            ct.add_row(empty, "projets_activite", values, NAMES)


@pytest.mark.parametrize(("lat", "ok"), [(51.2, True), (51.21, False), (-21.5, True), (-21.51, False)])
def test_location_must_be_in_france(empty, lat, ok):
    values = {"nom": "P", "statut": "idée", "latitude": lat, "longitude": 2.0}
    if ok:
        points = activity_points(ct.add_row(empty, "projets_activite", values, NAMES))
        assert points.geometry.iloc[0].y == lat and points.crs.to_epsg() == 4326
    else:
        with pytest.raises(CollectiveError, match="Latitude"):
            ct.add_row(empty, "projets_activite", values, NAMES)


def test_unknown_finding_date_text_and_criteria_are_refused(empty):
    with pytest.raises(CollectiveError, match="constat inconnu : « 2 »"):
        ct.add_row(empty, "rencontres", {"date": "2025-01-01", "type": "collective", "participants": NAMES[0], "constats": "1; 2"}, NAMES, [1])
    with pytest.raises(CollectiveError, match="date « 31/01/2025 » illisible"):
        ct.add_row(empty, "rencontres", {"date": "31/01/2025", "type": "collective", "participants": NAMES[0]}, NAMES)
    with pytest.raises(CollectiveError, match="« rentable » n'est pas une valeur possible"):
        ct.add_row(empty, "projets_activite", {"nom": "P", "statut": "idée", "criteres_innovation": "accessibilité accrue; rentable"}, NAMES)
    with pytest.raises(CollectiveError, match="renseignez au moins « Statut de contact » ou « Espace d'implication »"):
        ct.add_row(empty, "contacts", {"acteur": NAMES[0], "date": "2025-01-01"}, NAMES)


def test_a_group_cited_by_a_meeting_cannot_be_deleted(empty):
    tables = ct.add_row(empty, "groupes", {"nom": "G", "type": "groupe projet"}, NAMES)
    tables = ct.add_row(tables, "rencontres", {"date": "2025-01-01", "type": "collective", "participants": NAMES[0], "groupe": 1}, NAMES)
    with pytest.raises(CollectiveError, match="cite encore l'élément n° 1"):
        ct.delete_rows(tables, "groupes", [1])
    tables = ct.delete_rows(tables, "rencontres", [1])
    assert ct.delete_rows(tables, "groupes", [1])["groupes"].empty


def test_replace_rows_checks_the_edited_table(empty):
    tables = ct.add_row(empty, "groupes", {"nom": "G", "type": "groupe projet", "membres": NAMES[0]}, NAMES)
    edited = tables["groupes"].copy()
    edited.loc[0, "membres"] = "Asso du Val; Fantôme"
    with pytest.raises(CollectiveError, match="Fantôme"):
        ct.replace_rows(tables, "groupes", edited, NAMES)
    edited.loc[0, "membres"] = "Asso du Val; Ressourcerie"
    assert ct.replace_rows(tables, "groupes", edited, NAMES)["groupes"].loc[0, "membres"] == "Asso du Val; Ressourcerie"


def test_dangling_lists_each_reference_to_a_removed_structure(empty):
    tables = ct.add_row(empty, "groupes", {"nom": "G", "type": "groupe projet", "animateur": NAMES[2], "membres": "; ".join(NAMES[:3])}, NAMES)
    gone = ct.dangling(tables, NAMES[:2])
    assert gone[["colonne", "valeur"]].values.tolist() == [["Structure animatrice", NAMES[2]], ["Membres", NAMES[2]]]
    assert ct.dangling(tables, NAMES).empty


def test_memberships_counts_an_actor_in_several_groups(empty):
    tables = ct.add_row(empty, "groupes", {"nom": "B", "type": "groupe projet", "membres": "Asso du Val; Ressourcerie"}, NAMES)
    tables = ct.add_row(tables, "groupes", {"nom": "A", "type": "groupe thématique", "membres": "Asso du Val"}, NAMES)
    got = memberships(tables).set_index("acteur")
    assert got.loc["Asso du Val", "groupes"] == 2 and got.loc["Asso du Val", "noms"] == "A; B"
    assert got.loc["Ressourcerie", "groupes"] == 1 and "Mairie de Val" not in got.index


def _log() -> dict:
    tables = ct.empty_tables()
    for values in ({"acteur": "Asso du Val", "date": "2025-01-10", "implication": "noyau dur"},
                   {"acteur": "Ressourcerie", "date": "2025-01-10", "statut": "à contacter"},
                   {"acteur": "Ressourcerie", "date": "2025-03-01", "implication": "groupe projet"},
                   {"acteur": "Asso du Val", "date": "2025-04-01", "implication": "non impliqué"}):
        tables = ct.add_row(tables, "contacts", values, NAMES)
    return ct.add_row(tables, "rencontres", {"date": "2025-02-01", "type": "collective", "objet": "Lancement",
                                             "participants": "Ressourcerie; Mairie de Val"}, NAMES)


def test_widening_by_date_counted_by_hand():
    got = widening(_log())
    # 10/01: Asso (noyau dur) and Ressourcerie followed, nobody met, one involved
    # 01/02: the meeting adds Mairie; Ressourcerie and Mairie met; still one involved
    # 01/03: Ressourcerie joins a groupe projet: two involved
    # 01/04: Asso leaves (non impliqué): one involved
    assert got.values.tolist() == [["2025-01-10", 2, 0, 1], ["2025-02-01", 3, 2, 1], ["2025-03-01", 3, 2, 2], ["2025-04-01", 3, 2, 1]]


def test_contact_status_and_history():
    status = contact_status(_log()).set_index("acteur")
    assert status.loc["Ressourcerie", ["statut", "statut_depuis", "implication", "implication_depuis", "entrees"]].tolist() == [
        "rencontré", "2025-02-01", "groupe projet", "2025-03-01", 3]
    assert status.loc["Asso du Val", "implication"] == "non impliqué" and status.loc["Asso du Val", "statut"] == ""
    history = actor_history(_log(), "Ressourcerie")
    assert history["date"].tolist() == ["2025-01-10", "2025-02-01", "2025-03-01"]
    assert history.loc[1, "rencontre"] == "rencontre collective n° 1 : Lancement"


def test_activity_counts_and_criteria(empty):
    tables = empty
    rows = (("A", "en cours", 2.0, "accessibilité accrue"), ("B", "en cours", 1.5, "accessibilité accrue; différent de l'existant"),
            ("C", "idée", None, ""))
    for name, status, jobs, crit in rows:
        tables = ct.add_row(tables, "projets_activite", {"nom": name, "statut": status, "emplois": jobs, "criteres_innovation": crit}, NAMES)
    counts = activity_counts(tables).set_index("statut")
    assert counts["projets"].to_dict() == {"idée": 1, "étude": 0, "expérimentation": 0, "en cours": 2, "arrêté": 0}
    assert counts.loc["en cours", "emplois_etp"] == 3.5 and math.isnan(counts.loc["idée", "emplois_etp"])
    crit = criteria_counts(tables).set_index("critere")["projets"]
    assert crit["accessibilité accrue"] == 2 and crit["différent de l'existant"] == 1 and crit.sum() == 3


def test_finding_linked_to_structures_and_unknown_refused():
    p = Project("P")
    p.actors = gpd.GeoDataFrame({"nom": NAMES}, geometry=gpd.points_from_xy([2.0] * 4, [49.0] * 4), crs=4326)
    p.add_finding("Pas de bus", souleve_par=NAMES[0], partage_par=[NAMES[1], NAMES[0]])
    with pytest.raises(CollectiveError, match="« Fantôme »"):
        p.add_finding("Autre", souleve_par="Fantôme")
    assert len(p.findings) == 1
    p.add_finding("Seul", souleve_par=NAMES[2])
    assert shared_by(p.findings).tolist() == [2, 1]


def test_marker_evidence_figures_computed_independently():
    p = Project("P")
    kinds = ["association", "association", "SCIC", "collectivité", "entreprise"]
    levels = ["noyau dur", "cellule de pilotage", "groupe projet", "groupe thématique", "non impliqué"]
    p.actors = gpd.GeoDataFrame({"nom": [f"S{i}" for i in range(5)], "type_structure": kinds, "implication": levels},
                                geometry=gpd.points_from_xy([2.0] * 5, [49.0] * 5), crs=4326)
    p.add_finding("F1", theme="mobilité", souleve_par="S0", partage_par=["S1"])
    p.add_finding("F2", theme="mobilité")
    p.tables = ct.add_row(p.tables, "projets_activite", {"nom": "A", "statut": "étude", "emplois": 1.5}, p.actors["nom"])
    got = marker_evidence(p)
    assert set(got) == set(MATURITY_MARKERS)
    # Shannon entropy of the 4 involved actors' kinds (2 associations, 1 SCIC, 1 collectivité) over ln(14)
    shares = [0.5, 0.25, 0.25]
    index = -sum(s * math.log(s) for s in shares) / math.log(14)
    assert f"{index:.2f}".replace(".", ",") in got["pluralite"] and "3 types : association 2" in got["pluralite"]
    assert got["implication"].startswith("4 acteurs impliqués sur 5 : noyau dur 1, cellule de pilotage 1, groupe thématique 1, groupe projet 1, "
                                         "non impliqué 1")
    assert got["besoins"].startswith("2 constats partagés, dont 1 porté par au moins deux structures ; 1 thème")
    assert got["realisations"].startswith("1 projet d'activité (idée 0, étude 1,") and "1,5 emploi(s) ETP" in got["realisations"]
    assert "aucune donnée" in got["modelisation"]


def test_register_refuses_a_core_layer_and_a_second_spec_for_a_layer():
    with pytest.raises(ValueError):
        ct.register(ct.Table("profil", "Profil", (ct.Field("x", "X"),)))
    with pytest.raises(ValueError):
        ct.register(ct.Table("groupes", "Autre", (ct.Field("x", "X"),)))
    pd.testing.assert_frame_equal(ct.table("groupes").empty(), ct.empty_tables()["groupes"])


def test_activity_layer_escapes_names_and_loads_no_plugin(empty):
    import folium

    from ptce_geo.collective.actors_map import activity_layer

    tables = ct.add_row(empty, "projets_activite", {"nom": "<script>alert(1)</script>", "statut": "idée", "latitude": 49.0, "longitude": 2.0},
                        NAMES)
    layer = activity_layer(activity_points(tables))
    m = folium.Map(tiles=None)
    layer.add_to(m)
    page = m.get_root().render()
    assert layer.marker_count == 1 and "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "dvf" not in page.lower()  # RegularPolygonMarker would pull Leaflet DVF from a CDN
