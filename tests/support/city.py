"""A small city for the double-random tests: units, matter lists, directories, inspectors.

Rows are written directly (the registers' import is another feature). Everything a draw
must exclude is here once: an expired certificate, a certificate without expiry, an
inspector without certificate, an inactive one, inspectors away during the window, and
declared conflicts; "busy on an overlapping task" is made by drawing another task.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import count

from sqlalchemy import select

from bot.services.draws import plans
from bot.services.draws.plans import TargetFilters, TaskSpec
from storage.db import Database
from storage.models import (
    Conflict,
    Entity,
    Inspector,
    Matter,
    Plan,
    Unavailability,
    Unit,
    UnitEntity,
)

SHANGHAI = timezone(timedelta(hours=8))
TODAY = date(2026, 6, 1)
NOW = datetime(2026, 6, 1, 9, 30, tzinfo=SHANGHAI)
START = date(2026, 6, 8)
END = date(2026, 6, 19)
# SCJG's risk classes for its 24 entities (index i); None is "no class".
SCJG_CLASSES = "AABBBBBBCNCCDDNNAABBCCNN"
VALID_UNTIL = date(2099, 12, 31)  # far enough for the CLI tests, which use the real clock


def uscc(i: int) -> str:
    return f"91410481MA{i:08d}"


class Seeds:
    """A deterministic stand-in for secrets.token_hex: a new 64-hex seed per call."""

    def __init__(self, name: str = "seeds") -> None:
        self._name = name
        self._n = count()

    def __call__(self, nbytes: int) -> str:
        assert nbytes == 32
        return hashlib.sha256(f"{self._name}:{next(self._n)}".encode()).hexdigest()


@dataclass
class City:
    units: dict[str, int] = field(default_factory=dict)
    entities: dict[int, int] = field(default_factory=dict)  # index -> entity id
    inspectors: dict[str, int] = field(default_factory=dict)  # cert_no or label -> id

    def key(self, i: int) -> str:
        """The draw key of entity ``i``: its USCC, or E<id> (every 6th has no USCC)."""
        return f"E{self.entities[i]}" if i % 6 == 5 else uscc(i)


def build_city(db: Database) -> City:
    city = City()
    with db.unit_of_work() as uow:
        s = uow.session
        for code, name in (("SCJG", "市场监管局"), ("SWJ", "税务局"), ("HB", "生态环境局")):
            unit = Unit(code=code, name=name)
            s.add(unit)
            s.flush()
            city.units[code] = unit.id
        for code in ("SCJG", "SWJ", "HB"):
            s.add(Plan(unit_id=city.units[code], year=2026, title=f"{code} 2026年度抽查计划"))
        s.add_all(
            [
                Matter(
                    unit_id=city.units["SCJG"],
                    code="M01",
                    name="食品经营抽查",
                    target_kind="enterprise、individual",
                    joint_ok=True,
                ),
                Matter(
                    unit_id=city.units["SCJG"],
                    code="M02",
                    name="广告发布抽查",
                    target_kind="enterprise",
                    joint_ok=False,
                ),
                Matter(unit_id=city.units["SCJG"], code="M03", name="旧事项", active=False),
                Matter(
                    unit_id=city.units["SWJ"],
                    code="S01",
                    name="发票管理抽查",
                    target_kind="enterprise",
                    joint_ok=True,
                ),
                Matter(unit_id=city.units["HB"], code="H01", name="排污抽查", joint_ok=True),
            ]
        )
        for i in range(28):
            individual = i % 6 == 5
            entity = Entity(
                uscc=None if individual else uscc(i),
                kind="individual" if individual else "enterprise",
                name=f"舞钢市测试{i:02d}号{'个体户' if individual else '有限公司'}",
                address=f"舞钢市测试路{i}号",
            )
            s.add(entity)
            s.flush()
            city.entities[i] = entity.id
            if i < 24:
                risk = SCJG_CLASSES[i]
                s.add(
                    UnitEntity(
                        unit_id=city.units["SCJG"],
                        entity_id=entity.id,
                        local_no=f"SC{i:03d}",
                        phone="13812345678",
                        contact_name="张三",
                        industry="餐饮" if i % 2 == 0 else "零售",
                        area="城区" if i < 12 else "乡镇",
                        risk_class=None if risk == "N" else risk,
                    )
                )
            if i < 10 or i >= 24:
                s.add(
                    UnitEntity(
                        unit_id=city.units["SWJ"],
                        entity_id=entity.id,
                        local_no=f"SW{i:03d}",
                        phone="0375-1234567",
                        industry="零售",
                        area="城区",
                        risk_class="D" if i < 10 else "B",
                    )
                )
        people = [
            *[("SCJG", f"SC{n:03d}", f"市监{n}", VALID_UNTIL, True) for n in range(1, 11)],
            ("SCJG", "SC011", "市监过期", date(2026, 6, 10), True),
            ("SCJG", None, "市监无证", None, True),
            ("SCJG", "SC013", "市监停用", VALID_UNTIL, False),
            ("SCJG", "SC014", "市监出差", VALID_UNTIL, True),
            ("SCJG", "SC016", "市监无有效期", None, True),
            *[("SWJ", f"SW{n:03d}", f"税务{n}", VALID_UNTIL, True) for n in range(1, 7)],
            ("SWJ", "SW007", "税务病假", VALID_UNTIL, True),
        ]
        for unit_code, cert_no, name, expires, active in people:
            inspector = Inspector(
                unit_id=city.units[unit_code],
                name=name,
                cert_no=cert_no,
                cert_expires=expires,
                active=active,
                expertise=["食品"] if unit_code == "SCJG" else ["税务"],
                areas=["城区"],
            )
            s.add(inspector)
            s.flush()
            city.inspectors[cert_no or name] = inspector.id
        s.add(
            Unavailability(
                inspector_id=city.inspectors["SC014"],
                kind="trip",
                start_date=date(2026, 6, 10),
                end_date=date(2026, 6, 12),
            )
        )
        s.add(
            Unavailability(
                inspector_id=city.inspectors["SW007"],
                kind="sick",
                start_date=date(2026, 5, 20),
                end_date=date(2026, 6, 8),
            )
        )
        uow.commit()
    return city


def declare_conflict(db: Database, city: City, cert_no: str, entity_index: int) -> None:
    with db.unit_of_work() as uow:
        uow.session.add(
            Conflict(
                inspector_id=city.inspectors[cert_no],
                entity_id=city.entities[entity_index],
                reason="亲属关系",
            )
        )
        uow.commit()


def add_entity(db: Database, city: City, unit_code: str, i: int, risk: str | None) -> None:
    """One more entity in a unit's directory (to change a pool after it was shown)."""
    with db.unit_of_work() as uow:
        entity = Entity(uscc=uscc(i), kind="enterprise", name=f"新增{i}号有限公司")
        uow.session.add(entity)
        uow.session.flush()
        city.entities[i] = entity.id
        uow.session.add(
            UnitEntity(
                unit_id=city.units[unit_code],
                entity_id=entity.id,
                industry="餐饮",
                area="城区",
                risk_class=risk,
            )
        )
        uow.commit()


def spec(code: str = "WG-2026-007", **changes: object) -> TaskSpec:
    """A valid task of SCJG with matter M01: 2 A, 3 B, 1 C, teams of 2 with 2 targets."""
    values: dict[str, object] = {
        "code": code,
        "name": "2026年食品经营双随机抽查",
        "unit_code": "SCJG",
        "matter_codes": ("M01",),
        "sampling": plans.parse_sampling("A=2,B=3,C=1"),
        "window_start": START,
        "window_end": END,
        "team_size": 2,
        "targets_per_team": 2,
        "target_filters": TargetFilters(),
    }
    values.update(changes)
    return TaskSpec(**values)  # type: ignore[arg-type]


def entity_index(city: City, key: str) -> int:
    for i in city.entities:
        if city.key(i) == key:
            return i
    raise KeyError(key)


def inspector_ids(db: Database, city: City) -> dict[int, str]:
    with db.unit_of_work(write=False) as uow:
        rows = uow.session.execute(select(Inspector.id, Inspector.cert_no)).all()
    return {i: c or "" for i, c in rows}
