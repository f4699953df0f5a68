"""The catalogue of official files ``data update`` downloads: one place for every URL.

Each file is named by a short id (for ``--only``), a producer host and a path relative to that
host's base URL, so a single override (``--base-url`` or ``$PTCE_GEO_BASE_URL``) serves every file
from a mirror or a test server as ``<base>/<path>``. ``expected`` lists the dataset ids the file
must yield once recognised: a file that moved and now holds something else is refused.
Kept free of heavy imports: the CLI reads it to build its help.
"""

from __future__ import annotations

import fnmatch
import os
from dataclasses import dataclass
from urllib.parse import unquote

from ..errors import DownloadError

__all__ = ["OfficialFile", "CATALOGUE", "BASES", "BASE_URL_ENV", "DEFAULT_TIMEOUT", "DEFAULT_RETRIES", "select", "url_of"]

BASE_URL_ENV = "PTCE_GEO_BASE_URL"
DEFAULT_TIMEOUT = 60.0  # seconds to connect, and between two received blocks
DEFAULT_RETRIES = 3  # further attempts after a transient failure

BASES = {
    "insee": "https://www.insee.fr/fr/statistiques/fichier",
    "etalab": "https://etalab-datasets.geo.data.gouv.fr/contours-administratifs",
    "dgcl": "https://www.collectivites-locales.gouv.fr",
    "datagouv": "https://www.data.gouv.fr",
    "files": "https://files.data.gouv.fr",  # INSEE's Sirene stock files (sources/sirene_update.py)
}
# the DGCL page « Le plan France ruralités » links this workbook (classement au 10 juillet 2025)
_FRR_PATH = ("files/files/3.%20Animer%20les%20territoires/5.%20La%20coh%C3%A9sion%20territoriale%20et%20l'am%C3%A9nagement"
             "%20du%20territoire/Liste%20communes%20FRR_juillet2025.xlsx")


@dataclass(frozen=True)
class OfficialFile:
    """One official file: where it lives, its format, and what it must contain."""

    name: str
    label: str
    host: str  # key of BASES
    path: str  # relative to the host's base URL
    kind: str  # zip | xlsx | csv | geojson
    expected: tuple[str, ...]  # dataset ids it must yield
    save_as: str = ""  # local name when the URL does not end with one (data.gouv.fr's stable resource links)

    @property
    def filename(self) -> str:
        """The file's name as saved (percent-escapes of the URL decoded)."""
        return self.save_as or unquote(self.path.rsplit("/", 1)[-1])

    def missing(self, ids: set[str]) -> list[str]:
        """The expected ids (``fnmatch`` patterns: a supra file's ids carry its year) that ``ids`` does not yield."""
        return [pattern for pattern in self.expected if not fnmatch.filter(ids, pattern)]


CATALOGUE: tuple[OfficialFile, ...] = (
    OfficialFile("comparateur", "INSEE, base du comparateur de territoires", "insee",
                 "2521169/base_cc_comparateur_csv.zip", "zip", ("insee_comparateur",)),
    OfficialFile("filosofi", "INSEE, Filosofi 2021 communes (niveau de vie, pauvreté)", "insee",
                 "7756855/indic-struct-distrib-revenu-2021-COMMUNES_csv.zip", "zip", ("insee_filosofi",)),
    # same INSEE page as the communes; name of the SUPRA zip as INSEE publishes it each year (2020: -2020-SUPRA_csv.zip)
    OfficialFile("filosofi_supra", "INSEE, Filosofi 2021 EPCI, départements, régions, France métropolitaine (valeurs publiées)",
                 "insee", "7756855/indic-struct-distrib-revenu-2021-SUPRA_csv.zip", "zip",
                 ("insee_filosofi_supra_epci_*", "insee_filosofi_supra_departement_*", "insee_filosofi_supra_region_*",
                  "insee_filosofi_supra_france_*")),
    # census vintages beyond the comparateur's two dates: the trend grows with them (ptce_geo.trends)
    OfficialFile("serie_historique", "INSEE, recensement : séries historiques depuis 1968 (communes ; population, naissances, décès)",
                 "insee", "7632565/base-cc-serie-historique-2020_csv.zip", "zip", ("insee_rp_series_historiques_*",)),
    OfficialFile("structure_age", "INSEE, recensement : évolution et structure de la population par âge (communes)", "insee",
                 "8581696/base-cc-evol-struct-pop-2022_csv.zip", "zip", ("insee_rp_structure_age_*",)),
    OfficialFile("grille_densite", "INSEE, grille communale de densité 2024 (7 niveaux)", "insee",
                 "6439600/grille_densite_7_niveaux_2024.xlsx", "xlsx", ("insee_grille_densite",)),
    OfficialFile("appartenance", "INSEE, table d'appartenance géographique des communes 2025", "insee",
                 "7671844/table-appartenance-geo-communes-2025.zip", "zip", ("cog_communes",)),
    OfficialFile("aav2020", "INSEE, zonage en aires d'attraction des villes 2020 (au 1er janvier 2025)", "insee",
                 "4803954/AAV2020_au_01-01-2025.zip", "zip", ("insee_aav2020",)),
    OfficialFile("epci", "INSEE, intercommunalités et composition communale au 1er janvier 2025", "insee",
                 "2510634/Intercommunalite_Metropole_au_01-01-2025.zip", "zip", ("cog_epci", "cog_communes")),
    OfficialFile("cog_communes", "INSEE, COG 2025 : communes (déléguées et associées -> commune)", "insee",
                 "8377162/v_commune_2025.csv", "csv", ("passage",)),
    OfficialFile("cog_departements", "INSEE, COG 2025 : départements", "insee",
                 "8377162/v_departement_2025.csv", "csv", ("cog_departements",)),
    OfficialFile("cog_regions", "INSEE, COG 2025 : régions", "insee",
                 "8377162/v_region_2025.csv", "csv", ("cog_regions",)),
    OfficialFile("contours", "Etalab, contours administratifs 2025 des communes (ADMIN EXPRESS, 1000 m)", "etalab",
                 "2025/geojson/communes-1000m.geojson", "geojson", ("contours_communes",)),
    OfficialFile("frr", "DGCL/ANCT, France Ruralités Revitalisation : classement des communes au 10 juillet 2025", "dgcl",
                 _FRR_PATH, "xlsx", ("zonage_frr", "noms_frr")),
    # data.gouv.fr « Quartiers prioritaires de la politique de la ville (QPV) » (ANCT, 26 avril 2024): stable link of its zip
    OfficialFile("qpv", "ANCT, quartiers prioritaires de la politique de la ville 2024 (contours)", "datagouv",
                 "api/1/datasets/r/942d4ee8-8142-4556-8ea1-335537ce1119", "zip", ("qpv2024",), "QP2024_contours.zip"),
)


def select(names: list[str] | str | None = None) -> list[OfficialFile]:
    """The files named (a list or ``"a,b"``), in catalogue order; every file when ``names`` is empty."""
    if isinstance(names, str):
        names = names.split(",")
    wanted = [n.strip() for n in names or [] if n.strip()]
    if not wanted:
        return list(CATALOGUE)
    known = {f.name for f in CATALOGUE}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise DownloadError(f"Jeu officiel inconnu : {', '.join(unknown)}. Jeux disponibles : {', '.join(f.name for f in CATALOGUE)}.")
    return [f for f in CATALOGUE if f.name in wanted]


def url_of(file: OfficialFile, base_url: str | None = None) -> str:
    """Full URL of ``file``: ``<base>/<path>``, the base being the override, ``$PTCE_GEO_BASE_URL`` or the producer's."""
    base = base_url or os.environ.get(BASE_URL_ENV) or BASES[file.host]
    return f"{base.rstrip('/')}/{file.path}"
