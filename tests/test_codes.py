import pandas as pd
import pytest

from ptce_geo.codes import normalize_commune_code, normalize_commune_codes, normalize_siren, split_codes
from ptce_geo.errors import CodeError


@pytest.mark.parametrize("raw, code", [("01001", "01001"), (1001, "01001"), ("1001.0", "01001"), (" 2a004 ", "2A004"), ("97411", "97411")])
def test_commune_codes_are_restored(raw, code):
    assert normalize_commune_code(raw) == code


@pytest.mark.parametrize("raw", ["", "ABCDE", "123456", "2C001", None, float("nan")])
def test_bad_commune_codes_are_refused_in_french(raw):
    with pytest.raises(CodeError, match="Code commune"):
        normalize_commune_code(raw)


def test_vectorised_codes_mark_invalid_as_missing():
    out = normalize_commune_codes(pd.Series(["1001", "2B033", "bad", "75056.0"]))
    assert out.tolist()[:2] == ["01001", "2B033"] and pd.isna(out[2]) and out[3] == "75056"


def test_siren_rejects_a_commune_code_by_name():
    assert normalize_siren(" 200046977 ") == "200046977"
    with pytest.raises(CodeError, match="code commune"):
        normalize_siren("69123")
    with pytest.raises(CodeError, match="SIREN"):
        normalize_siren("12345")


def test_split_codes_keeps_order_and_drops_duplicates():
    assert split_codes("01001, 01002;01001\n2A004") == ["01001", "01002", "2A004"]
    assert split_codes(None) == []
