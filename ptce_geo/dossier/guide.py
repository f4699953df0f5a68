"""Plain-words reading of each alert for the dossier: why it matters and what to do.

Keyed by the alert codes of ``ptce_geo.alerts`` and ``ptce_geo.collective.actors_summary``; an alert whose
code is not listed here still appears, with its own message and figures and a generic hint.
"""

from __future__ import annotations

__all__ = ["ALERT_GUIDE", "GENERIC", "LEVEL_LABELS", "guide_for"]

LEVEL_LABELS = {"alerte": "Alerte", "vigilance": "Vigilance", "info": "Information"}
GENERIC = ("Ce point ressort des chiffres du diagnostic.", "Discutez-le en comité de pilotage et vérifiez-le sur le terrain.")

# code -> (why it matters, what to do)
ALERT_GUIDE: dict[str, tuple[str, str]] = {
    "TERRITOIRE_TROP_VASTE": (
        "Un territoire très étendu se prête mal à l'interconnaissance entre acteurs, qui fonde un PTCE.",
        "Resserrez le périmètre autour d'un bassin de vie, ou organisez le PTCE en antennes locales avec une coordination commune."),
    "EPCI_TYPES_MULTIPLES": (
        "Communautés de communes, d'agglomération, urbaines et métropoles n'ont ni les mêmes compétences ni la même fiscalité.",
        "Identifiez un interlocuteur élu et technique par EPCI et prévoyez une délibération ou une convention avec chacun."),
    "EPCI_PARTIELS": (
        "Un EPCI coupé agit et publie ses données sur tout son périmètre : ses chiffres ne décrivent pas exactement la partie retenue.",
        "Vérifiez avec ses élus qu'un projet sur une partie de l'EPCI leur convient, ou ajoutez ou retirez ses communes."),
    "DISPARITE_FORTE": (
        "Les parties d'EPCI diffèrent nettement (seuils proches du 9e décile des écarts entre EPCI voisins en France).",
        "Lisez le diagnostic EPCI par EPCI et prévoyez des actions ciblées là où les besoins sont les plus forts."),
    "MIXITE_RURAL_URBAIN": (
        "Mobilité, services et acteurs diffèrent entre communes rurales et urbaines (grille de densité de l'INSEE).",
        "Prévoyez des actions distinctes pour les deux parties, ou un fil commun explicite (circuits courts, mobilité…)."),
    "INDICATEURS_MANQUANTS": (
        "Les données chargées ne contiennent pas tous les indicateurs INSEE : le diagnostic est incomplet.",
        "Importez les fichiers officiels (python -m ptce_geo data import DOSSIER) ou téléchargez-les (python -m ptce_geo data update)."),
    "COUVERTURE_INCOMPLETE": (
        "L'INSEE ne diffuse pas certaines valeurs des petites communes (secret statistique).",
        "Lisez ces indicateurs comme ceux des communes renseignées ; complétez par des données locales (CAF, Pôle emploi…)."),
    "collectif_sans_collectivite": (
        "Un PTCE associe par la loi des entreprises de l'ESS, des entreprises classiques et des collectivités.",
        "Invitez une collectivité (commune, EPCI, département) dans le collectif."),
    "epci_sans_acteur": (
        "Aucun acteur inventorié dans cet EPCI : le PTCE n'y a pas de relais.",
        "Cherchez des structures de cet EPCI (réseaux ESS, chambre consulaire, mairie) et complétez l'inventaire."),
    "communes_sans_acteur": (
        "Ces communes n'ont aucun acteur inventorié (zones blanches).",
        "Vérifiez si l'inventaire est incomplet ou si ces communes ont besoin d'une présence du PTCE."),
    "acteurs_hors_territoire": (
        "Des acteurs sont situés hors du territoire d'action.",
        "Confirmez leur rattachement ou corrigez leur localisation."),
    "thematiques_isolees": (
        "Une thématique portée par un seul acteur dépend de lui.",
        "Cherchez d'autres acteurs sur ces thématiques ou mutualisez-les avec une thématique voisine."),
    "collectif_aucun_implique": (
        "Aucun acteur n'est marqué comme impliqué dans le PTCE : le collectif n'existe pas encore dans l'inventaire.",
        "Renseignez la colonne « implication » (noyau dur, cellule de pilotage, groupes)."),
    "collectif_un_seul_type": (
        "Un collectif d'un seul type de structure n'a pas la pluralité qui fait un PTCE.",
        "Associez des structures d'autres types : entreprises, collectivités, coopératives, établissements publics."),
    "collectif_peu_divers": (
        "Le collectif repose sur peu de types de structures (indice de diversité bas).",
        "Élargissez le collectif aux types absents ou peu représentés."),
    "collectif_sans_ess": (
        "Un PTCE est d'abord un regroupement d'entreprises de l'ESS (loi du 31 juillet 2014, art. 9).",
        "Associez des structures de l'ESS (associations, coopératives, entreprises de l'ESS) au collectif."),
    "collectif_sans_entreprise": (
        "La loi attend aussi des entreprises classiques dans un PTCE.",
        "Invitez des entreprises du territoire liées aux thématiques du PTCE."),
    "acteurs_aucun": (
        "L'inventaire ne contient aucun acteur.",
        "Importez l'inventaire sur la page Acteurs (modèle CSV ou XLSX fourni)."),
    "type_non_renseigne": (
        "Le type de structure manque pour certains acteurs : la pluralité est sous-estimée.",
        "Complétez la colonne « type_structure » de l'inventaire."),
}


def guide_for(code: str) -> tuple[str, str]:
    """(why it matters, what to do) for an alert code, generic when unknown."""
    return ALERT_GUIDE.get(code, GENERIC)
