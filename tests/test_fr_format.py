"""French numbers, percentages, plurals and yes/no at their boundaries (expected strings written by hand)."""

import math

import numpy as np
import pandas as pd
import pytest

from ptce_geo.fr_format import NNBSP, count, fr_int, fr_number, fr_percent, fr_share, plural, yes_no


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (1234567.891, 1, f"1{NNBSP}234{NNBSP}567,9"),
    (1234567.891, 0, f"1{NNBSP}234{NNBSP}568"),
    (999.95, 1, f"1{NNBSP}000,0"),
    (999, 0, "999"),
    (1000, 0, f"1{NNBSP}000"),
    (-1234.5, 1, f"-1{NNBSP}234,5"),
    (0.5, 2, "0,50"),
])
def test_numbers_use_a_narrow_space_and_a_decimal_comma(value, digits, expected):
    assert fr_number(value, digits) == expected


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (-0.04, 1, "0,0"), (-0.4, 0, "0"), (-0.0, 2, "0,00"), (-0.05001, 1, "-0,1"), (-0.6, 0, "-1"),
])
def test_a_negative_value_rounding_to_zero_has_no_minus_sign(value, digits, expected):
    assert fr_number(value, digits) == expected


@pytest.mark.parametrize("missing", [None, math.nan, float("nan"), pd.NA, np.float32("nan")])
def test_missing_values_show_a_dash_never_none_or_nan(missing):
    assert fr_number(missing) == fr_percent(missing) == fr_int(missing) == yes_no(missing) == "—"


def test_counts_are_whole_and_percentages_are_shares():
    assert fr_int(2187526.4) == f"2{NNBSP}187{NNBSP}526"
    assert fr_percent(0.154, 1) == "15,4 %" and fr_percent(1) == "100 %" and fr_percent(-0.0004, 1) == "0,0 %"


@pytest.mark.parametrize(("n", "expected"), [
    (0, "0 commune coupée"), (1, "1 commune coupée"), (1.5, "2 communes coupées"), (2, "2 communes coupées"),
    (1999, f"1{NNBSP}999 communes coupées"),
])
def test_plural_agrees_from_two(n, expected):
    assert count(n, "commune coupée", "communes coupées") == expected


def test_plural_boundary_is_two():
    assert plural(1, "a", "b") == "a" and plural(1.99, "a", "b") == "a" and plural(2, "a", "b") == "b"


def test_yes_no():
    assert (yes_no(True), yes_no(False), yes_no(1), yes_no(0)) == ("oui", "non", "oui", "non")


def test_a_small_positive_share_never_reads_zero():
    """164 inhabitants of 184,392 (0,09 %) read « 0 % » beside a zone the territory does touch."""
    assert fr_share(0.0051) == "1 %" and fr_share(0.005) == "0,5 %"  # whole percents once they no longer read 0 %
    assert fr_share(0.00051) == "0,1 %" and fr_share(0.00049) == "moins de 0,1 %"
    assert fr_share(164 / 184_392) == "0,1 %" and fr_share(0) == "0 %" and fr_share(None) == "—" and fr_share(0.42) == "42 %"
