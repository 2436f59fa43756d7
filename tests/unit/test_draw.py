"""dsr-draw-v1 pinned by its published vectors, checked by its laws, and cross-checked against
the standalone auditor's tool (tools/verify_draw.py), which shares no code with bot.domain."""

from __future__ import annotations

import copy
import hashlib
import importlib.util
import json
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.domain.draws.algorithm import (
    PASSED_INELIGIBLE,
    RISK_STRATA,
    Amount,
    DrawError,
    InspectorCandidate,
    InspectorDraw,
    SamplingRequest,
    TargetCandidate,
    draw_inspectors,
    draw_replacement,
    draw_targets,
    normalise_key,
    order,
    pool_digest,
    pool_lines,
    score,
    seed_from_input,
)
from bot.domain.draws.records import (
    inspectors_record,
    replacement_record,
    request_from_json,
    targets_record,
    verify_record,
    verify_records,
)

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "verify_draw.py"
VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "fixtures" / "draw_vectors.json").read_text(encoding="utf-8")
)
RECORDS = ("targets", "targets_total", "inspectors", "replacement")
# Fixed example order (derandomize) and no example database: the suite never varies by run.
PROPERTY = settings(
    deadline=None,
    derandomize=True,
    database=None,
    max_examples=150,
    suppress_health_check=[HealthCheck.too_slow],
)


def _record(name: str) -> dict[str, Any]:
    return copy.deepcopy(VECTORS[name]["record"])


def _stamp(name: str) -> dict[str, Any]:
    record = VECTORS[name]["record"]
    return {"actor": record["actor"], "at": record["at"]}


def _load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_draw_tool", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


TOOL_MODULE = _load_tool()


# --- the published vectors --------------------------------------------------------------


def _targets_from_vector(name: str) -> tuple[Any, dict[str, Any]]:
    given_ = VECTORS[name]["input"]
    seed = seed_from_input(given_["seed_input"])
    pool = [TargetCandidate(e["key"], e["stratum"]) for e in given_["pool"]]
    draw = draw_targets(
        seed,
        given_["task_code"],
        pool,
        request_from_json(given_["request"]),
        given_["targets_per_team"],
    )
    record = targets_record(
        draw,
        draw_id=VECTORS[name]["record"]["id"],
        seed_input=given_["seed_input"],
        **_stamp(name),
    )
    return draw, record


@pytest.mark.parametrize("name", ["targets", "targets_total"])
def test_targets_vectors(name: str) -> None:
    vector = VECTORS[name]
    draw, record = _targets_from_vector(name)
    assert draw.seed == vector["seed"]
    assert pool_lines((c.key, c.stratum) for c in draw.pool) == vector["pool_lines"]
    assert pool_digest(vector["pool_lines"]) == vector["pool_digest"] == draw.pool_digest
    task = vector["input"]["task_code"]
    for key, expected in vector["scores"].items():
        assert score(draw.seed, task, "targets", key) == expected
    assert {s: list(o) for s, o in draw.order_by_stratum.items()} == vector["order_by_stratum"]
    assert record == vector["record"]


def test_total_request_puts_every_candidate_in_stratum_star() -> None:
    # The risk classes given with the pool do not reach the digest of a total-count draw.
    assert all(line.endswith("\t*") for line in VECTORS["targets_total"]["pool_lines"])
    assert VECTORS["targets_total"]["record"]["params"]["n_by_stratum"] == {"*": 4}


def _inspectors_from_vector() -> tuple[InspectorDraw, dict[str, Any]]:
    given_ = VECTORS["inspectors"]["input"]
    draw = draw_inspectors(
        given_["seed"],
        given_["task_code"],
        [InspectorCandidate(e["key"], e["unit"]) for e in given_["pool"]],
        units=given_["units"],
        team_size=given_["team_size"],
        team_targets=given_["team_targets"],
        conflicts=[tuple(c) for c in given_["conflicts"]],
    )
    record = inspectors_record(
        draw, draw_id=13, targets_draw_id=12, seed_input=None, **_stamp("inspectors")
    )
    return draw, record


def test_inspectors_vector() -> None:
    vector = VECTORS["inspectors"]
    draw, record = _inspectors_from_vector()
    assert pool_lines((c.key, c.unit_code) for c in draw.pool) == vector["pool_lines"]
    assert draw.pool_digest == vector["pool_digest"]
    for key, expected in vector["scores"].items():
        assert score(draw.seed, draw.task_code, "inspectors", key) == expected
    assert list(draw.order) == vector["order"]
    assert record == vector["record"]
    # What the vector is there to show: the first inspector in order conflicts with team 1,
    # is skipped there and leads team 2; the conflict with an undrawn target is not recorded.
    assert draw.order[0] == "41048119007"
    assert "41048119007" not in draw.teams[0].members
    assert draw.teams[1].leader == "41048119007"
    assert {"member": "41048119002", "target": "E4096"} not in record["conflicts"]


def test_replacement_vector() -> None:
    given_ = VECTORS["replacement"]["input"]
    inspectors, _ = _inspectors_from_vector()
    rep = draw_replacement(
        inspectors.seed,
        inspectors.task_code,
        inspectors.pool,
        placed_on_task=given_["placed_on_task"],
        team=given_["team"],
        team_targets=given_["team_targets"],
        team_members=given_["team_members"],
        replaced=given_["replaced"],
        still_eligible=given_["ineligible"].get,
        conflicts=[tuple(c) for c in given_["conflicts"]],
    )
    expected = VECTORS["replacement"]["record"]
    record = replacement_record(
        rep,
        draw_id=31,
        amends=13,
        seed_input=None,
        reason=expected["reason"],
        **_stamp("replacement"),
    )
    assert record == expected
    reasons = [p["reason"] for p in record["passed_over"]]
    assert {"placed", "conflict", "other_unit", "ineligible"} == set(reasons)


def test_doc_shows_the_vectors_as_they_are() -> None:
    """docs/dsr-draw-v1.md copies the vectors by hand: every full hash in it must be one of
    them, and every vector's seed and digest must be there."""
    doc = (ROOT / "docs" / "dsr-draw-v1.md").read_text(encoding="utf-8")
    known = set()
    for name in RECORDS[:3]:
        vector = VECTORS[name]
        known |= {vector["seed"], vector["pool_digest"], *vector["scores"].values()}
        assert vector["seed"] in doc
        assert vector["pool_digest"] in doc
    assert set(re.findall(r"\b[0-9a-f]{64}\b", doc)) <= known
    for team in VECTORS["inspectors"]["record"]["teams"]:
        assert f"team {team['team']}: {team['members'][0]} (leader), " in doc


@pytest.mark.parametrize("name", RECORDS)
def test_vector_records_verify(name: str) -> None:
    assert verify_record(_record(name)) == []
    assert TOOL_MODULE.verify_record(_record(name))


def test_vector_records_verify_together() -> None:
    assert verify_records([_record(name) for name in RECORDS]) == []


def test_seed_from_input() -> None:
    assert seed_from_input(VECTORS["targets"]["input"]["seed_input"]) == VECTORS["targets"]["seed"]
    # NFKC and strip: full-width digits and stray spaces give the same seed.
    typed = VECTORS["targets"]["input"]["seed_input"]
    plain = "第2026150期 福彩3D 开奖号码 3 7 1"
    assert seed_from_input(typed) == seed_from_input(plain)
    assert seed_from_input(plain) == hashlib.sha256(plain.encode()).hexdigest()
    hex_seed = "AB" * 32
    assert seed_from_input(hex_seed) == "ab" * 32
    with pytest.raises(DrawError) as caught:
        seed_from_input(" \u3000 ")
    assert caught.value.code == "seed_input_empty"


# --- tampering: the in-process verifier and the auditor's tool both notice --------------


def _swap_members(record: dict[str, Any]) -> None:
    members = record["teams"][0].get("members") or record["teams"][0]["targets"]
    members[0], members[1] = members[1], members[0]


def _other_key(record: dict[str, Any], key: str) -> str:
    others = [e["key"] for e in record["pool"] if e["key"] not in (key, *record["selected"])]
    return str(others[0])


TAMPERS = {
    "selected key": lambda r: r["selected"].__setitem__(0, _other_key(r, r["selected"][0])),
    "seed": lambda r: r.__setitem__("seed", ("0" if r["seed"][0] != "0" else "1") + r["seed"][1:]),
    "digest": lambda r: r.__setitem__("pool_digest", "0" * 64),
    "swapped members": _swap_members,
}


@pytest.mark.parametrize("tamper", sorted(TAMPERS))
@pytest.mark.parametrize("name", RECORDS)
def test_tampered_records_do_not_verify(name: str, tamper: str, tmp_path: Path) -> None:
    record = _record(name)
    TAMPERS[tamper](record)
    assert verify_record(record) != []
    path = tmp_path / "record.json"
    path.write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
    done = _run_tool(path)
    assert done.returncode == 1, done.stdout
    assert done.stdout.startswith("DIFFERENT:")


def test_replacement_cannot_claim_an_absence_it_did_not_record() -> None:
    record = _record("replacement")
    record["passed_over"] = [p for p in record["passed_over"] if p["reason"] != PASSED_INELIGIBLE]
    assert verify_record(record)[0].startswith("replacement: record says '41048129008'")
    with pytest.raises(TOOL_MODULE.Different):
        TOOL_MODULE.verify_record(record)


def _run_tool(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(TOOL), *map(str, paths)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        cwd=paths[0].parent if paths else None,  # nothing of the project on the path
    )


@pytest.mark.parametrize("name", RECORDS)
def test_tool_matches_each_vector(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(_record(name), ensure_ascii=False), encoding="utf-8")
    done = _run_tool(path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0] == "MATCH"


def test_tool_checks_links_between_records(tmp_path: Path) -> None:
    together = tmp_path / "draws.json"
    together.write_text(json.dumps({"draws": [_record(n) for n in RECORDS]}), encoding="utf-8")
    done = _run_tool(together)
    assert done.returncode == 0, done.stdout
    assert "follows inspectors draw 13" in done.stdout
    # Links that only the set of records can show: each record still verifies on its own.
    inspectors, rep = _record("inspectors"), _record("replacement")
    inspectors["params"]["targets_draw_id"] = 14  # another task's targets draw
    rep["amends"] = 12  # a targets draw, not an inspectors draw
    for broken in ([_record("targets_total"), inspectors], [_record("targets"), rep]):
        assert all(verify_record(r) == [] for r in broken)
        assert verify_records(broken) != []
        path = tmp_path / "broken.json"
        path.write_text(json.dumps(broken), encoding="utf-8")
        done = _run_tool(path)
        assert done.returncode == 1, done.stdout


def test_tool_exit_2_on_unreadable_input(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    assert _run_tool(broken).returncode == 2
    assert _run_tool(tmp_path / "missing.json").returncode == 2
    no_seed = _record("targets")
    del no_seed["seed"]
    path = tmp_path / "no_seed.json"
    path.write_text(json.dumps(no_seed), encoding="utf-8")
    assert _run_tool(path).returncode == 2
    assert verify_record(no_seed)[0].startswith("malformed record")


# --- rules and errors with their numbers ------------------------------------------------

SEED = hashlib.sha256(b"unit tests").hexdigest()


def test_normalise_key() -> None:
    assert normalise_key(" ｅ１０２４ ") == "E1024"
    assert normalise_key("豫sc0006") == "豫SC0006"
    for bad, code in [
        ("", "key_empty"),
        ("  ", "key_empty"),
        ("A|B", "key_forbidden_char"),
        ("A\nB", "key_forbidden_char"),
        ("A\tB", "key_forbidden_char"),
        ("A\u2028B", "key_forbidden_char"),
    ]:
        with pytest.raises(DrawError) as caught:
            normalise_key(bad)
        assert caught.value.code == code


def test_ratio_is_ceiling_in_integers() -> None:
    assert Amount(ratio_permille=50).size(100) == 5
    assert Amount(ratio_permille=50).size(101) == 6
    assert Amount(ratio_permille=1).size(1) == 1
    assert Amount(ratio_permille=0).size(1000) == 0
    assert Amount(ratio_permille=1000).size(7) == 7


def test_stratum_too_small_names_the_numbers() -> None:
    pool = [TargetCandidate("K1", "A"), TargetCandidate("K2", "A"), TargetCandidate("K3", "B")]
    with pytest.raises(DrawError) as caught:
        draw_targets(SEED, "T-1", pool, SamplingRequest.counts({"A": 3, "B": 1}), 2)
    assert caught.value.code == "stratum_too_small"
    assert caught.value.details["strata"] == {"A": {"requested": 3, "available": 2}}


def test_empty_selection_and_bad_requests() -> None:
    pool = [TargetCandidate("K1", "A")]
    with pytest.raises(DrawError) as caught:
        draw_targets(SEED, "T-1", pool, SamplingRequest.counts({"B": 0}), 2)
    assert caught.value.code == "empty"
    with pytest.raises(DrawError) as caught:
        draw_targets(SEED, "T-1", pool * 2, SamplingRequest.total(count=1), 2)
    assert caught.value.code == "duplicate_key"
    with pytest.raises(DrawError):
        SamplingRequest.per_class({"*": Amount(count=1), "A": Amount(count=1)})
    with pytest.raises(DrawError):
        Amount(count=1, ratio_permille=5)
    with pytest.raises(DrawError):
        draw_targets(SEED, "t-1", pool, SamplingRequest.total(count=1), 1)  # lower case task


def test_team_size_rules() -> None:
    pool = [InspectorCandidate(f"C{i}", "U1") for i in range(4)]
    for units, size, minimum in [(["U1"], 1, 2), (["U1", "U2", "U3"], 2, 3)]:
        with pytest.raises(DrawError) as caught:
            draw_inspectors(
                SEED, "T-1", pool, units=units, team_size=size, team_targets=[["X"]], conflicts=()
            )
        assert caught.value.code == "team_size_too_small"
        assert caught.value.details["minimum"] == minimum


def test_not_enough_inspectors_names_team_unit_and_numbers() -> None:
    pool = [
        InspectorCandidate("A1", "U1"),
        InspectorCandidate("A2", "U1"),
        InspectorCandidate("B1", "U2"),
        InspectorCandidate("B2", "U2"),
    ]
    with pytest.raises(DrawError) as caught:
        draw_inspectors(
            SEED,
            "T-1",
            pool,
            units=["U1", "U2"],
            team_size=2,
            team_targets=[["X"], ["Y"]],
            conflicts=[("B1", "Y"), ("B2", "Y")],
        )
    details = caught.value.details
    assert caught.value.code == "not_enough_inspectors"
    assert details["team"] == 2
    assert details["unit"] == "U2"
    assert details["eligible"] == 2
    assert details["used"] == 1  # B1 or B2 is on team 1
    assert details["conflicted"] == 1  # the other one conflicts with Y


def test_no_replacement_names_the_numbers() -> None:
    pool = [
        InspectorCandidate("A1", "U1"),
        InspectorCandidate("B1", "U2"),
        InspectorCandidate("A2", "U1"),
    ]
    with pytest.raises(DrawError) as caught:
        draw_replacement(
            SEED,
            "T-1",
            pool,
            placed_on_task=["A1", "B1"],
            team=1,
            team_targets=["X"],
            team_members=["A1", "B1"],
            replaced="B1",
            still_eligible=lambda key: None,
            conflicts=(),
        )
    assert caught.value.code == "no_replacement"
    assert caught.value.details["unit"] == "U2"
    assert caught.value.details["other_unit"] == 1


# --- laws (hypothesis) ------------------------------------------------------------------

# Keys shaped like the real ones: USCCs, "E<id>" for entities without one, certificate
# numbers with a Chinese character (sorted after ASCII by code point).
KEYS = st.one_of(
    st.integers(0, 10**11 - 1).map(lambda n: f"9141048{n:011d}"),
    st.integers(1, 10**6).map(lambda n: f"E{n}"),
    st.integers(0, 9999).map(lambda n: f"豫SC{n:04d}"),
)
SEEDS = st.binary(min_size=32, max_size=32).map(bytes.hex)


@st.composite
def target_cases(draw: st.DrawFn) -> tuple[str, list[TargetCandidate], SamplingRequest, int]:
    keys = draw(st.lists(KEYS, min_size=1, max_size=30, unique=True))
    pool = [TargetCandidate(k, draw(st.sampled_from(RISK_STRATA))) for k in keys]
    sizes = Counter(c.stratum for c in pool)
    kind = draw(st.sampled_from(["total", "counts", "ratios"]))
    if kind == "total":
        request = SamplingRequest.total(count=draw(st.integers(1, len(pool))))
    elif kind == "counts":
        request = SamplingRequest.counts({s: draw(st.integers(0, n)) for s, n in sizes.items()})
    else:
        request = SamplingRequest.ratios({s: draw(st.integers(0, 1000)) for s in sizes})
    return draw(SEEDS), pool, request, draw(st.integers(1, 4))


@PROPERTY
@given(case=target_cases(), data=st.data())
def test_targets_are_deterministic_and_ignore_pool_order(case: Any, data: st.DataObject) -> None:
    seed, pool, request, m = case
    shuffled = data.draw(st.permutations(pool))
    try:
        first = draw_targets(seed, "T-1", pool, request, m)
    except DrawError as exc:
        assert exc.code == "empty"
        with pytest.raises(DrawError):
            draw_targets(seed, "T-1", shuffled, request, m)
        return
    assert draw_targets(seed, "T-1", shuffled, request, m) == first
    # Each stratum gives exactly its lowest n_s scores; teams are slices of m.
    for stratum in request.strata:
        members = [c.key for c in first.pool if c.stratum == stratum]
        lowest = sorted(members, key=lambda k: score(seed, "T-1", "targets", k))
        assert set(lowest[: first.n_by_stratum[stratum]]) <= set(first.selected)
    assert [k for team in first.teams for k in team] == list(first.selected)
    assert all(len(team) == m for team in first.teams[:-1])
    assert verify_record(_targets_json(first)) == []
    TOOL_MODULE.verify_record(_targets_json(first))


def _targets_json(draw: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(
        json.dumps(targets_record(draw, draw_id=1, seed_input=None, actor="t", at="t"))
    )
    return record


@st.composite
def inspector_cases(draw: st.DrawFn) -> dict[str, Any]:
    units = [f"U{i}" for i in range(draw(st.integers(1, 3)))]
    team_size = draw(st.integers(max(2, len(units)), 4))
    n_teams = draw(st.integers(1, 4))
    # Pools around the size the teams need, so that both outcomes (teams, or a clear
    # shortage) come up often; the units are spread evenly, as in a real joint task.
    needed = n_teams * team_size
    keys = draw(st.lists(KEYS, min_size=max(2, needed - 2), max_size=needed + 8, unique=True))
    pool = [InspectorCandidate(k, units[i % len(units)]) for i, k in enumerate(keys)]
    team_targets = [[f"E{t}{j}" for j in range(draw(st.integers(1, 3)))] for t in range(n_teams)]
    targets = [k for team in team_targets for k in team]
    conflicts = draw(
        st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(targets)), max_size=6)
    )
    return {
        "seed": draw(SEEDS),
        "pool": pool,
        "units": units,
        "team_size": team_size,
        "team_targets": team_targets,
        "conflicts": conflicts,
    }


def _inspectors(
    case: dict[str, Any], pool: list[InspectorCandidate] | None = None
) -> InspectorDraw:
    return draw_inspectors(
        case["seed"],
        "T-1",
        pool if pool is not None else case["pool"],
        units=case["units"],
        team_size=case["team_size"],
        team_targets=case["team_targets"],
        conflicts=case["conflicts"],
    )


@PROPERTY
@given(case=inspector_cases(), data=st.data())
def test_inspector_teams_obey_the_rules(case: dict[str, Any], data: st.DataObject) -> None:
    try:
        result = _inspectors(case)
    except DrawError as exc:
        assert exc.code == "not_enough_inspectors"
        # The draw only fails when nobody suitable is left: eligible = used + conflicted.
        eligible, used, conflicted = (exc.details[k] for k in ("eligible", "used", "conflicted"))
        assert eligible == used + conflicted  # type: ignore[operator]
        return
    assert _inspectors(case, data.draw(st.permutations(case["pool"]))) == result
    unit_of = {c.key: c.unit_code for c in case["pool"]}
    conflicts = set(case["conflicts"])
    placed = [k for team in result.teams for k in team.members]
    assert len(placed) == len(set(placed))  # no one twice
    for team in result.teams:
        assert len(team.members) == case["team_size"] >= 2
        assert {unit_of[k] for k in team.members} == set(case["units"])  # one of each unit
        assert unit_of[team.leader] == case["units"][0]  # the lead unit's pick leads
        assert not {(k, t) for k in team.members for t in team.targets} & conflicts
    record = json.loads(
        json.dumps(
            inspectors_record(
                result, draw_id=2, targets_draw_id=1, seed_input=None, actor="t", at="t"
            )
        )
    )
    assert verify_record(record) == []
    TOOL_MODULE.verify_record(record)


@PROPERTY
@given(case=inspector_cases(), data=st.data())
def test_replacements_obey_the_rules(case: dict[str, Any], data: st.DataObject) -> None:
    try:
        result = _inspectors(case)
    except DrawError:
        return
    team = data.draw(st.sampled_from(result.teams))
    replaced = data.draw(st.sampled_from(team.members))
    keys = [c.key for c in case["pool"]]
    away = data.draw(st.sets(st.sampled_from(keys), max_size=4))
    new_conflicts = data.draw(
        st.lists(st.tuples(st.sampled_from(keys), st.sampled_from(team.targets)), max_size=3)
    )
    conflicts = [*case["conflicts"], *new_conflicts]
    try:
        rep = draw_replacement(
            case["seed"],
            "T-1",
            case["pool"],
            placed_on_task=result.selected,
            team=team.team,
            team_targets=team.targets,
            team_members=team.members,
            replaced=replaced,
            still_eligible=lambda k: "away" if k in away else None,
            conflicts=conflicts,
        )
    except DrawError as exc:
        assert exc.code == "no_replacement"
        return
    unit_of = {c.key: c.unit_code for c in case["pool"]}
    assert rep.replacement not in result.selected  # never someone already placed
    assert rep.replacement not in away
    assert not {(rep.replacement, t) for t in team.targets} & set(conflicts)
    if [unit_of[k] for k in team.members].count(unit_of[replaced]) == 1:
        assert unit_of[rep.replacement] == unit_of[replaced]
    assert set(unit_of[k] for k in rep.members_after) == set(case["units"])
    assert rep.members_after.index(rep.replacement) == team.members.index(replaced)
    ahead = list(result.order[: result.order.index(rep.replacement)])
    assert [p.key for p in rep.passed_over] == ahead  # every candidate ahead is accounted for
    record = json.loads(
        json.dumps(
            replacement_record(
                rep, draw_id=3, amends=2, seed_input=None, reason="r", actor="t", at="t"
            )
        )
    )
    assert verify_record(record) == []
    TOOL_MODULE.verify_record(record)


@PROPERTY
@given(st.text(min_size=1, max_size=12))
def test_normalise_key_is_idempotent(text: str) -> None:
    try:
        key = normalise_key(text)
    except DrawError:
        return
    assert normalise_key(key) == key
    assert TOOL_MODULE.normal_key(key) == key


@PROPERTY
@given(keys=st.lists(KEYS, min_size=1, max_size=20, unique=True), seed=SEEDS)
def test_order_is_by_score_then_key(keys: list[str], seed: str) -> None:
    ranked = order(seed, "T-1", "targets", keys)
    assert sorted(keys) == sorted(ranked)
    scores = [score(seed, "T-1", "targets", k) for k in ranked]
    assert scores == sorted(scores)
    assert list(ranked) == TOOL_MODULE.in_order(seed, "T-1", "targets", keys)


JSON_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-1, 20),
    st.sampled_from(["", "*", "A", "e1024", "E1024", "41048129008", "SWJ", "placed", "0" * 64]),
    st.just([]),
    st.just({}),
)


@st.composite
def damaged_records(draw: st.DrawFn) -> dict[str, Any]:
    """A vector record with one value somewhere replaced or deleted."""
    record = _record(draw(st.sampled_from(RECORDS)))
    node: Any = record
    while True:
        where = draw(st.sampled_from(list(node) if isinstance(node, dict) else range(len(node))))
        child = node[where]
        if isinstance(child, dict | list) and child and draw(st.booleans()):
            node = child
            continue
        if draw(st.booleans()):
            del node[where]
        else:
            node[where] = draw(JSON_VALUES)
        return record


@PROPERTY
@given(record=damaged_records())
def test_both_verifiers_agree_on_damaged_records(record: dict[str, Any]) -> None:
    """bot.domain and the auditor's tool accept exactly the same records, and neither
    crashes on a damaged one."""
    ours = verify_record(record)
    try:
        TOOL_MODULE.verify_record(record)
        theirs = True
    except (TOOL_MODULE.Different, TOOL_MODULE.Unreadable):
        theirs = False
    assert (ours == []) == theirs, ours


# --- no bias ----------------------------------------------------------------------------


def test_selection_frequencies_pass_chi_square() -> None:
    """2000 fixed seeds, 5 of 20 drawn each time: every key should be drawn 500 times."""
    pool = [TargetCandidate(f"K{i:02d}", "U") for i in range(20)]
    draws, n, big_n = 2000, 5, len(pool)
    counts: Counter[str] = Counter()
    for i in range(draws):
        seed = hashlib.sha256(f"chi-square seed {i}".encode()).hexdigest()
        counts.update(
            draw_targets(seed, "CHI-SQUARE", pool, SamplingRequest.total(count=n), n).selected
        )
    expected = draws * n / big_n
    chi2 = sum((counts[c.key] - expected) ** 2 / expected for c in pool)
    # Drawing n of N without replacement makes each count Binomial(draws, n/N), whose
    # variance is (N-n)/(N-1) of the multinomial one; rescaling gives a chi-square with
    # N-1 = 19 degrees of freedom, whose critical value at alpha = 0.001 is 43.82.
    assert chi2 * (big_n - 1) / (big_n - n) < 43.82, dict(counts)
