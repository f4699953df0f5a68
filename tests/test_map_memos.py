"""What the Territoire page keeps between clicks: commune outlines and label points computed commune by commune
(ui.loaders, ui.map_overlays) must equal the same computation over the whole set; trends are computed on first use.

Expected values come from the library functions applied to the whole set at once (``light_outlines``,
``label_points``, ``territory_trends``), not from the memos under test.
"""

from __future__ import annotations

import pandas as pd
import shapely

from ptce_geo.diagnostic import NO_EPCI, _part_labels, diagnose
from ptce_geo.map_overlays import label_points
from ptce_geo.mapping import light_outlines
from ptce_geo.territory import TerritoryDefinition, build_territory
from ptce_geo.trends import territory_trends

AMIENS, VAL_DE_SOMME = "248000531", "248000499"  # neighbours: the second click adds communes to those already seen


def test_outlines_and_label_points_kept_commune_by_commune_equal_those_of_the_whole_set(app_data, embedded):
    from ui import loaders, map_overlays

    communes = embedded.communes
    amiens = tuple(communes.index[communes["code_epci"] == AMIENS])
    somme = tuple(communes.index[communes["code_epci"] == VAL_DE_SOMME])
    assert len(amiens) > 10 and len(somme) > 10
    generation = embedded.manifest.get("generation", "")
    # new communes, some already seen plus new ones plus an unknown code, the same again in another order, nothing
    for codes in (amiens, (*somme, *amiens[:5], "99999"), amiens[::-1], ()):
        expected = light_outlines(communes.geometry.reindex([c for c in codes if c in communes.index]))
        got = loaders.commune_outlines(codes)
        assert list(got.index) == list(expected.index)
        assert shapely.equals_exact(got.to_numpy(), expected.to_numpy(), 0).all()
        points = label_points(expected, tolerance_deg=0.005)
        got_points = map_overlays._commune_points(generation, codes)
        assert list(got_points.index) == list(points.index)
        pd.testing.assert_frame_equal(got_points.reset_index(drop=True), points.reset_index(drop=True))


def test_trends_are_computed_on_first_use_and_equal_a_direct_computation(embedded):
    territory = build_territory(embedded, TerritoryDefinition(epci=[AMIENS, VAL_DE_SOMME]))
    diag = diagnose(embedded, territory)
    assert "trends" not in vars(diag)  # not computed by diagnose itself: the Territoire page never shows them
    key = territory.communes["code_epci"].fillna(NO_EPCI).astype("str")
    expected = territory_trends(embedded, territory.communes, key, _part_labels(diag.epci), diag.zones)
    pd.testing.assert_frame_equal(diag.trends, expected)
    assert diag.trends is diag.trends  # computed once
