"""One exception family: every library error is a ``PtceGeoError`` (a ``ValueError``).

Messages are written in French because they reach coordinators through the UI unchanged.
"""

__all__ = [
    "PtceGeoError",
    "CodeError",
    "SourceFileError",
    "DownloadError",
    "CacheError",
    "GeometryError",
    "TerritoryError",
    "ActorError",
    "ProjectError",
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
