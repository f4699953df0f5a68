"""The actor inventory schema: French column names, enumerations, and tolerant matching of both.

Coordinators fill spreadsheets by hand: headers and values arrive as « Niveau d'implication »,
« NOYAU-DUR », « asso », « SARL », « Logement ». Everything is compared on a *folded* form
(no accents, lower case, punctuation as spaces), and synonyms map to one canonical French value.
A value changed by more than case or accents is reported (``exact=False``) so the user sees it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "COLUMNS",
    "INPUT_COLUMNS",
    "ACTOR_COLUMNS",
    "PERSONAL_COLUMNS",
    "REQUIRED",
    "KINDS",
    "ESS_KINDS",
    "SIAE",
    "INVOLVEMENT_LEVELS",
    "CONTACT_STATUSES",
    "INVOLVED_LEVELS",
    "NOT_INVOLVED",
    "INTERESTS",
    "THEMES",
    "Column",
    "Match",
    "fold",
    "match_column",
    "match_kind",
    "match_involvement",
    "match_contact",
    "match_interest",
    "match_theme",
    "canonical_theme",
    "parse_ess",
    "split_list",
]


_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "’": "'", "ß": "ss"})


@lru_cache(maxsize=65536)
def _fold(text: str) -> str:
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text.translate(_LIGATURES)).encode("ascii", "ignore").decode("ascii")
    return " ".join(_NON_ALNUM.sub(" ", text.lower()).split())


def fold(text: object) -> str:
    """Comparison key: no accents, lower case, ``œ``→``oe``, punctuation and spaces collapsed."""
    return "" if text is None else _fold(str(text))


def _without_brackets(text: str) -> str:
    return re.sub(r"\([^)]*\)|\[[^\]]*\]|\*", " ", str(text))


@dataclass(frozen=True)
class Column:
    """One column of the inventory: canonical French name, help text, header synonyms (folded)."""

    name: str
    label: str
    synonyms: tuple[str, ...] = ()
    keywords: tuple[str, ...] = ()  # fallback: a folded header containing one of these words


@dataclass(frozen=True)
class Match:
    """A canonical value; ``exact`` is False when it differs from the input beyond case and accents."""

    value: str | None
    exact: bool = True
    legal_form: str | None = None


# --- enumerations --------------------------------------------------------------------------------

# with the partners the law of 31 July 2014 (art. 9) names next to ESS enterprises, companies and local authorities:
# research centres, higher education and research, training bodies, inhabitants or informal citizen groups.
# An integration structure (SIAE) is its own kind: it belongs to the ESS only when it says so (ESS left unanswered).
KINDS = ("association", "SCIC", "SCOP", "autre coopérative", "entreprise de l'ESS", "structure d'insertion (SIAE)", "entreprise",
         "collectivité", "établissement public", "centre de recherche", "enseignement supérieur et recherche", "organisme de formation",
         "habitants ou collectif citoyen", "autre")
SIAE = "structure d'insertion (SIAE)"
# kinds that belong to the ESS by statute (loi n° 2014-856 du 31 juillet 2014, art. 1)
ESS_KINDS = frozenset({"association", "SCIC", "SCOP", "autre coopérative", "entreprise de l'ESS"})
ESS_LEGAL_FORMS = ("mutuelle", "fondation")

# the guide's four spaces of involvement (Institut Godin 2025), and « non impliqué » for an actor in none of them
INVOLVEMENT_LEVELS = ("noyau dur", "cellule de pilotage", "groupe thématique", "groupe projet", "non impliqué")
# where the prospection stands with an actor: a status of contact, not a space of involvement
CONTACT_STATUSES = ("potentiel", "à contacter", "contacté", "rencontré")
NOT_INVOLVED = "non impliqué"
INVOLVED_LEVELS = INVOLVEMENT_LEVELS[:-1]

# the guide's three graded levels of interest (Institut Godin 2025), lowest first: one level per actor
INTERESTS = ("développer son activité", "investir une thématique ou une filière", "agir pour l'intérêt collectif du territoire")

# one theme list for actors and shared findings, so that both can be crossed (open: other themes are kept as written);
# the themes of findings written by older versions (« Emploi et activité », « Logement »…) are read through the synonyms
THEMES = ("réemploi", "économie circulaire", "mobilité", "alimentation", "agriculture", "énergie", "emploi-insertion",
          "culture", "habitat", "foncier et locaux", "numérique", "santé", "éducation-formation", "environnement", "tourisme",
          "services à la personne", "sport", "coopération entre acteurs")

# folded synonym -> (kind, is a legal form to keep in forme_juridique)
_KIND_SYNONYMS: dict[str, tuple[str, bool]] = {
    **{k: ("association", False) for k in ("asso", "assoc", "associatif", "associative", "association loi 1901")},
    **{k: ("association", True) for k in ("loi 1901", "association 1901", "association loi 1908", "association reconnue d utilite publique")},
    **{k: ("SCIC", False) for k in ("societe cooperative d interet collectif",)},
    **{k: ("SCIC", True) for k in ("scic sas", "scic sarl", "scic sa")},
    **{k: ("SCOP", False) for k in ("societe cooperative et participative", "societe cooperative ouvriere de production")},
    **{k: ("SCOP", True) for k in ("scop sarl", "scop sa", "scop sas")},
    **{k: ("autre coopérative", False) for k in ("cooperative", "coop", "autre cooperative", "cooperative agricole",
                                                "cooperative de consommateurs", "cooperative d habitants")},
    **{k: ("autre coopérative", True) for k in ("cuma", "sca", "sica", "cae", "cooperative d activite et d emploi")},
    **{k: ("entreprise de l'ESS", False) for k in ("entreprise de l ess", "entreprise ess", "entreprise de l economie sociale et solidaire",
                                                  "esus", "entreprise solidaire d utilite sociale", "ess")},
    **{k: (SIAE, False) for k in ("siae", "structure d insertion", "structure d insertion siae", "entreprise d insertion", "etti",
                                  "entreprise de travail temporaire d insertion", "aci", "atelier chantier d insertion",
                                  "association intermediaire", "ai", "structure d insertion par l activite economique")},
    **{k: ("entreprise de l'ESS", False) for k in ("entreprise adaptee",)},
    **{k: ("centre de recherche", False) for k in ("recherche", "laboratoire", "laboratoire de recherche", "institut de recherche",
                                                   "organisme de recherche", "cnrs", "inrae", "inserm", "ird", "cirad", "umr")},
    **{k: ("enseignement supérieur et recherche", False) for k in ("universite", "enseignement superieur", "esr", "iut", "ecole d ingenieurs",
                                                                   "grande ecole", "etablissement d enseignement superieur")},
    **{k: ("organisme de formation", False) for k in ("formation", "of", "centre de formation", "cfa", "greta", "afpa",
                                                      "organisme de formation professionnelle", "centre de formation d apprentis")},
    **{k: ("habitants ou collectif citoyen", False) for k in ("habitants", "habitant", "citoyen", "citoyens", "collectif citoyen",
                                                              "collectif d habitants", "collectif informel", "groupe informel",
                                                              "particulier", "particuliers", "personne physique")},
    **{k: ("entreprise", False) for k in ("entreprises", "societe", "pme", "tpe", "eti", "artisan", "commercant", "entreprise classique",
                                          "entreprise privee", "entreprise hors ess", "start up", "startup", "exploitation agricole",
                                          "profession liberale", "entreprise commerciale")},
    **{k: ("entreprise", True) for k in ("sarl", "sas", "sasu", "sa", "eurl", "snc", "sci", "earl", "gaec", "scea", "selarl",
                                         "entreprise individuelle", "micro entreprise", "auto entrepreneur", "autoentrepreneur")},
    **{k: ("collectivité", False) for k in ("collectivite territoriale", "collectivite locale", "collectivites", "commune", "mairie",
                                            "ville", "departement", "conseil departemental", "region", "conseil regional", "epci",
                                            "intercommunalite", "communaute de communes", "communaute d agglomeration",
                                            "communaute urbaine", "metropole", "syndicat mixte", "petr", "pays",
                                            "pole d equilibre territorial et rural", "parc naturel regional", "pnr",
                                            "groupement de collectivites")},
    **{k: ("établissement public", False) for k in ("etablissement public", "public", "organisme public", "service de l etat", "etat",
                                                    "prefecture", "ddets", "dreets", "france travail", "pole emploi", "cci",
                                                    "chambre de commerce et d industrie", "chambre consulaire", "chambre d agriculture",
                                                    "chambre de metiers et de l artisanat", "cma", "lycee", "college",
                                                    "hopital", "centre hospitalier", "caf", "ademe", "caisse des depots",
                                                    "banque des territoires", "office public de l habitat", "bailleur social")},
    **{k: ("établissement public", True) for k in ("epic", "epa", "gip", "groupement d interet public", "oph", "epci a fiscalite propre")},
    **{k: ("autre", True) for k in ("mutuelle", "fondation", "fonds de dotation", "gie", "syndicat professionnel")},
    **{k: ("autre", False) for k in ("other", "divers", "collectif", "groupement", "reseau")},
}
# fallback: a folded value containing one of these words
_KIND_KEYWORDS = (("scic", "SCIC"), ("scop", "SCOP"), ("cooperative", "autre coopérative"), ("association", "association"),
                  ("insertion", SIAE), ("recherche", "centre de recherche"), ("universite", "enseignement supérieur et recherche"),
                  ("habitants", "habitants ou collectif citoyen"), ("communaute", "collectivité"), ("commune", "collectivité"),
                  ("conseil", "collectivité"), ("etablissement public", "établissement public"), ("chambre", "établissement public"),
                  ("entreprise", "entreprise"), ("societe", "entreprise"))

_INVOLVEMENT_SYNONYMS: dict[str, str] = {
    **{k: "noyau dur" for k in ("noyau", "coeur", "noyau central", "membre fondateur", "membres fondateurs", "fondateur",
                                "fondateurs", "premier cercle", "cercle 1", "core")},
    **{k: "cellule de pilotage" for k in ("pilotage", "cellule pilotage", "comite de pilotage", "copil", "instance de pilotage",
                                          "gouvernance", "comite de pilotage copil")},
    **{k: "groupe thématique" for k in ("groupe thematique", "groupes thematiques", "gt", "groupe de travail", "groupe de travail thematique",
                                        "commission", "commission thematique", "atelier thematique", "thematique")},
    **{k: "groupe projet" for k in ("groupe de projet", "groupes projets", "groupe projets", "equipe projet", "projet", "gp")},
    **{k: "non impliqué" for k in ("non", "aucun", "aucune", "pas implique", "pas encore implique", "non encore implique",
                                   "pas encore", "pas impliquee", "non impliquee", "non implique pour l instant", "none")},
}
_CONTACT_SYNONYMS: dict[str, str] = {
    **{k: "potentiel" for k in ("identifie", "identifiee", "prospect", "partenaire potentiel", "acteur potentiel", "piste")},
    **{k: "à contacter" for k in ("a mobiliser", "contacter", "a solliciter", "a rencontrer")},
    **{k: "contacté" for k in ("contactee", "contact pris", "sollicite", "en cours de contact", "en contact")},
    **{k: "rencontré" for k in ("rencontree", "rencontre individuelle", "rencontre collective", "vu")},
}

_INTEREST_SYNONYMS: dict[str, str] = {
    **{k: INTERESTS[0] for k in ("developper son activite", "developper son activite propre", "developper l activite",
                                 "son activite", "propre activite", "activite propre", "developpement de l activite",
                                 "developpement", "interet propre", "interet individuel", "individuel")},
    **{k: INTERESTS[1] for k in ("investir une thematique", "investir une filiere", "investir un secteur", "thematique", "filiere",
                                 "secteur", "thematique filiere", "investir une thematique filiere", "interet thematique",
                                 "interet sectoriel")},
    **{k: INTERESTS[2] for k in ("interet collectif", "interet general", "territoire", "agir pour le territoire", "collectif",
                                 "interet collectif du territoire", "agir pour l interet collectif", "bien commun", "interet territorial")},
}
_INTEREST_KEYWORDS = (("activite", INTERESTS[0]), ("filiere", INTERESTS[1]), ("thematique", INTERESTS[1]), ("secteur", INTERESTS[1]),
                      ("collectif", INTERESTS[2]), ("territoire", INTERESTS[2]), ("general", INTERESTS[2]))

_THEME_SYNONYMS: dict[str, str] = {
    **{k: "réemploi" for k in ("re emploi", "ressourcerie", "recyclerie", "reutilisation", "reparation", "seconde main")},
    **{k: "économie circulaire" for k in ("dechets", "gestion des dechets", "recyclage", "economie de la fonctionnalite")},
    **{k: "mobilité" for k in ("mobilites", "transport", "transports", "deplacements")},
    **{k: "alimentation" for k in ("alimentaire", "circuits courts", "circuit court", "projet alimentaire territorial", "pat",
                                   "restauration")},
    **{k: "énergie" for k in ("energies", "energies renouvelables", "enr", "transition energetique", "renovation energetique")},
    **{k: "emploi-insertion" for k in ("emploi", "insertion", "emploi et insertion", "iae", "insertion par l activite economique",
                                       "insertion professionnelle", "emploi et activite")},
    **{k: "culture" for k in ("culturel", "arts", "art", "patrimoine", "culture et lien social")},
    **{k: "foncier et locaux" for k in ("foncier", "locaux", "immobilier")},
    **{k: "santé" for k in ("sante et services", "soins", "acces aux soins")},
    **{k: "coopération entre acteurs" for k in ("cooperation", "cooperation entre les acteurs", "mutualisation")},
    **{k: "habitat" for k in ("logement", "logements")},
    **{k: "numérique" for k in ("digital", "inclusion numerique", "informatique")},
    **{k: "éducation-formation" for k in ("education", "formation", "education formation", "education populaire",
                                          "formation et insertion")},
    **{k: "environnement" for k in ("biodiversite", "ecologie", "transition ecologique")},
    **{k: "services à la personne" for k in ("sap", "aide a domicile")},
}

_ESS_TRUE = {"oui", "o", "yes", "y", "true", "vrai", "1", "x", "ess", "economie sociale et solidaire", "structure ess", "membre ess"}
_ESS_FALSE = {"non", "n", "no", "false", "faux", "0", "hors ess", "non ess", "pas ess"}

# --- columns -------------------------------------------------------------------------------------

COLUMNS: tuple[Column, ...] = (
    Column("nom", "Nom de la structure (obligatoire)",
           ("nom de la structure", "nom structure", "structure", "raison sociale", "denomination", "acteur", "nom de l acteur",
            "nom acteur", "organisation", "organisme", "entite", "name", "nom de l organisation", "nom de la structure obligatoire")),
    Column("siret", "SIRET (14 chiffres, espaces admis) ou SIREN (9 chiffres), facultatif : avec les tables Sirene, remplit le type, "
           "la forme juridique et l'ESS laissés vides",
           ("n siret", "no siret", "numero siret", "numero de siret", "siret de l etablissement", "siren", "n siren", "no siren",
            "numero siren", "numero de siren", "siret siren", "siren siret"), ("siret", "siren")),
    Column("type_structure", "Type de structure : " + ", ".join(KINDS),
           ("type", "type de structure", "type structure", "categorie", "nature", "statut", "famille", "type d acteur", "type acteur",
            "kind", "categorie de structure"), ("type de structure",)),
    Column("forme_juridique", "Forme juridique si connue (SARL, SCIC SAS, association loi 1901…)",
           ("forme juridique", "statut juridique", "forme", "legal form", "categorie juridique"), ("juridique",)),
    Column("ess", "Structure de l'ESS : oui / non (déduit du type quand il est vide)",
           ("ess oui non", "est ess", "economie sociale et solidaire", "appartient a l ess", "structure ess", "membre de l ess"), ("ess",)),
    Column("thematiques", "Thématiques, séparées par « ; » (ex. " + ", ".join(THEMES[:5]) + "…, liste ouverte)",
           ("thematique", "themes", "theme", "secteur", "secteurs", "domaine", "domaines", "filiere", "filieres",
            "secteur d activite", "secteurs d activite"), ("thematique",)),
    Column("competences", "Compétences, séparées par « ; »",
           ("competence", "savoir faire", "savoirs faire", "expertise", "expertises", "skills", "ressources"), ("competence",)),
    Column("problematiques", "Problématiques rencontrées, séparées par « ; »",
           ("problematique", "enjeux", "besoins", "difficultes", "issues", "freins"), ("problematique",)),
    Column("vision", "Vision (texte libre)", ("vision du ptce", "vision pour le territoire", "ambition", "vision partagee"), ("vision",)),
    Column("implication", "Implication dans le PTCE : " + ", ".join(INVOLVEMENT_LEVELS),
           ("niveau d implication", "implication dans le ptce", "niveau", "engagement", "role", "role dans le ptce",
            "niveau d engagement", "involvement", "instance", "implication ptce"), ("implication",)),
    Column("statut_contact", "Statut de contact (prospection) : " + ", ".join(CONTACT_STATUSES),
           ("statut de contact", "statut contact", "etat du contact", "prospection", "suivi du contact", "suivi contact"),
           ("prospection",)),
    Column("interet", "Intérêt, un niveau (le plus élevé si plusieurs) : " + " ; ".join(INTERESTS),
           ("interets", "interet principal", "motivation", "motivations", "interet pour le ptce", "pourquoi", "interest"), ("interet",)),
    Column("commune", "Commune : nom ou code INSEE",
           ("ville", "localite", "nom commune", "nom de la commune", "libelle commune", "libgeo", "city", "commune code ou nom",
            "commune nom ou code", "commune du siege", "lieu")),
    Column("code_commune", "Code INSEE de la commune (facultatif si « commune » est rempli)",
           ("code commune", "code insee", "insee", "code insee commune", "codgeo", "cog", "code geo", "citycode", "depcom", "com",
            "code de la commune"), ("insee",)),
    Column("departement", "Département (code), utile quand plusieurs communes portent le même nom",
           ("dep", "dept", "code departement", "num departement", "n departement", "numero de departement", "departement code"),
           ("departement",)),
    Column("code_postal", "Code postal", ("cp", "postcode", "zip", "code postal commune"), ("postal",)),
    Column("adresse", "Adresse (numéro et voie), pour le géocodage BAN",
           ("adresse postale", "rue", "voie", "adresse complete", "address", "siege", "adresse du siege", "adresse de la structure"),
           ("adresse",)),
    Column("latitude", "Latitude WGS84 en degrés décimaux (ex. 47.9975)", ("lat", "y", "lat wgs84", "latitude wgs84", "coord y"),
           ("latitude",)),
    Column("longitude", "Longitude WGS84 en degrés décimaux (ex. 2.7335)", ("lon", "lng", "long", "x", "lon wgs84", "longitude wgs84",
                                                                          "coord x"), ("longitude",)),
)
# personal contact data: detected, reported, dropped unless the user asks to keep it (GDPR)
PERSONAL_COLUMNS: tuple[Column, ...] = (
    Column("courriel", "Courriel", ("email", "e mail", "mail", "adresse mail", "adresse email", "adresse e mail", "adresse electronique",
                                    "mel", "email contact", "mail contact"), ("mail", "courriel")),
    Column("telephone", "Téléphone", ("tel", "tel portable", "portable", "mobile", "phone", "numero de telephone", "fax", "tel fixe",
                                      "gsm"), ("telephone",)),
    Column("contact", "Personne à contacter", ("nom du contact", "personne contact", "personne a contacter", "referent", "referente",
                                                "prenom", "nom prenom", "prenom nom", "interlocuteur", "responsable", "representant",
                                                "contact principal", "nom et prenom"), ("contact", "referent", "prenom")),
)
INPUT_COLUMNS = tuple(c.name for c in COLUMNS)
REQUIRED = ("nom",)
ACTOR_COLUMNS = ("nom", "siret", "type_structure", "forme_juridique", "ess", "thematiques", "competences", "problematiques", "vision",
                 "implication", "statut_contact", "interet", "commune", "code_commune", "departement", "code_epci", "code_postal", "adresse",
                 "latitude", "longitude", "placement", "placement_note")

_HEADER_INDEX: dict[str, str] = {}
for _col in COLUMNS + PERSONAL_COLUMNS:
    _HEADER_INDEX[fold(_col.name)] = _col.name
    for _syn in _col.synonyms:
        _HEADER_INDEX.setdefault(_syn, _col.name)


@lru_cache(maxsize=4096)
def match_column(header: str) -> str | None:
    """Canonical column name for a header (``« Niveau d'implication (PTCE) »`` -> ``implication``), or None."""
    for key in (fold(_without_brackets(header)), fold(header)):
        if key in _HEADER_INDEX:
            return _HEADER_INDEX[key]
    key = fold(_without_brackets(header))
    if not key:
        return None
    for col in PERSONAL_COLUMNS + COLUMNS:  # personal first: « adresse mail » is not an address
        if any(f" {word} " in f" {key} " or key.startswith(word) for word in col.keywords):
            return col.name
    return None


# --- values --------------------------------------------------------------------------------------

def _enum_lookup(value: str, canon: tuple[str, ...], synonyms: dict[str, str]) -> tuple[str | None, bool]:
    for key in (fold(value), fold(_without_brackets(value))):
        for c in canon:
            if key == fold(c):
                return c, True
        if key in synonyms:
            return synonyms[key], False
    return None, False


@lru_cache(maxsize=4096)
def match_kind(value: str) -> Match:
    """Kind of structure; a legal form given as kind (« SARL ») is returned in ``legal_form`` too."""
    key = fold(_without_brackets(value)) or fold(value)
    for kind in KINDS:
        if key == fold(kind):
            return Match(kind)
    if key in _KIND_SYNONYMS:
        kind, legal = _KIND_SYNONYMS[key]
        return Match(kind, False, str(value).strip() if legal else None)
    for word, kind in _KIND_KEYWORDS:
        if f" {word}" in f" {key}":
            return Match(kind, False, str(value).strip())
    return Match(None, False)


@lru_cache(maxsize=1024)
def match_involvement(value: str) -> Match:
    """Involvement level in the PTCE (« NOYAU-DUR », « Noyau dur (fondateurs) », « COPIL »…)."""
    found, exact = _enum_lookup(value, INVOLVEMENT_LEVELS, _INVOLVEMENT_SYNONYMS)
    return Match(found, exact)


@lru_cache(maxsize=1024)
def match_contact(value: str) -> Match:
    """A status of contact (« à contacter », « potentiel »…), or ``Match(None)``."""
    found, exact = _enum_lookup(value, CONTACT_STATUSES, _CONTACT_SYNONYMS)
    return Match(found, exact)


@lru_cache(maxsize=1024)
def match_interest(value: str) -> Match:
    """One interest; keywords (« activité », « filière », « collectif ») are enough."""
    found, exact = _enum_lookup(value, INTERESTS, _INTEREST_SYNONYMS)
    if found is None:
        key = fold(value)
        found = next((canon for word, canon in _INTEREST_KEYWORDS if word in key.split()), None)
    return Match(found, exact)


@lru_cache(maxsize=8192)
def match_theme(value: str) -> Match:
    """A known theme in its canonical spelling, or the value itself (the list of themes is open)."""
    found, exact = _enum_lookup(value, THEMES, _THEME_SYNONYMS)
    if found is None:
        return Match(" ".join(str(value).split()), True)
    return Match(found, exact)


def canonical_theme(value: object) -> object:
    """A theme in the shared spelling (an old finding's « Logement » reads « habitat »); blanks and unknown themes unchanged."""
    if not isinstance(value, str) or not value.strip():
        return value
    return match_theme(value).value


def parse_ess(value: str) -> bool | None:
    """``True``/``False`` from oui/non-like answers; ``None`` when not understood."""
    key = fold(value)
    if key in _ESS_TRUE:
        return True
    if key in _ESS_FALSE:
        return False
    return None


_LIST_SEPARATORS = re.compile(r"\s*(?:[;|\n\r,•]|\s\+\s)\s*")


def split_list(value: object) -> list[str]:
    """Items of a multi-valued cell (``;``, ``,``, ``|``, new lines, bullets), stripped, empty items dropped."""
    if value is None or not isinstance(value, str):
        return []
    return [item.strip(" -–") for item in _LIST_SEPARATORS.split(value) if item.strip(" -–")]
