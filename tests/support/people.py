"""Telegram users for the city of tests/support/city.py: every inspector linked but the
ones named, a liaison per unit, an office member; and reading the outbox back."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.services.people.profiles import Profile, load_profile
from storage.db import Database, reading
from storage.models import OutboxMessage, User
from tests.support.city import City

OFFICE_TG = 1000
LIAISON_TG = {"SCJG": 2001, "SWJ": 2002, "HB": 2003}


@dataclass
class People:
    inspector_tg: dict[str, int] = field(default_factory=dict)  # cert_no -> telegram id
    unlinked: tuple[str, ...] = ()

    def tg(self, cert_no: str) -> int:
        return self.inspector_tg[cert_no]


def add_people(
    db: Database,
    city: City,
    *,
    unlinked: Iterable[str] = (),
    english: Iterable[str] = (),
) -> People:
    """Users for every inspector with a certificate number (but ``unlinked``), liaisons of
    every unit and the office; ``english`` inspectors read English."""
    people = People(unlinked=tuple(unlinked))
    english = set(english)
    with db.unit_of_work() as uow:
        s = uow.session
        s.add(User(telegram_id=OFFICE_TG, name="办公室", locale="zh_Hans", is_office=True))
        for code, tg in LIAISON_TG.items():
            s.add(
                User(
                    telegram_id=tg,
                    name=f"{code}联络员",
                    locale="zh_Hans",
                    liaison_unit_id=city.units[code],
                )
            )
        for n, (cert_no, inspector_id) in enumerate(sorted(city.inspectors.items())):
            if cert_no in people.unlinked or not cert_no.startswith(("SC", "SW")):
                continue
            tg = 5000 + n
            s.add(
                User(
                    telegram_id=tg,
                    name=cert_no,
                    locale="en" if cert_no in english else "zh_Hans",
                    inspector_id=inspector_id,
                )
            )
            people.inspector_tg[cert_no] = tg
        uow.commit()
    return people


def profile(db: Database, telegram_id: int) -> Profile:
    found = load_profile(db, telegram_id)
    assert found is not None
    return found


@dataclass(frozen=True)
class Row:
    key: str
    chat_id: int
    text: str
    data: tuple[str, ...]  # callback data of the buttons
    status: str
    urgent: bool
    not_before: Any
    params: dict[str, Any]


def outbox_rows(db: Database, prefix: str = "") -> list[Row]:
    with reading(db) as session:
        found = session.execute(
            select(OutboxMessage)
            .where(OutboxMessage.key.like(f"{prefix}%"))
            .order_by(OutboxMessage.id)
        ).scalars()
        rows = []
        for m in found:
            params = m.payload["params"]
            markup = params.get("reply_markup") or {}
            data = tuple(
                b["callback_data"] for row in markup.get("inline_keyboard", []) for b in row
            )
            rows.append(
                Row(
                    m.key,
                    m.chat_id,
                    params.get("text", ""),
                    data,
                    m.status,
                    m.urgent,
                    m.not_before,
                    params,
                )
            )
    return rows


def to(rows: list[Row], chat_id: int) -> list[Row]:
    return [r for r in rows if r.chat_id == chat_id]
