"""The reference tables every feature reads: communes, EPCI, départements, régions, indicators.

Loaded from the cache (built from the embedded default on first use). All tables are indexed
by their code as a string; geometries are EPSG:4326.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import geopandas as gpd
import pandas as pd

from .build import ensure_cache
from .cache import Generation, data_dir
from .income import IncomeModel
from .indicators import INDICATORS, Indicator
from .qpv import read_qpv_table
from .series_tables import LEVELS_FILE, MODELS_FILE, SERIES_FILE, models_from
from .zoning_tables import read_zonings

T = TypeVar("T")

__all__ = ["Reference", "load_reference", "FETCH_HINT"]

FETCH_HINT = "python -m ptce_geo data update  (ou, hors ligne : python -m ptce_geo data import DOSSIER)"


@dataclass
class Reference:
    """All reference data of one cache generation."""

    communes: gpd.GeoDataFrame
    epci: gpd.GeoDataFrame
    departements: pd.DataFrame
    regions: pd.DataFrame
    variables: pd.DataFrame
    comparisons: pd.DataFrame
    manifest: dict
    passage: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"code_ancien": [], "code_actuel": []}, dtype="str"))
    # zone of each commune per zoning (bv2022, ze2020, aav2020, frr) and zone names; empty without zoning files
    zonings: pd.DataFrame = field(default_factory=pd.DataFrame)
    zone_names: pd.DataFrame = field(default_factory=lambda: pd.DataFrame({"zonage": [], "code": [], "nom": []}, dtype="str"))
    qpv: gpd.GeoDataFrame | None = None  # QPV 2024 (ANCT) when imported or downloaded
    # every census / civil-status / Filosofi vintage (``<serie>@<period>`` columns), the stored income model of each
    # Filosofi date, and the trends of départements, régions and France (ptce_geo.series_tables); empty for old caches
    series: pd.DataFrame = field(default_factory=pd.DataFrame)
    income_models_table: pd.DataFrame = field(default_factory=pd.DataFrame)
    trend_levels: pd.DataFrame = field(default_factory=pd.DataFrame)
    _levels: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    # objects derived once from these tables (spatial index…), built on first use by their owner module
    _derived: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def vintages(self) -> dict[str, dict]:
        """Per variable: ``{"annee", "millesime", "source"}``."""
        return self.manifest.get("variables", {})

    def available(self, ind: Indicator) -> bool:
        """Whether every variable ``ind`` needs was loaded (not whether each commune has it)."""
        return all(v in self.variables.columns and self.variables[v].notna().any() for v in ind.variables)

    def missing_indicators(self) -> list[Indicator]:
        return [ind for ind in INDICATORS if not self.available(ind)]

    def source_of(self, ind: Indicator) -> tuple[str, str]:
        """(source, vintage) of an indicator, from its numerator's vintage."""
        meta = self.vintages.get(ind.numerator, {})
        return meta.get("source", ""), meta.get("millesime", "")

    def level(self, niveau: str) -> pd.DataFrame:
        """Pre-aggregated indicators of one level (``departement``, ``region``, ``epci``, ``france``) by code."""
        if niveau not in self._levels:
            part = self.comparisons[self.comparisons["niveau"] == niveau]
            self._levels[niveau] = part.set_index("code").drop(columns="niveau")
        return self._levels[niveau]

    @property
    def series_meta(self) -> dict[str, dict]:
        """Per series column: ``{"serie", "periode", "annee", "millesime", "source"}``."""
        return self.manifest.get("series", {})

    def trend_models(self) -> dict[str, IncomeModel]:
        """Filosofi date -> income model over every commune (rows of ``series``), rebuilt once from the stored arrays."""
        return self.derived("trend_models", lambda: models_from(self.income_models_table, self.manifest.get("series_revenus", {}))
                            if not self.income_models_table.empty else {})

    def derived(self, key: str, build: Callable[[], T]) -> T:
        """The object ``key`` derived from these tables (spatial index, fitted model…): built by ``build`` on first use,
        then kept with the reference (the tables never change once loaded)."""
        if key not in self._derived:
            self._derived[key] = build()
        return self._derived[key]  # type: ignore[return-value]

    def accepted_commune_codes(self) -> pd.Index:
        """Codes a user may type for a commune: current ones, plus the old codes and arrondissements municipaux
        of the passage table (``territory`` maps those onto their commune with a note)."""
        return self.derived("accepted_commune_codes",
                            lambda: self.communes.index.union(pd.Index(self.passage["code_ancien"].astype(str))))

    def dataset(self, dataset_id: str) -> dict:
        """The manifest's entry of a loaded dataset (label, file, vintage…); ``{}`` when it is not loaded."""
        return next((entry for entry in self.manifest.get("jeux", []) if entry["id"] == dataset_id), {})

    @property
    def geography_vintage(self) -> str:
        return self.dataset("cog_communes").get("millesime", "inconnu")


def load_reference(root: Path | str | None = None) -> Reference:
    """The reference tables of the current cache (building the embedded default if needed)."""
    root = data_dir(root)
    manifest = ensure_cache(root)
    gen = Generation(root, manifest["generation"])
    zonings, zone_names = read_zonings(gen)
    return Reference(
        communes=gen.read("communes", geo=True),
        epci=gen.read("epci", geo=True),
        departements=gen.read("departements"),
        regions=gen.read("regions"),
        variables=gen.read("variables"),
        comparisons=gen.read("comparaisons"),
        manifest=manifest,
        passage=_read_passage(gen),
        zonings=zonings,
        zone_names=zone_names,
        qpv=read_qpv_table(gen),
        **_trend_tables(gen),
    )


def _trend_tables(gen: Generation) -> dict[str, pd.DataFrame]:
    """The series tables of the generation; absent from caches built before them (trends then empty)."""
    stems = {"series": SERIES_FILE, "income_models_table": MODELS_FILE, "trend_levels": LEVELS_FILE}
    return {attr: gen.read(stem) for attr, stem in stems.items() if gen.path(stem).exists()}


def _read_passage(gen: Generation) -> pd.DataFrame:
    """Old commune code -> current code (``code_ancien``, ``code_actuel``); empty for caches built without it."""
    for path in (gen.path("passage"), gen.source_path("passage")):
        if path.exists():
            return gen.read("passage", path)[["code_ancien", "code_actuel"]]
    return pd.DataFrame({"code_ancien": [], "code_actuel": []}, dtype="str")
