"""orjson, where the project uses it for speed, writes what the json module writes."""

from __future__ import annotations

import json

import orjson
from hypothesis import given
from hypothesis import strategies as st

from storage import audit

# What draw records and change logs hold: text (any, control characters and CJK
# included), whole numbers within 64 bits, booleans, null, lists and objects.
_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.text(alphabet=st.characters(blacklist_categories=("Cs",)))
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(), inner, max_size=5),
    max_leaves=20,
)


@given(_VALUES)
def test_sorted_orjson_is_the_canonical_json(value: object) -> None:
    expected = audit.canonical_json(value).encode()
    assert orjson.dumps(value, option=orjson.OPT_SORT_KEYS) == expected


@given(_VALUES)
def test_orjson_writes_json_columns_as_json_does_compactly(value: object) -> None:
    expected = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    assert orjson.loads(orjson.dumps(value)) == json.loads(expected)
    assert orjson.dumps(value).decode() == expected
