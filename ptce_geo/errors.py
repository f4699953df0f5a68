"""One exception family: every library error is a ``PtceGeoError`` (a ``ValueError``).

Messages are written in French because they reach coordinators through the UI unchanged.
"""

import errno

__all__ = [
    "os_reason",
    "PtceGeoError",
    "CodeError",
    "SourceFileError",
    "DownloadError",
    "CacheError",
    "GeometryError",
    "TerritoryError",
    "ActorError",
    "ProjectError",
    "CollectiveError",
]


class PtceGeoError(ValueError):
    """Base class of all errors raised by ptce_geo."""


class CodeError(PtceGeoError):
    """An INSEE commune code or an EPCI SIREN is malformed or unknown."""


class SourceFileError(PtceGeoError):
    """A data file is unreadable, empty, or lacks the expected columns."""


class DownloadError(PtceGeoError):
    """An official file could not be downloaded or is not what was expected."""


class CacheError(PtceGeoError):
    """The reference cache is missing, corrupt or inconsistent."""


class GeometryError(PtceGeoError):
    """A geometry is unusable (not polygonal, empty, outside France, unknown CRS)."""


class TerritoryError(PtceGeoError):
    """A candidate territory cannot be built (empty selection, unknown codes)."""


class ActorError(PtceGeoError):
    """An actor inventory file cannot be read."""


class ProjectError(PtceGeoError):
    """A project file is corrupt, foreign, or in conflict with another save."""


class CollectiveError(ProjectError):
    """A row of the project's collective tables is refused (unknown actor, dates in the wrong order, negative amount…)."""


_OS_REASONS = {
    errno.ENOENT: "introuvable",
    errno.EACCES: "permission refusée",
    errno.EPERM: "opération non permise",
    errno.ENOTDIR: "un élément du chemin n'est pas un dossier",
    errno.EISDIR: "c'est un dossier",
    errno.EEXIST: "un fichier de ce nom existe déjà",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOSPC: "disque plein",
    errno.ENAMETOOLONG: "nom trop long",
}


def os_reason(exc: OSError) -> str:
    """An operating-system error in French words (``strerror`` is English)."""
    return _OS_REASONS.get(exc.errno, exc.strerror or str(exc))
