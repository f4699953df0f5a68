"""Activity projects of the PTCE (« projets d'activité »): status, carrier, partners, need, social innovation, results, place.

Called *activities* in the code so as not to be confused with the project *file* (``ptce_geo.project``).
The guide (Institut Godin 2025) has projects carried directly by one of the stakeholders or by a
holder the PTCE incubates and accompanies; its chapter on social innovation (after the 2014 law on
the ESS) gives the criteria listed in ``INNOVATION_CRITERIA``, in our words.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from ..geometry import FRANCE_BOUNDS
from .tables import ACTORS, FINDINGS, Field, Table, register, split_items

__all__ = ["ACTIVITIES", "STATUSES", "CARRYING", "INNOVATION_CRITERIA", "activity_counts", "activity_points", "criteria_counts"]

STATUSES = ("idée", "étude", "expérimentation", "en cours", "arrêté")
CARRYING = ("portage direct", "porteur accompagné")
# the guide's social-innovation criteria: a need poorly or not met, observed and shared by several actors (or the
# beneficiaries), built with the beneficiaries, steered by diverse actors, coordinating their skills, drawing on their
# resources (money, provision, volunteering), bringing accessibility, and differing from what exists
INNOVATION_CRITERIA = ("besoin mal ou non satisfait", "besoin constaté et partagé", "co-construction avec les bénéficiaires",
                       "pilotage par des acteurs divers", "coordination des compétences", "ressources des acteurs mobilisées",
                       "accessibilité accrue", "différent de l'existant")
_LON = (min(b[0] for b in FRANCE_BOUNDS.values()), max(b[2] for b in FRANCE_BOUNDS.values()))
_LAT = (min(b[1] for b in FRANCE_BOUNDS.values()), max(b[3] for b in FRANCE_BOUNDS.values()))

ACTIVITIES = register(Table("projets_activite", "Projets d'activité", (
    Field("nom", "Nom du projet", required=True),
    Field("statut", "Statut", required=True, choices=STATUSES),
    Field("theme", "Thématique"),
    Field("portage", "Portage", choices=CARRYING),
    Field("porteur", "Structure porteuse", refers=ACTORS),
    Field("partenaires", "Partenaires", kind="list", refers=ACTORS),
    Field("groupe", "Groupe projet (n°)", kind="int", refers="groupes"),
    Field("besoin", "Besoin auquel il répond"),
    Field("constats", "Constats partagés (n°)", kind="list", refers=FINDINGS),
    Field("criteres_innovation", "Critères d'innovation sociale", kind="list", choices=INNOVATION_CRITERIA),
    Field("activites", "Activités créées"),
    Field("emplois", "Emplois créés (ETP)", kind="float", minimum=0, total=True),
    Field("date_debut", "Début", kind="date"),
    Field("date_fin", "Fin", kind="date"),
    Field("longitude", "Longitude", kind="float", minimum=_LON[0], maximum=_LON[1]),
    Field("latitude", "Latitude", kind="float", minimum=_LAT[0], maximum=_LAT[1]),
    Field("notes", "Notes"),
), date_order=(("date_debut", "date_fin"),),
   doc="Projets d'activité du PTCE : statut, portage, partenaires, besoin et constats liés, critères d'innovation sociale, "
       "résultats, lieu (WGS 84)."))


def activity_counts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Activity projects per status (the guide's order, every status shown), with the jobs they declare (FTE)."""
    frame = tables.get(ACTIVITIES.layer, ACTIVITIES.empty())
    grouped = frame.groupby("statut")["emplois"]
    out = pd.DataFrame({"statut": list(STATUSES)})
    out["projets"] = out["statut"].map(frame["statut"].value_counts()).fillna(0).astype("int64")
    out["emplois_etp"] = out["statut"].map(grouped.sum(min_count=1)).astype("float64")
    return out


def criteria_counts(tables: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """How many activity projects meet each social-innovation criterion of the guide (every criterion shown)."""
    frame = tables.get(ACTIVITIES.layer, ACTIVITIES.empty())
    met = pd.Series([c for cell in frame["criteres_innovation"] for c in split_items(cell)], dtype="object").value_counts()
    return pd.DataFrame({"critere": list(INNOVATION_CRITERIA),
                         "projets": [int(met.get(c, 0)) for c in INNOVATION_CRITERIA]})


def activity_points(tables: Mapping[str, pd.DataFrame]) -> gpd.GeoDataFrame:
    """The activity projects placed on the map (both coordinates given), as WGS 84 points."""
    frame = tables.get(ACTIVITIES.layer, ACTIVITIES.empty())
    placed = frame[frame["longitude"].notna() & frame["latitude"].notna()]
    return gpd.GeoDataFrame(placed.drop(columns=["longitude", "latitude"]),
                            geometry=gpd.points_from_xy(placed["longitude"], placed["latitude"]), crs=4326)
