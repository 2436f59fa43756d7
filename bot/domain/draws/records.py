"""Audit records of dsr-draw-v1 draws (docs/dsr-draw-v1.md) and their verification.

A record holds everything needed to recompute its draw, so ``verify_record`` takes nothing
but the record: it re-runs bot.domain.draws.algorithm on the record's own inputs and compares. A
replacement record copies the amended inspectors draw's seed and pool for the same reason.
``tools/verify_draw.py`` does the same job without importing this package.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.domain.draws.algorithm import (
    ALGORITHM,
    PASSED_INELIGIBLE,
    PURPOSE_INSPECTORS,
    PURPOSE_REPLACEMENT,
    PURPOSE_TARGETS,
    Amount,
    DrawError,
    InspectorCandidate,
    InspectorDraw,
    Replacement,
    SamplingRequest,
    TargetCandidate,
    TargetDraw,
    draw_inspectors,
    draw_replacement,
    draw_targets,
    normalise_key,
    pool_digest,
    seed_from_input,
)

Record = dict[str, Any]


def request_to_json(request: SamplingRequest) -> dict[str, dict[str, int]]:
    """``{"B": {"ratio_permille": 50}}``, ``{"A": {"count": 3}}`` or ``{"*": {"count": 10}}``."""
    return {stratum: _amount_json(amount) for stratum, amount in request.amounts}


def _amount_json(amount: Amount) -> dict[str, int]:
    if amount.count is not None:
        return {"count": amount.count}
    return {"ratio_permille": amount.ratio_permille or 0}


def request_from_json(data: Mapping[str, Mapping[str, int]]) -> SamplingRequest:
    return SamplingRequest.per_class(
        {s: Amount(a.get("count"), a.get("ratio_permille")) for s, a in data.items()}
    )


def _stamp(at: datetime | str) -> str:
    return at if isinstance(at, str) else at.isoformat(timespec="seconds")


def _head(seed: str, seed_input: str | None, task_code: str, purpose: str) -> Record:
    # A record whose seed does not follow from its seed_input would never verify: refuse it.
    if seed_input is not None and seed_from_input(seed_input) != seed:
        raise DrawError("seed_input_mismatch", seed=seed, seed_input=seed_input)
    return {
        "id": None,
        "algorithm": ALGORITHM,
        "task_code": task_code,
        "purpose": purpose,
        "seed": seed,
        "seed_input": seed_input,
    }


def _conflicts(pairs: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    return [{"member": member, "target": target} for member, target in pairs]


def targets_record(
    draw: TargetDraw,
    *,
    draw_id: int | None,
    seed_input: str | None,
    actor: str,
    at: datetime | str,
    supersedes: int | None = None,
    reason: str | None = None,
) -> Record:
    return _head(draw.seed, seed_input, draw.task_code, PURPOSE_TARGETS) | {
        "id": draw_id,
        "pool_digest": draw.pool_digest,
        "pool": [{"key": key, "stratum": stratum, "unit": None} for key, stratum in draw.pool],
        "params": {
            "request": request_to_json(draw.request),
            "n_by_stratum": dict(draw.n_by_stratum),
            "targets_per_team": draw.targets_per_team,
        },
        "selected": list(draw.selected),
        "teams": [{"team": t, "targets": list(ks)} for t, ks in enumerate(draw.teams, start=1)],
        "supersedes": supersedes,
        "reason": reason,
        "actor": actor,
        "at": _stamp(at),
    }


def inspectors_record(
    draw: InspectorDraw,
    *,
    draw_id: int | None,
    targets_draw_id: int | None,
    seed_input: str | None,
    actor: str,
    at: datetime | str,
    supersedes: int | None = None,
    reason: str | None = None,
) -> Record:
    return _head(draw.seed, seed_input, draw.task_code, PURPOSE_INSPECTORS) | {
        "id": draw_id,
        "pool_digest": draw.pool_digest,
        "pool": [{"key": c.key, "stratum": None, "unit": c.unit_code} for c in draw.pool],
        "params": {
            "units": list(draw.units),
            "team_size": draw.team_size,
            "targets_draw_id": targets_draw_id,
        },
        "selected": list(draw.selected),
        "teams": [
            {"team": team.team, "targets": list(team.targets), "members": list(team.members)}
            for team in draw.teams
        ],
        "conflicts": _conflicts(draw.conflicts),
        "supersedes": supersedes,
        "reason": reason,
        "actor": actor,
        "at": _stamp(at),
    }


def replacement_record(
    rep: Replacement,
    *,
    draw_id: int | None,
    amends: int | None,
    seed_input: str | None,
    reason: str,
    actor: str,
    at: datetime | str,
) -> Record:
    """``seed``, ``seed_input``, ``pool`` and ``pool_digest`` are the amended inspectors
    draw's: a replacement has no seed of its own, so nobody can re-roll a team."""
    return _head(rep.seed, seed_input, rep.task_code, PURPOSE_REPLACEMENT) | {
        "id": draw_id,
        "pool_digest": rep.pool_digest,
        "pool": [{"key": c.key, "stratum": None, "unit": c.unit_code} for c in rep.pool],
        "params": {"placed": list(rep.placed), "members_before": list(rep.members_before)},
        "conflicts": _conflicts(rep.conflicts),
        "amends": amends,
        "team": rep.team,
        "replaced": rep.replaced,
        "replacement": rep.replacement,
        "passed_over": [_passed_json(p.key, p.reason, p.detail) for p in rep.passed_over],
        "selected": [rep.replacement],
        "teams": [
            {"team": rep.team, "targets": list(rep.targets), "members": list(rep.members_after)}
        ],
        "supersedes": None,
        "reason": reason,
        "actor": actor,
        "at": _stamp(at),
    }


def _passed_json(key: str, reason: str, detail: str | None) -> dict[str, str]:
    return {"key": key, "reason": reason} | ({"detail": detail} if detail is not None else {})


# --- verification -----------------------------------------------------------------------


class _MalformedError(Exception):
    """The record lacks a field or has one of the wrong type: nothing to recompute."""


def _get(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name) if isinstance(data, Mapping) else None
    if not isinstance(value, kind) or isinstance(value, bool):
        raise _MalformedError(f"{name}: missing or not {getattr(kind, '__name__', kind)}")
    return value


def _mappings(data: Mapping[str, Any], name: str) -> list[Mapping[str, Any]]:
    values: list[Any] = _get(data, name, list)
    if not all(isinstance(v, Mapping) for v in values):
        raise _MalformedError(f"{name}: not a list of objects")
    return values


def _strings(data: Mapping[str, Any], name: str) -> list[str]:
    values: list[Any] = _get(data, name, list)
    if not all(isinstance(v, str) for v in values):
        raise _MalformedError(f"{name}: not a list of strings")
    return values


def _differ(diffs: list[str], what: str, recorded: object, recomputed: object) -> None:
    """Name the first element that differs, which is what an auditor wants to look at."""
    if recorded == recomputed:
        return
    if isinstance(recorded, list) and isinstance(recomputed, list):
        for i, (a, b) in enumerate(zip(recorded, recomputed, strict=False)):
            if a != b:
                diffs.append(f"{what}[{i}]: record says {a!r}, recomputed {b!r}")
                return
        diffs.append(f"{what}: record has {len(recorded)}, recomputed {len(recomputed)}")
        return
    diffs.append(f"{what}: record says {recorded!r}, recomputed {recomputed!r}")


@dataclass(frozen=True)
class _Common:
    """What every record carries, already checked for shape."""

    seed: str
    task_code: str
    pool: list[tuple[str, str]]  # (key, stratum) or (key, unit)
    teams: list[Mapping[str, Any]]


def verify_record(record: Mapping[str, Any]) -> list[str]:
    """Recompute a record from itself: [] means MATCH, else the differences, first first."""
    try:
        return _verify(record)
    except _MalformedError as exc:
        return [f"malformed record: {exc}"]
    except DrawError as exc:  # the record's own inputs cannot produce a draw
        return [f"recomputation fails: {exc}"]


def _verify(record: Mapping[str, Any]) -> list[str]:
    if not isinstance(record, Mapping) or record.get("algorithm") != ALGORITHM:
        return [f"algorithm: not {ALGORITHM}"]
    diffs: list[str] = []
    purpose = _get(record, "purpose", str)
    seed = _get(record, "seed", str)
    task_code = _get(record, "task_code", str)
    seed_input = record.get("seed_input")
    if seed_input is not None:
        _differ(
            diffs, "seed (from seed_input)", seed, seed_from_input(_get(record, "seed_input", str))
        )
    label = "stratum" if purpose == PURPOSE_TARGETS else "unit"
    pool = [(_get(e, "key", str), _get(e, label, str)) for e in _mappings(record, "pool")]
    for i, (key, _) in enumerate(pool):
        _differ(diffs, f"pool[{i}].key (normalised)", key, normalise_key(key))
    digest = pool_digest(f"{key}\t{value}" for key, value in pool)
    _differ(diffs, "pool_digest", _get(record, "pool_digest", str), digest)
    _check_keys(diffs, record, purpose)
    common = _Common(seed, task_code, pool, _mappings(record, "teams"))
    if purpose == PURPOSE_TARGETS:
        _verify_targets(diffs, record, common)
    elif purpose == PURPOSE_INSPECTORS:
        _verify_inspectors(diffs, record, common)
    elif purpose == PURPOSE_REPLACEMENT:
        _verify_replacement(diffs, record, common)
    else:
        raise _MalformedError(f"purpose: unknown {purpose!r}")
    return diffs


def _check_keys(diffs: list[str], record: Mapping[str, Any], purpose: str) -> None:
    """Every key outside the pool is in normal form too: the draw functions would quietly
    normalise a tampered "e1024" in a team's targets, which an auditor's tool would not."""
    found = [("selected", key) for key in _strings(record, "selected")]
    for i, team in enumerate(_mappings(record, "teams")):
        found += [(f"teams[{i}].targets", key) for key in _strings(team, "targets")]
        if purpose != PURPOSE_TARGETS:
            found += [(f"teams[{i}].members", key) for key in _strings(team, "members")]
    if purpose != PURPOSE_TARGETS:
        found += [("conflicts", key) for pair in _conflict_pairs(record) for key in pair]
    if purpose == PURPOSE_REPLACEMENT:
        params = _get(record, "params", Mapping)
        found += [("params.placed", key) for key in _strings(params, "placed")]
        found += [("params.members_before", key) for key in _strings(params, "members_before")]
        found += [(name, _get(record, name, str)) for name in ("replaced", "replacement")]
        found += [("passed_over", _get(p, "key", str)) for p in _mappings(record, "passed_over")]
    for where, key in found:
        try:
            normal = normalise_key(key)
        except DrawError:
            normal = None
        if normal != key:
            diffs.append(f"{where}: {key!r} is not a key in normal form")


def _verify_targets(diffs: list[str], record: Mapping[str, Any], common: _Common) -> None:
    seed, task_code, pool, teams = common.seed, common.task_code, common.pool, common.teams
    params = _get(record, "params", Mapping)
    request = _request(_get(params, "request", Mapping))
    if any((stratum == "*") != request.is_total for _, stratum in pool):
        diffs.append("pool: strata must all be '*' exactly when the request is a total")
    candidates = [TargetCandidate(key, stratum) for key, stratum in pool]
    draw = draw_targets(seed, task_code, candidates, request, _get(params, "targets_per_team", int))
    _differ(
        diffs, "n_by_stratum", dict(_get(params, "n_by_stratum", Mapping)), dict(draw.n_by_stratum)
    )
    _differ(diffs, "selected", _strings(record, "selected"), list(draw.selected))
    recomputed = [{"team": t, "targets": list(ks)} for t, ks in enumerate(draw.teams, start=1)]
    _differ(diffs, "teams", [dict(team) for team in teams], recomputed)


def _verify_inspectors(diffs: list[str], record: Mapping[str, Any], common: _Common) -> None:
    seed, task_code, pool, teams = common.seed, common.task_code, common.pool, common.teams
    params = _get(record, "params", Mapping)
    for i, team in enumerate(teams, start=1):
        _differ(diffs, f"teams[{i - 1}].team", _get(team, "team", int), i)
    draw = draw_inspectors(
        seed,
        task_code,
        [InspectorCandidate(key, unit) for key, unit in pool],
        units=_strings(params, "units"),
        team_size=_get(params, "team_size", int),
        team_targets=[_strings(team, "targets") for team in teams],
        conflicts=_conflict_pairs(record),
    )
    _differ(diffs, "selected", _strings(record, "selected"), list(draw.selected))
    for i, (team, redrawn) in enumerate(zip(teams, draw.teams, strict=True)):
        _differ(diffs, f"teams[{i}].members", _strings(team, "members"), list(redrawn.members))


def _request(data: Mapping[str, Any]) -> SamplingRequest:
    for amount in data.values():
        if (
            not isinstance(amount, Mapping)
            or len(amount) != 1
            or not set(amount) <= {"count", "ratio_permille"}
            or not all(type(v) is int for v in amount.values())
        ):
            raise _MalformedError("request: each amount is {count: n} or {ratio_permille: r}")
    return request_from_json(data)


def _conflict_pairs(record: Mapping[str, Any]) -> list[tuple[str, str]]:
    pairs = _mappings(record, "conflicts")
    return [(_get(c, "member", str), _get(c, "target", str)) for c in pairs]


def _verify_replacement(diffs: list[str], record: Mapping[str, Any], common: _Common) -> None:
    seed, task_code, pool, teams = common.seed, common.task_code, common.pool, common.teams
    params = _get(record, "params", Mapping)
    team_no = _get(record, "team", int)
    if len(teams) != 1 or _get(teams[0], "team", int) != team_no:
        raise _MalformedError("teams: a replacement record holds exactly its own team")
    passed = _mappings(record, "passed_over")
    # "No longer eligible" is a fact of the day of the replacement, not recomputable: the
    # record's word is taken for it, and everything else is recomputed around it.
    ineligible = {
        _get(p, "key", str): _get(p, "detail", str)
        for p in passed
        if _get(p, "reason", str) == PASSED_INELIGIBLE
    }
    rep = draw_replacement(
        seed,
        task_code,
        [InspectorCandidate(key, unit) for key, unit in pool],
        placed_on_task=_strings(params, "placed"),
        team=team_no,
        team_targets=_strings(teams[0], "targets"),
        team_members=_strings(params, "members_before"),
        replaced=_get(record, "replaced", str),
        still_eligible=ineligible.get,
        conflicts=_conflict_pairs(record),
    )
    _differ(diffs, "replacement", _get(record, "replacement", str), rep.replacement)
    recomputed = [_passed_json(p.key, p.reason, p.detail) for p in rep.passed_over]
    _differ(diffs, "passed_over", [dict(p) for p in passed], recomputed)
    _differ(diffs, "selected", _strings(record, "selected"), [rep.replacement])
    _differ(diffs, "teams[0].members", _strings(teams[0], "members"), list(rep.members_after))


def verify_records(records: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each record on its own, then the links between the records given: an inspectors
    draw's teams carry its targets draw's teams; replacements (in id order) share their
    inspectors draw's seed and pool and start from the team as it then stood."""
    diffs = [f"{_label(r)}: {d}" for r in records for d in verify_record(r)]
    try:
        _verify_links(diffs, [r for r in records if isinstance(r, Mapping)])
    except _MalformedError as exc:
        diffs.append(f"malformed record: {exc}")
    return diffs


def _label(record: Mapping[str, Any]) -> str:
    if not isinstance(record, Mapping):
        return "record ?"
    return f"record {record.get('id')} ({record.get('purpose')})"


def _ref(value: object) -> int | None:
    """A reference to another record's id; anything else (null, a typo) links nothing."""
    return value if type(value) is int else None


def _verify_links(diffs: list[str], records: list[Mapping[str, Any]]) -> None:
    by_id = {r["id"]: r for r in records if isinstance(r.get("id"), int)}
    for rec in records:
        if rec.get("purpose") != PURPOSE_INSPECTORS:
            continue
        original = by_id.get(_ref(_get(rec, "params", Mapping).get("targets_draw_id")))
        if original is not None:
            recorded = [_strings(t, "targets") for t in _mappings(rec, "teams")]
            drawn = [_strings(t, "targets") for t in _mappings(original, "teams")]
            _differ(diffs, f"{_label(rec)}: teams' targets vs the targets draw", recorded, drawn)

    teams_now: dict[int, dict[int, list[str]]] = {}  # inspectors draw id -> team -> members
    placed_now: dict[int, set[str]] = {}
    replacements = [r for r in records if r.get("purpose") == PURPOSE_REPLACEMENT]
    for rec in sorted(replacements, key=lambda r: r.get("id") or 0):
        original = by_id.get(_ref(rec.get("amends")))
        if original is None:
            continue  # only the record's own check is possible
        where = _label(rec)
        if original.get("purpose") != PURPOSE_INSPECTORS:
            diffs.append(f"{where}: amends a record that is not an inspectors draw")
            continue
        for name in ("task_code", "seed", "pool_digest"):
            _differ(
                diffs, f"{where}: {name} vs the amended draw", rec.get(name), original.get(name)
            )
        oid = original["id"]
        if oid not in teams_now:
            teams_now[oid] = {
                _get(t, "team", int): _strings(t, "members") for t in _mappings(original, "teams")
            }
            placed_now[oid] = set(_strings(original, "selected"))
        team = _get(rec, "team", int)
        targets = {
            _get(t, "team", int): _strings(t, "targets") for t in _mappings(original, "teams")
        }
        params = _get(rec, "params", Mapping)
        own = (_mappings(rec, "teams") or [{}])[0]
        _differ(
            diffs,
            f"{where}: targets vs the amended draw",
            _strings(own, "targets"),
            targets.get(team),
        )
        before = _strings(params, "members_before")
        _differ(
            diffs, f"{where}: members_before vs the team then", before, teams_now[oid].get(team)
        )
        missing = sorted(placed_now[oid] - set(_strings(params, "placed")))
        if missing:
            diffs.append(f"{where}: placed omits {missing}")
        teams_now[oid][team] = _strings(own, "members")
        placed_now[oid].add(_get(rec, "replacement", str))
