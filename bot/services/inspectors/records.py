"""What the inspectors' own records (absences, declared conflicts) share: who may read or
write whose record, who is told about a change, and how a span of days is worded.

Access (the issue "一单两库 2/2", part 4): an inspector reads and writes only their own
records; a liaison those of their own unit's inspectors; the office reads everything and
writes nothing here (the inspector or the liaison records it). A person holding several
roles gets the union.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from babel.dates import format_interval
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.i18n import N_, Translator
from bot.services.errors import NotAllowedError, ServiceError
from bot.services.people.membership import actor_label
from bot.services.people.notices import NoticeContext, tell
from bot.services.people.profiles import Profile
from storage.db import Database, reading
from storage.models import Inspector, Unit, User

__all__ = ["actor_label"]


def inspector_for(session: Session, actor: Profile, inspector_id: int, *, write: bool) -> Inspector:
    """The inspector's row, if ``actor`` may read (or, with ``write``, change) their records."""
    inspector = session.get(Inspector, inspector_id)
    if inspector is not None and may_access(actor, inspector, write=write):
        if not inspector.active:
            raise ServiceError(N_("That inspector is no longer in the directory."))
        return inspector
    raise refusal(actor)


def inspector_name(database: Database, actor: Profile, inspector_id: int) -> str:
    """The name of an inspector whose records ``actor`` keeps (the chat's picker), or a
    refusal."""
    with reading(database) as session:
        return inspector_for(session, actor, inspector_id, write=True).name


def may_access(actor: Profile, inspector: Inspector, *, write: bool) -> bool:
    if actor.inspector_id == inspector.id or actor.liaison_unit_id == inspector.unit_id:
        return True
    return actor.is_office and not write


def refusal(actor: Profile) -> NotAllowedError:
    """Why ``actor`` may not touch someone's record, in the words that fit their role."""
    if actor.liaison_unit_id is not None:
        return NotAllowedError(N_("You can only manage your own unit."))
    if actor.is_office:
        return NotAllowedError(
            N_("The office sees these records; the inspector or their unit's liaison keeps them.")
        )
    return NotAllowedError(N_("You can only see and change your own records."))


def require_keeper(actor: Profile) -> None:
    """Someone who keeps such records at all: an inspector or a liaison."""
    if actor.inspector_id is None and actor.liaison_unit_id is None:
        raise refusal(actor)


def require_overseer(actor: Profile) -> None:
    """Someone who sees a whole unit's absences: the office or a liaison."""
    if not actor.is_office and actor.liaison_unit_id is None:
        raise NotAllowedError(N_("Only the office or a unit's liaison can do this."))


def unit_codes(session: Session, unit_ids: set[int]) -> dict[int, str]:
    if not unit_ids:
        return {}
    rows = session.execute(select(Unit.id, Unit.code).where(Unit.id.in_(unit_ids))).all()
    return {unit_id: code for unit_id, code in rows}


def tell_others(
    session: Session,
    actor: Profile,
    inspector: Inspector,
    key: str,
    messages: tuple[str, str],
    notices: NoticeContext,
    **params: Any,
) -> int:
    """Tell the other side of a change: the inspector when someone else changed their
    record (``messages[0]``), the unit's liaisons when the inspector did (``messages[1]``).
    Values in ``params`` may be callables of a Translator (``tell`` renders them in each
    reader's language). Returns how many people were told."""
    if actor.inspector_id == inspector.id:
        query = select(User).where(User.active, User.liaison_unit_id == inspector.unit_id)
        message = messages[1]
    else:
        query = select(User).where(User.active, User.inspector_id == inspector.id)
        message = messages[0]
    told = 0
    for user in session.execute(query.order_by(User.id)).scalars():
        if user.telegram_id == actor.telegram_id:
            continue
        tell(session, user, f"{key}:{user.id}", message, notices, **params)
        told += 1
    return told


def span_words(t: Translator, start: date, end: date) -> str:
    """One day, or the days from ``start`` to ``end`` as the reader's language writes them
    ("2026年6月1日 – 5日", "Jun 1 – 5, 2026")."""
    return format_interval(start, end, "yMMMd", locale=t.babel_locale)
