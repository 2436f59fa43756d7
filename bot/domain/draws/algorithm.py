"""The draw, dsr-draw-v1 (抽取 / 摇号), as docs/dsr-draw-v1.md describes it.

Everything here is a pure function of its arguments. Randomness enters only as the seed,
which the caller brings (``secrets.token_hex(32)`` in the services, or a public ceremony via
``seed_from_input``), so anyone holding a draw's audit record can recompute it years later.
``tools/verify_draw.py`` re-implements the same rules independently on purpose: a change
here is a new algorithm name, never an edit of this one.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import NamedTuple

ALGORITHM = "dsr-draw-v1"
PURPOSE_TARGETS = "targets"
PURPOSE_INSPECTORS = "inspectors"
PURPOSE_REPLACEMENT = "replacement"
# Risk classes in stratum order; U = no class. A total-count request has the one stratum "*".
RISK_STRATA: tuple[str, ...] = ("A", "B", "C", "D", "U")
TOTAL_STRATUM = "*"
# Reasons a replacement walk passes over a candidate, in the order they are checked: the
# first three are recomputable from the record, "ineligible" is a fact of the day (detail).
PASSED_PLACED = "placed"
PASSED_CONFLICT = "conflict"
PASSED_OTHER_UNIT = "other_unit"
PASSED_INELIGIBLE = "ineligible"

_HEX64 = re.compile(r"[0-9a-f]{64}")
_TASK_CODE = re.compile(r"[A-Z0-9-]+")
# Controls (tab, newline, CR, ...) and line/paragraph separators would break the
# "key<TAB>label" lines or the "\n"-joined digest input; "|" would make the score's input
# ambiguous.
_FORBIDDEN_CATEGORIES = frozenset({"Cc", "Zl", "Zp"})
# The same rule for ASCII: its only Cc characters are U+0000-U+001F and U+007F.
_ASCII_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f|]")
# Printable ASCII without lower-case letters or "|", not starting or ending with a space:
# what normalise_key returns unchanged.
_NORMAL_ASCII = re.compile(r"[!-`{}~](?:[ -`{}~]*[!-`{}~])?")


class DrawError(ValueError):
    """A draw that cannot be made (or recomputed). ``code`` is for the translated message,
    ``details`` carries the numbers the person needs to fix the input."""

    def __init__(self, code: str, **details: object) -> None:
        self.code = code
        self.details: dict[str, object] = details
        shown = ", ".join(f"{name}={value!r}" for name, value in details.items())
        super().__init__(f"{code}: {shown}" if shown else code)


# --- primitives -------------------------------------------------------------------------


def seed_from_input(text: str) -> str:
    """A ceremony input (e.g. lottery digits drawn in public) to a seed: a 64-hex string is
    used as is (lower-cased); anything else is hashed after NFKC and strip, so full-width
    digits typed on a Chinese keyboard give the same seed as half-width ones."""
    lowered = text.lower()
    if _HEX64.fullmatch(lowered):
        return lowered
    normalised = unicodedata.normalize("NFKC", text).strip()
    if not normalised:
        raise DrawError("seed_input_empty")
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def normalise_key(key: str) -> str:
    """NFKC, strip, upper-case (NFKC again: upper() can decompose, e.g. Greek with tonos)."""
    if _NORMAL_ASCII.fullmatch(key):  # already in normal form: nearly every real key
        return key
    if key.isascii():
        # NFKC leaves ASCII as it is, so the common case (USCCs, certificate numbers) needs
        # only strip and upper: the same result, several times faster on a 1,000,000 pool.
        normal = key.strip().upper()
        if not normal:
            raise DrawError("key_empty", key=key)
        bad = _ASCII_FORBIDDEN.search(normal)
        if bad:
            raise DrawError("key_forbidden_char", key=key, char=f"U+{ord(bad[0]):04X}")
        return normal
    normal = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", key).strip().upper())
    if not normal:
        raise DrawError("key_empty", key=key)
    for char in normal:
        if char == "|" or unicodedata.category(char) in _FORBIDDEN_CATEGORIES:
            raise DrawError("key_forbidden_char", key=key, char=f"U+{ord(char):04X}")
    return normal


def pool_lines(entries: Iterable[tuple[str, str]]) -> list[str]:
    """(key, stratum-or-unit) pairs to ``key<TAB>label`` lines, sorted by code point."""
    return sorted(f"{key}\t{label}" for key, label in entries)


def pool_digest(lines: Iterable[str]) -> str:
    # Sorted here again so that no caller can make the digest depend on a database's ORDER BY.
    return hashlib.sha256("\n".join(sorted(lines)).encode("utf-8")).hexdigest()


def _score_prefix(seed: str, task_code: str, purpose: str) -> str:
    return f"{ALGORITHM}|{seed}|{task_code}|{purpose}|"


def score(seed: str, task_code: str, purpose: str, key: str) -> str:
    text = _score_prefix(seed, task_code, purpose) + key
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def order(seed: str, task_code: str, purpose: str, keys: Iterable[str]) -> tuple[str, ...]:
    """Candidates sorted by (score, key); the key only breaks a (never seen) score tie."""
    return _order_sorted(seed, task_code, purpose, sorted(_unique(keys)))


def _order_sorted(seed: str, task_code: str, purpose: str, keys: list[str]) -> tuple[str, ...]:
    """``order`` for unique keys already sorted: a stable sort by score alone then leaves
    ties in key order. Scores are compared as their 32 bytes, which orders them exactly as
    their hex strings (a 1,000,000 pool sorts several times faster than by (hex, key))."""
    prefix = _score_prefix(seed, task_code, purpose)
    sha256 = hashlib.sha256
    scores = [sha256((prefix + key).encode("utf-8")).digest() for key in keys]
    return tuple([keys[i] for i in sorted(range(len(keys)), key=scores.__getitem__)])


def _unique(keys: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    result = []
    for key in keys:
        if key in seen:
            raise DrawError("duplicate_key", key=key)
        seen.add(key)
        result.append(key)
    return result


def _check_seed_and_task(seed: str, task_code: str) -> None:
    if not _HEX64.fullmatch(seed):
        raise DrawError("bad_seed", seed=seed)
    if not _TASK_CODE.fullmatch(task_code):
        raise DrawError("bad_task_code", task_code=task_code)


def _check_label(label: str) -> None:
    if not label or any(unicodedata.category(c) in _FORBIDDEN_CATEGORIES for c in label):
        raise DrawError("bad_unit_code", unit=label)


# --- targets ----------------------------------------------------------------------------


class TargetCandidate(NamedTuple):
    # A named tuple rather than a dataclass: a city's pool has 1,000,000 of them, and a
    # tuple of strings is made several times faster and leaves the cyclic GC alone.
    key: str
    stratum: str  # A-D or U; ignored (becomes "*") when the request is a total


@dataclass(frozen=True)
class Amount:
    """One stratum's amount: exactly one of a count or a ratio in per-mille (‰)."""

    count: int | None = None
    ratio_permille: int | None = None

    def __post_init__(self) -> None:
        if (self.count is None) == (self.ratio_permille is None):
            raise DrawError("amount_needs_one", count=self.count, ratio=self.ratio_permille)
        if self.count is not None and self.count < 0:
            raise DrawError("bad_count", count=self.count)
        if self.ratio_permille is not None and not 0 <= self.ratio_permille <= 1000:
            raise DrawError("bad_ratio", ratio_permille=self.ratio_permille)

    def size(self, available: int) -> int:
        if self.count is not None:
            return self.count
        assert self.ratio_permille is not None
        return (self.ratio_permille * available + 999) // 1000  # ceiling, integers only


@dataclass(frozen=True)
class SamplingRequest:
    """Either ``{"*": amount}`` (one stratum for the whole pool) or amounts per risk class;
    a class not named gets 0."""

    amounts: tuple[tuple[str, Amount], ...]

    def __post_init__(self) -> None:
        names = [name for name, _ in self.amounts]
        if not names:
            raise DrawError("request_empty")
        if len(set(names)) != len(names):
            raise DrawError("request_duplicate_stratum", strata=names)
        if TOTAL_STRATUM in names and len(names) > 1:
            raise DrawError("request_mixes_total", strata=names)
        unknown = [n for n in names if n != TOTAL_STRATUM and n not in RISK_STRATA]
        if unknown:
            raise DrawError("request_unknown_stratum", strata=unknown)

    @classmethod
    def total(cls, count: int | None = None, ratio_permille: int | None = None) -> SamplingRequest:
        return cls(((TOTAL_STRATUM, Amount(count, ratio_permille)),))

    @classmethod
    def per_class(cls, amounts: Mapping[str, Amount]) -> SamplingRequest:
        return cls(
            tuple((s, amounts[s]) for s in RISK_STRATA if s in amounts)
            + tuple((s, a) for s, a in amounts.items() if s not in RISK_STRATA)
        )

    @classmethod
    def counts(cls, counts: Mapping[str, int]) -> SamplingRequest:
        return cls.per_class({s: Amount(count=n) for s, n in counts.items()})

    @classmethod
    def ratios(cls, permille: Mapping[str, int]) -> SamplingRequest:
        return cls.per_class({s: Amount(ratio_permille=r) for s, r in permille.items()})

    @property
    def is_total(self) -> bool:
        return self.amounts[0][0] == TOTAL_STRATUM

    @property
    def strata(self) -> tuple[str, ...]:
        return (TOTAL_STRATUM,) if self.is_total else RISK_STRATA

    def amount(self, stratum: str) -> Amount:
        return dict(self.amounts).get(stratum, Amount(count=0))


@dataclass(frozen=True)
class TargetDraw:
    seed: str
    task_code: str
    pool: tuple[TargetCandidate, ...]  # as hashed: keys normalised, "*" for a total, by line
    pool_digest: str
    request: SamplingRequest
    targets_per_team: int
    order_by_stratum: Mapping[str, tuple[str, ...]]
    n_by_stratum: Mapping[str, int]
    selected: tuple[str, ...]
    teams: tuple[tuple[str, ...], ...]  # team t (1-based) is teams[t - 1]


def draw_targets(
    seed: str,
    task_code: str,
    pool: Sequence[TargetCandidate],
    request: SamplingRequest,
    targets_per_team: int,
) -> TargetDraw:
    """Per stratum, the first n_s of its order; teams are slices of ``targets_per_team``.
    With a total request every candidate's stratum becomes "*" (in the lines and digest
    too), so a draw that does not stratify neither depends on nor reveals risk classes."""
    _check_seed_and_task(seed, task_code)
    if targets_per_team < 1:
        raise DrawError("bad_targets_per_team", targets_per_team=targets_per_team)
    strata, total = request.strata, request.is_total
    # A candidate already in normal form is kept as it is (no new object per entry).
    if total:  # every stratum becomes "*", so none can be wrong
        candidates = [
            given
            if (key := normalise_key(given.key)) == given.key and given.stratum == TOTAL_STRATUM
            else TargetCandidate(key, TOTAL_STRATUM)
            for given in pool
        ]
    else:
        candidates = []
        for given in pool:
            if given.stratum not in strata:
                raise DrawError("bad_stratum", key=given.key, stratum=given.stratum)
            key = normalise_key(given.key)
            candidates.append(given if key == given.key else TargetCandidate(key, given.stratum))
    # Sorted by line once; the lines are the digest's input as they are.
    lines = [f"{key}\t{stratum}" for key, stratum in candidates]
    by_line = sorted(range(len(lines)), key=lines.__getitem__)
    candidates = [candidates[i] for i in by_line]
    lines = [lines[i] for i in by_line]
    all_keys = [c.key for c in candidates]  # in key order: "\t" sorts before any key character
    if len(set(all_keys)) != len(all_keys):
        _unique(all_keys)  # raises, naming the key
    digest = pool_digest(lines)

    keys_by_stratum: dict[str, list[str]] = {s: [] for s in strata}
    if total:
        keys_by_stratum[TOTAL_STRATUM] = all_keys
    else:
        for c in candidates:
            keys_by_stratum[c.stratum].append(c.key)
    orders: dict[str, tuple[str, ...]] = {}
    sizes: dict[str, int] = {}
    for stratum in strata:
        keys = keys_by_stratum[stratum]
        orders[stratum] = _order_sorted(seed, task_code, PURPOSE_TARGETS, keys)
        sizes[stratum] = request.amount(stratum).size(len(keys))
    short = {
        s: {"requested": sizes[s], "available": len(orders[s])}
        for s in request.strata
        if sizes[s] > len(orders[s])
    }
    if short:
        raise DrawError("stratum_too_small", strata=short)
    selected = tuple(key for s in request.strata for key in orders[s][: sizes[s]])
    if not selected:
        raise DrawError("empty", pool_size=len(candidates))
    m = targets_per_team
    return TargetDraw(
        seed=seed,
        task_code=task_code,
        pool=tuple(candidates),
        pool_digest=digest,
        request=request,
        targets_per_team=m,
        order_by_stratum=MappingProxyType(orders),
        n_by_stratum=MappingProxyType(sizes),
        selected=selected,
        teams=tuple(selected[i : i + m] for i in range(0, len(selected), m)),
    )


# --- inspectors -------------------------------------------------------------------------


@dataclass(frozen=True)
class InspectorCandidate:
    key: str  # cert_no
    unit_code: str


@dataclass(frozen=True)
class InspectorTeam:
    team: int
    targets: tuple[str, ...]
    members: tuple[str, ...]  # in placement order; members[0] is the leader (组长)

    @property
    def leader(self) -> str:
        return self.members[0]


@dataclass(frozen=True)
class InspectorDraw:
    seed: str
    task_code: str
    pool: tuple[InspectorCandidate, ...]  # keys normalised, sorted by line
    pool_digest: str
    units: tuple[str, ...]
    team_size: int
    order: tuple[str, ...]
    teams: tuple[InspectorTeam, ...]
    conflicts: tuple[tuple[str, str], ...]  # (inspector, target) pairs that mattered, sorted

    @property
    def selected(self) -> tuple[str, ...]:
        return tuple(key for team in self.teams for key in team.members)


def _inspector_pool(
    pool: Sequence[InspectorCandidate], units: Sequence[str]
) -> tuple[list[InspectorCandidate], dict[str, str]]:
    candidates = [InspectorCandidate(normalise_key(c.key), c.unit_code) for c in pool]
    for candidate in candidates:
        _check_label(candidate.unit_code)
        if candidate.unit_code not in units:
            raise DrawError("unit_not_participating", key=candidate.key, unit=candidate.unit_code)
    candidates.sort(key=lambda c: f"{c.key}\t{c.unit_code}")
    _unique(c.key for c in candidates)
    return candidates, {c.key: c.unit_code for c in candidates}


def _relevant_conflicts(
    conflicts: Collection[tuple[str, str]], pool: Collection[str], targets: Collection[str]
) -> list[tuple[str, str]]:
    """The declared conflicts that can matter here: pool inspector x drawn target."""
    pairs = {(normalise_key(i), normalise_key(t)) for i, t in conflicts}
    return sorted((i, t) for i, t in pairs if i in pool and t in targets)


def _first_free(
    ranked: Sequence[str], unit_of: Mapping[str, str], want: str | None, *skip: set[str]
) -> str | None:
    """The first key in order that no skip-set holds, of unit ``want`` (None: any unit)."""
    for key in ranked:
        if want in (None, unit_of[key]) and not any(key in s for s in skip):
            return key
    return None


def _conflicted_with(conflicts: Collection[tuple[str, str]], targets: Collection[str]) -> set[str]:
    return {inspector for inspector, target in conflicts if target in targets}


def draw_inspectors(
    seed: str,
    task_code: str,
    pool: Sequence[InspectorCandidate],
    *,
    units: Sequence[str],
    team_size: int,
    team_targets: Sequence[Sequence[str]],
    conflicts: Collection[tuple[str, str]],
) -> InspectorDraw:
    """One team per entry of ``team_targets`` (the targets draw's teams, in order), built by
    docs/dsr-draw-v1.md §4. ``conflicts`` are (inspector key, target key) pairs; those
    between a pool inspector and a drawn target are kept for the record."""
    _check_seed_and_task(seed, task_code)
    for unit in units:
        _check_label(unit)
    if not units or len(set(units)) != len(units):
        raise DrawError("bad_units", units=list(units))
    if team_size < max(2, len(units)):  # 行政处罚法 art. 42: at least 2; one per unit
        raise DrawError("team_size_too_small", team_size=team_size, minimum=max(2, len(units)))
    if not team_targets:
        raise DrawError("no_teams")
    teams_targets = [tuple(normalise_key(k) for k in targets) for targets in team_targets]
    for t, targets in enumerate(teams_targets, start=1):
        if not targets:
            raise DrawError("team_without_targets", team=t)
    _unique(k for targets in teams_targets for k in targets)
    candidates, unit_of = _inspector_pool(pool, units)
    drawn = {k for targets in teams_targets for k in targets}
    relevant = _relevant_conflicts(conflicts, unit_of, drawn)

    ranked = order(seed, task_code, PURPOSE_INSPECTORS, unit_of)
    used: set[str] = set()
    # The unused inspectors in order: a placed one leaves the list, so each pick scans only
    # past the conflicted (and, in step 1, other units') instead of everyone placed so far.
    unused = list(ranked)
    teams = []
    for t, targets in enumerate(teams_targets, start=1):
        conflicted = _conflicted_with(relevant, targets)
        members: list[str] = []
        # Step 1: one of each participating unit, lead unit first; step 2: fill by order,
        # whatever the unit. A conflicted inspector is skipped but stays unused for later teams.
        wanted: list[str | None] = [*units, *[None] * (team_size - len(units))]
        for want in wanted:
            pick = _first_free(unused, unit_of, want, conflicted)
            if pick is None:
                scope = [k for k in ranked if want is None or unit_of[k] == want]
                raise DrawError(
                    "not_enough_inspectors",
                    team=t,
                    unit=want,
                    eligible=len(scope),
                    used=sum(k in used for k in scope),
                    conflicted=sum(k in conflicted and k not in used for k in scope),
                    team_size=team_size,
                    teams=len(teams_targets),
                )
            members.append(pick)
            used.add(pick)
            unused.remove(pick)
        teams.append(InspectorTeam(t, targets, tuple(members)))
    return InspectorDraw(
        seed=seed,
        task_code=task_code,
        pool=tuple(candidates),
        pool_digest=pool_digest(f"{c.key}\t{c.unit_code}" for c in candidates),
        units=tuple(units),
        team_size=team_size,
        order=ranked,
        teams=tuple(teams),
        conflicts=tuple(relevant),
    )


# --- replacement ------------------------------------------------------------------------


@dataclass(frozen=True)
class PassedOver:
    key: str
    reason: str  # one of the PASSED_* codes
    detail: str | None = None  # why no longer eligible (only for PASSED_INELIGIBLE)


@dataclass(frozen=True)
class Replacement:
    seed: str
    task_code: str
    pool: tuple[InspectorCandidate, ...]
    pool_digest: str
    team: int
    targets: tuple[str, ...]
    placed: tuple[str, ...]  # everyone ever placed on the task, sorted
    members_before: tuple[str, ...]
    replaced: str
    replacement: str
    members_after: tuple[str, ...]  # the replacement in the replaced member's place and role
    passed_over: tuple[PassedOver, ...]  # every candidate ahead of the replacement in order
    conflicts: tuple[tuple[str, str], ...]


def draw_replacement(
    seed: str,
    task_code: str,
    pool: Sequence[InspectorCandidate],
    *,
    placed_on_task: Collection[str],
    team: int,
    team_targets: Sequence[str],
    team_members: Sequence[str],
    replaced: str,
    still_eligible: Callable[[str], str | None],
    conflicts: Collection[tuple[str, str]],
) -> Replacement:
    """Walk the original inspectors draw's order (its seed and pool: nobody can re-roll).

    ``still_eligible(key)`` returns None when the inspector can be placed today, else the
    reason (unavailable, certificate expired, busy on another task, ...). It is only asked
    about candidates that pass the recomputable checks."""
    _check_seed_and_task(seed, task_code)
    units = sorted({c.unit_code for c in pool})
    candidates, unit_of = _inspector_pool(pool, units)
    targets = tuple(normalise_key(k) for k in team_targets)
    members = tuple(normalise_key(k) for k in team_members)
    replaced = normalise_key(replaced)
    placed = {normalise_key(k) for k in placed_on_task} | set(members)
    outsiders = [k for k in members if k not in unit_of]
    if outsiders:
        raise DrawError("member_not_in_pool", keys=outsiders)
    if replaced not in members:
        raise DrawError("replaced_not_on_team", key=replaced, team=team)
    relevant = _relevant_conflicts(conflicts, unit_of, set(targets))
    conflicted = _conflicted_with(relevant, targets)
    own_unit = unit_of[replaced]
    # The unit rule: a joint team must keep one member of each unit it had.
    required = own_unit if [unit_of[k] for k in members].count(own_unit) == 1 else None

    passed: list[PassedOver] = []
    for key in order(seed, task_code, PURPOSE_INSPECTORS, unit_of):
        if key in placed:
            passed.append(PassedOver(key, PASSED_PLACED))
        elif key in conflicted:
            passed.append(PassedOver(key, PASSED_CONFLICT))
        elif required is not None and unit_of[key] != required:
            passed.append(PassedOver(key, PASSED_OTHER_UNIT))
        elif (why := still_eligible(key)) is not None:
            passed.append(PassedOver(key, PASSED_INELIGIBLE, why))
        else:
            return Replacement(
                seed=seed,
                task_code=task_code,
                pool=tuple(candidates),
                pool_digest=pool_digest(f"{c.key}\t{c.unit_code}" for c in candidates),
                team=team,
                targets=targets,
                placed=tuple(sorted(placed)),
                members_before=members,
                replaced=replaced,
                replacement=key,
                members_after=tuple(key if k == replaced else k for k in members),
                passed_over=tuple(passed),
                conflicts=tuple(relevant),
            )
    counts = {
        code: sum(p.reason == code for p in passed)
        for code in (PASSED_PLACED, PASSED_CONFLICT, PASSED_OTHER_UNIT, PASSED_INELIGIBLE)
    }
    raise DrawError("no_replacement", team=team, unit=required, pool=len(candidates), **counts)
