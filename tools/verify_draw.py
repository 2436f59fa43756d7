#!/usr/bin/env python3
"""Recompute dsr-draw-v1 draws from their audit records (抽取记录复核).

    python3 tools/verify_draw.py RECORD.json [MORE.json ...]

Each file holds one audit record, a JSON list of records, or {"draws": [...]}. Every record
is recomputed from its own contents; where a file set also holds the draws a record refers
to (an inspectors draw's targets draw, a replacement's inspectors draw), the links are
checked too. Prints MATCH and exits 0, or prints the first difference and exits 1; exits 2
when an input cannot be read as records. Needs Python 3.9 or later.

This file is deliberately independent of dsr-bot: standard library only, nothing imported
from the project, the algorithm written out again from docs/dsr-draw-v1.md so that an
auditor can read it top to bottom and a bug in the bot's code cannot hide itself here.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
import unicodedata
from pathlib import Path
from typing import Any

Record = dict[str, Any]  # one audit record as parsed from JSON

ALGORITHM = "dsr-draw-v1"
HEX64 = re.compile(r"[0-9a-f]{64}")
TASK_CODE = re.compile(r"[A-Z0-9-]+")
RISK_CLASSES = ["A", "B", "C", "D", "U"]  # stratum order; U = no risk class
TOTAL = "*"  # the single stratum of a request for a total amount


class Unreadable(Exception):  # noqa: N818 - it is a verdict, as is Different
    """The input is not a record we can recompute (exit 2)."""


class Different(Exception):  # noqa: N818
    """The first place where the record and the recomputation disagree (exit 1)."""


# --- the algorithm ----------------------------------------------------------------------


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def seed_from_input(seed_input: str) -> str:
    """64 hex characters are the seed as they are (lower-cased); anything else (e.g. lottery
    numbers drawn in public) is NFKC-normalised, stripped and hashed."""
    if HEX64.fullmatch(seed_input.lower()):
        return seed_input.lower()
    return sha256_hex(unicodedata.normalize("NFKC", seed_input).strip())


def normal_key(key: str) -> str:
    """The form every key has in a record: NFKC, stripped, upper-case (then NFKC again)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", key).strip().upper())


def pool_digest(lines: list[str]) -> str:
    # Python sorts str by code point, the same order as sorting their UTF-8 bytes.
    return sha256_hex("\n".join(sorted(lines)))


def score(seed: str, task_code: str, purpose: str, key: str) -> str:
    return sha256_hex(f"{ALGORITHM}|{seed}|{task_code}|{purpose}|{key}")


def in_order(seed: str, task_code: str, purpose: str, keys: list[str]) -> list[str]:
    return sorted(keys, key=lambda key: (score(seed, task_code, purpose, key), key))


# --- reading records --------------------------------------------------------------------


def get(obj: object, name: str, kind: type) -> Any:
    if not isinstance(obj, dict) or name not in obj:
        raise Unreadable(f"missing field {name!r}")
    value = obj[name]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Unreadable(f"field {name!r} has the wrong type")
    return value


def get_str(obj: object, name: str) -> str:
    value: str = get(obj, name, str)
    return value


def get_int(obj: object, name: str) -> int:
    value: int = get(obj, name, int)
    return value


def get_list(obj: object, name: str) -> list[Any]:
    value: list[Any] = get(obj, name, list)
    return value


def get_strs(obj: object, name: str) -> list[str]:
    values = get_list(obj, name)
    if not all(isinstance(v, str) for v in values):
        raise Unreadable(f"field {name!r} must be a list of strings")
    return values


def expect(what: str, recorded: object, recomputed: object) -> None:
    """Stop at the first difference, naming the first element that differs."""
    if recorded == recomputed:
        return
    if isinstance(recorded, list) and isinstance(recomputed, list):
        for i, (a, b) in enumerate(zip(recorded, recomputed)):  # noqa: B905
            if a != b:
                raise Different(f"{what}[{i}]: record says {a!r}, recomputed {b!r}")
        raise Different(f"{what}: record has {len(recorded)}, recomputed {len(recomputed)}")
    raise Different(f"{what}: record says {recorded!r}, recomputed {recomputed!r}")


def is_normal_key(key: str) -> bool:
    bad = [c for c in key if c == "|" or unicodedata.category(c) in ("Cc", "Zl", "Zp")]
    return bool(key) and not bad and normal_key(key) == key


def check_keys(record: Record, purpose: str) -> None:
    """Every key outside the pool must be in normal form as well (a record never holds
    another spelling of a key)."""
    found = [("selected", key) for key in get_strs(record, "selected")]
    for team in get_list(record, "teams"):
        found += [("team targets", key) for key in get_strs(team, "targets")]
        if purpose != "targets":
            found += [("team members", key) for key in get_strs(team, "members")]
    if purpose != "targets":
        found += [("conflicts", key) for pair in conflict_pairs(record) for key in pair]
    if purpose == "replacement":
        params = get(record, "params", dict)
        found += [("placed", key) for key in get_strs(params, "placed")]
        found += [("members_before", key) for key in get_strs(params, "members_before")]
        found += [(name, get_str(record, name)) for name in ("replaced", "replacement")]
        found += [("passed_over", get_str(p, "key")) for p in get_list(record, "passed_over")]
    for where, key in found:
        if not is_normal_key(key):
            raise Different(f"{where}: {key!r} is not a key in normal form")


def read_pool(record: Record, label: str) -> list[tuple[str, str]]:
    """The pool as (key, stratum) or (key, unit) pairs, keys checked to be in normal form."""
    pool = [(get_str(entry, "key"), get_str(entry, label)) for entry in get_list(record, "pool")]
    seen = set()
    for key, value in pool:
        if not is_normal_key(key):
            raise Different(f"pool key {key!r} is not a key in normal form")
        if not value or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value):
            raise Different(f"pool key {key!r}: bad {label} {value!r}")
        if key in seen:
            raise Different(f"pool key {key!r} appears twice")
        seen.add(key)
    return pool


# --- targets ----------------------------------------------------------------------------


def stratum_size(amount: object, available: int) -> int:
    """n_s: a count as is; a per-mille ratio r as ceil(r * N_s / 1000) in integers."""
    if not isinstance(amount, dict) or len(amount) != 1:
        raise Unreadable("each request amount must be {'count': n} or {'ratio_permille': r}")
    if "count" in amount:
        count = get_int(amount, "count")
        if count < 0:
            raise Different(f"request: negative count {count}")
        return count
    ratio = get_int(amount, "ratio_permille")
    if not 0 <= ratio <= 1000:
        raise Different(f"request: ratio_permille {ratio} outside 0..1000")
    return (ratio * available + 999) // 1000


def verify_targets(record: Record, seed: str, task_code: str) -> str:
    pool = read_pool(record, "stratum")
    lines = [f"{key}\t{stratum}" for key, stratum in pool]
    expect("pool_digest", get_str(record, "pool_digest"), pool_digest(lines))
    params = get(record, "params", dict)
    request = get(params, "request", dict)
    # Either one amount for the whole pool ("*"), or amounts per risk class (others get 0).
    strata = [TOTAL] if list(request) == [TOTAL] else RISK_CLASSES
    if not request or not set(request) <= set(strata):
        raise Different(f"request: strata {sorted(request)} are neither '*' alone nor classes")
    unknown = sorted({s for _, s in pool} - set(strata))
    if unknown:
        raise Different(f"pool: strata {unknown} do not belong to this request")
    n_by_stratum = {}
    selected: list[str] = []
    for stratum in strata:
        keys = [key for key, s in pool if s == stratum]
        n = stratum_size(request.get(stratum, {"count": 0}), len(keys))
        if n > len(keys):
            raise Different(f"stratum {stratum}: {n} requested, only {len(keys)} in the pool")
        n_by_stratum[stratum] = n
        selected += in_order(seed, task_code, "targets", keys)[:n]
    if not selected:
        raise Different("nothing selected: an empty draw is never recorded")
    expect("n_by_stratum", get(params, "n_by_stratum", dict), n_by_stratum)
    expect("selected", get_strs(record, "selected"), selected)
    m = get_int(params, "targets_per_team")
    if m < 1:
        raise Different(f"targets_per_team {m} is less than 1")
    teams = [
        {"team": i // m + 1, "targets": selected[i : i + m]} for i in range(0, len(selected), m)
    ]
    expect("teams", get_list(record, "teams"), teams)
    return f"pool {len(pool)}, {len(selected)} selected in {len(teams)} teams"


# --- inspectors -------------------------------------------------------------------------


def conflict_pairs(record: Record) -> set[tuple[str, str]]:
    return {(get_str(c, "member"), get_str(c, "target")) for c in get_list(record, "conflicts")}


def verify_inspectors(record: Record, seed: str, task_code: str) -> str:
    pool = read_pool(record, "unit")
    lines = [f"{key}\t{unit}" for key, unit in pool]
    expect("pool_digest", get_str(record, "pool_digest"), pool_digest(lines))
    params = get(record, "params", dict)
    units = get_strs(params, "units")
    team_size = get_int(params, "team_size")
    if not units or len(set(units)) != len(units):
        raise Different(f"units {units}: empty or repeated")
    if team_size < max(2, len(units)):
        raise Different(f"team_size {team_size}: at least 2 and one per unit ({len(units)})")
    unit_of = dict(pool)
    strangers = sorted(k for k, u in pool if u not in units)
    if strangers:
        raise Different(f"pool: {strangers} are not of a participating unit")
    conflicts = conflict_pairs(record)
    order = in_order(seed, task_code, "inspectors", list(unit_of))
    all_targets = [k for team in get_list(record, "teams") for k in get_strs(team, "targets")]
    if not get_list(record, "teams") or len(set(all_targets)) != len(all_targets):
        raise Different("teams: none, or a target on two teams")

    used: set[str] = set()
    for number, team in enumerate(get_list(record, "teams"), start=1):
        expect("team number", get_int(team, "team"), number)
        targets = get_strs(team, "targets")
        if not targets:
            raise Different(f"team {number} has no targets")
        conflicted = {member for member, target in conflicts if target in targets}
        members: list[str] = []
        # Step 1: one inspector of each unit, in the units' order (lead unit first).
        # Step 2: fill up to team_size with whoever comes next, whatever the unit.
        # An inspector skipped for a conflict stays unused for the later teams.
        for wanted in units + [None] * (team_size - len(units)):
            free = [
                k
                for k in order
                if k not in used and k not in conflicted and wanted in (None, unit_of[k])
            ]
            if not free:
                raise Different(f"team {number}: no free inspector of unit {wanted or 'any'}")
            members.append(free[0])
            used.add(free[0])
        expect(f"team {number} members", get_strs(team, "members"), members)
    placed = [k for team in get_list(record, "teams") for k in get_strs(team, "members")]
    expect("selected", get_strs(record, "selected"), placed)
    return f"pool {len(pool)}, {len(placed)} placed in {len(get_list(record, 'teams'))} teams"


# --- replacement ------------------------------------------------------------------------


def verify_replacement(record: Record, seed: str, task_code: str) -> str:
    """Walk the amended inspectors draw's order (same seed, same pool) and give, for every
    candidate ahead of the replacement, the reason it was passed over."""
    pool = read_pool(record, "unit")
    lines = [f"{key}\t{unit}" for key, unit in pool]
    expect("pool_digest", get_str(record, "pool_digest"), pool_digest(lines))
    unit_of = dict(pool)
    params = get(record, "params", dict)
    before = get_strs(params, "members_before")
    placed = set(get_strs(params, "placed")) | set(before)
    replaced = get_str(record, "replaced")
    teams = get_list(record, "teams")
    if len(teams) != 1 or get_int(teams[0], "team") != get_int(record, "team"):
        raise Unreadable("a replacement record's teams hold exactly its own team")
    targets = get_strs(teams[0], "targets")
    if replaced not in before or any(k not in unit_of for k in before):
        raise Different(f"replaced {replaced!r} is not on the team, or a member is not in the pool")
    conflicted = {member for member, target in conflict_pairs(record) if target in targets}
    units_before = [unit_of[k] for k in before]
    # The only member of a unit on the team must be replaced from the same unit.
    required = unit_of[replaced] if units_before.count(unit_of[replaced]) == 1 else None
    # "No longer eligible" (away, certificate expired, busy elsewhere...) is a fact of the
    # day of the replacement that the record states; everything else is recomputed.
    said_ineligible = {
        get_str(p, "key"): get_str(p, "detail")
        for p in get_list(record, "passed_over")
        if get_str(p, "reason") == "ineligible"
    }
    passed = []
    chosen = None
    for key in in_order(seed, task_code, "inspectors", list(unit_of)):
        if key in placed:
            passed.append({"key": key, "reason": "placed"})
        elif key in conflicted:
            passed.append({"key": key, "reason": "conflict"})
        elif required is not None and unit_of[key] != required:
            passed.append({"key": key, "reason": "other_unit"})
        elif key in said_ineligible:
            passed.append({"key": key, "reason": "ineligible", "detail": said_ineligible[key]})
        else:
            chosen = key
            break
    if chosen is None:
        raise Different("no inspector left to replace with")
    expect("replacement", get_str(record, "replacement"), chosen)
    expect("passed_over", get_list(record, "passed_over"), passed)
    expect("selected", get_strs(record, "selected"), [chosen])
    after = [chosen if k == replaced else k for k in before]
    expect("team members after", get_strs(teams[0], "members"), after)
    return f"team {get_int(record, 'team')}: {replaced} replaced by {chosen}"


# --- one record, then the links between records -----------------------------------------


def verify_record(record: object) -> str:
    if not isinstance(record, dict):
        raise Unreadable("a record must be a JSON object")
    if record.get("algorithm") != ALGORITHM:
        raise Different(f"algorithm {record.get('algorithm')!r} is not {ALGORITHM}")
    seed = get_str(record, "seed")
    if not HEX64.fullmatch(seed):
        raise Different("seed is not 64 lower-case hex characters")
    if record.get("seed_input") is not None:
        expect("seed (from seed_input)", seed, seed_from_input(get_str(record, "seed_input")))
    task_code = get_str(record, "task_code")
    if not TASK_CODE.fullmatch(task_code):
        raise Different(f"task_code {task_code!r} is not [A-Z0-9-]")
    purpose = get_str(record, "purpose")
    verifiers = {
        "targets": verify_targets,
        "inspectors": verify_inspectors,
        "replacement": verify_replacement,
    }
    if purpose not in verifiers:
        raise Unreadable(f"unknown purpose {purpose!r}")
    check_keys(record, purpose)
    return verifiers[purpose](record, seed, task_code)


def label(record: Record) -> str:
    return f"record {record.get('id')} ({record.get('purpose')}, {record.get('task_code')})"


def reference(value: object) -> int | None:
    """Another record's id, as an inspectors draw or a replacement names it."""
    return value if type(value) is int else None


def verify_links(records: list[Record]) -> dict[int, str]:
    """Check each record against the ones it names, when they are among the inputs."""
    by_id = {r["id"]: r for r in records if isinstance(r.get("id"), int)}
    notes: dict[int, str] = {}
    for i, rec in enumerate(records):
        if rec.get("purpose") != "inspectors":
            continue
        targets_draw = by_id.get(reference(get(rec, "params", dict).get("targets_draw_id")))
        if targets_draw is not None:
            recorded = [get_strs(t, "targets") for t in get_list(rec, "teams")]
            drawn = [get_strs(t, "targets") for t in get_list(targets_draw, "teams")]
            expect(f"{label(rec)}: teams' targets vs the targets draw", recorded, drawn)
            notes[i] = f"teams match targets draw {targets_draw['id']}"
    team_now: dict[tuple[int, int], list[str]] = {}  # (inspectors draw id, team) -> members
    placed_now: dict[int, set[str]] = {}
    replacements = [(i, r) for i, r in enumerate(records) if r.get("purpose") == "replacement"]
    for i, rec in sorted(replacements, key=lambda pair: pair[1].get("id") or 0):
        original = by_id.get(reference(rec.get("amends")))
        if original is None:
            continue
        where = label(rec)
        if original.get("purpose") != "inspectors":
            raise Different(f"{where}: amends record {rec.get('amends')}, not an inspectors draw")
        for name in ("task_code", "seed", "pool_digest"):
            expect(f"{where}: {name} vs the amended draw", rec.get(name), original.get(name))
        oid = original["id"]
        if oid not in placed_now:
            placed_now[oid] = set(get_strs(original, "selected"))
            for t in get_list(original, "teams"):
                team_now[oid, get_int(t, "team")] = get_strs(t, "members")
        team = get_int(rec, "team")
        own = get_list(rec, "teams")[0]
        originals = {
            get_int(t, "team"): get_strs(t, "targets") for t in get_list(original, "teams")
        }
        expect(
            f"{where}: targets vs the amended draw", get_strs(own, "targets"), originals.get(team)
        )
        before = get_strs(get(rec, "params", dict), "members_before")
        expect(f"{where}: members_before vs the team then", before, team_now.get((oid, team)))
        missing = sorted(placed_now[oid] - set(get_strs(get(rec, "params", dict), "placed")))
        if missing:
            raise Different(f"{where}: placed omits {missing}, who were placed on the task")
        team_now[oid, team] = get_strs(own, "members")
        placed_now[oid].add(get_str(rec, "replacement"))
        notes[i] = f"follows inspectors draw {oid}"
    return notes


def load(paths: list[str]) -> list[Record]:
    records: list[Record] = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise Unreadable(f"{path}: {exc}") from exc
        if isinstance(data, dict) and "draws" in data:
            data = data["draws"]
        items = data if isinstance(data, list) else [data]
        if not items or not all(isinstance(item, dict) for item in items):
            raise Unreadable(f"{path}: expected a record, a list of records or {{'draws': [...]}}")
        records += items
    return records


def main(argv: list[str]) -> int:
    if not argv:
        print(__doc__, file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help"):
        print(__doc__)
        return 0
    try:
        records = load(argv)
        summaries = []
        for record in records:
            try:
                summaries.append(verify_record(record))
            except Different as exc:
                raise Different(f"{label(record)}: {exc}") from None
            except Unreadable as exc:
                raise Unreadable(f"{label(record)}: {exc}") from None
        notes = verify_links(records)
    except Unreadable as exc:
        print(f"UNREADABLE: {exc}")
        return 2
    except Different as exc:
        print(f"DIFFERENT: {exc}")
        return 1
    print("MATCH")
    for i, (record, summary) in enumerate(zip(records, summaries)):  # noqa: B905
        extra = f"; {notes[i]}" if i in notes else ""
        print(f"  {label(record)}: {summary}{extra}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
