"""Invitations, joining and removal (services, both databases)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.errors import NotAllowedError, ServiceError
from bot.services.outbox import QuietHours
from bot.services.people import access, invites, joining, membership
from bot.services.people import profiles as people
from bot.services.people.invites import InvitePolicy
from bot.services.people.notices import NoticeContext
from bot.services.people.profiles import Profile
from storage.db import Database
from tests.conftest import TZ

BOT_ID = 5000000001
NOW = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)
OFFICE_TG = 100


def policy(now: datetime = NOW, bot_id: int = BOT_ID) -> InvitePolicy:
    return InvitePolicy(bot_id=bot_id, days=14, now=now, quiet=QuietHours(TZ))


def profile(db: Database, telegram_id: int) -> Profile:
    found = people.load_profile(db, telegram_id, admin_ids=[OFFICE_TG])
    assert found is not None
    return found


@pytest.fixture
def city(db: Database) -> dict[str, int]:
    membership.add_admin(db, OFFICE_TG, "办公室")
    a = membership.add_unit(db, None, "SCJG", "市场监督管理局")
    b = membership.add_unit(db, None, "SW", "税务局")
    insp_a = membership.add_inspector(db, None, "SCJG", "王明", "41000001")
    insp_b = membership.add_inspector(db, None, "SW", "李强", "41000002")
    return {"a": a.id, "b": b.id, "insp_a": insp_a.id, "insp_b": insp_b.id}


def join_liaison(db: Database, unit_id: int, telegram_id: int, name: str = "联络员") -> None:
    info = invites.invite_liaison(db, profile(db, OFFICE_TG), unit_id, policy())
    joining.redeem(db, info.code, telegram_id, name, policy())


def test_liaison_joins_by_link_and_menu_roles_follow(db: Database, city: dict[str, int]) -> None:
    info = invites.invite_liaison(db, profile(db, OFFICE_TG), city["a"], policy())
    assert info.expires_at == NOW + timedelta(days=14)
    joined = joining.redeem(db, info.code, 201, "张三", policy())
    assert (joined.role, joined.unit_code) == ("liaison", "SCJG")
    assert profile(db, 201).roles == {"liaison"}


def test_invite_codes_are_opaque_deep_link_payloads(db: Database, city: dict[str, int]) -> None:
    info = invites.invite_liaison(db, profile(db, OFFICE_TG), city["a"], policy())
    assert len(info.code) <= 64
    assert all(c.isascii() and (c.isalnum() or c in "_-") for c in info.code)


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ("used_by_other", "already been used by someone else"),
        ("used_by_self", "already used this invitation"),
        ("expired", "expired"),
        ("revoked", "withdrawn"),
        ("unknown", "not valid"),
        ("other_bot", "another bot"),
    ],
)
def test_invite_failures_are_clear(
    db: Database, city: dict[str, int], setup: str, expected: str
) -> None:
    info = invites.invite_liaison(db, profile(db, OFFICE_TG), city["a"], policy())
    code = info.code
    now = NOW
    telegram_id = 301
    if setup == "used_by_other":
        joining.redeem(db, code, 300, "先到者", policy())
    elif setup == "used_by_self":
        joining.redeem(db, code, 301, "本人", policy())
    elif setup == "expired":
        now = NOW + timedelta(days=15)
    elif setup == "revoked":
        invites.revoke_invite(db, profile(db, OFFICE_TG), info.id, NOW)
    elif setup == "unknown":
        code = code[:4] + "x" * 16
    elif setup == "other_bot":
        code = membership.new_invite_code(BOT_ID + 1)
    with pytest.raises(ServiceError, match=expected):
        joining.redeem(db, code, telegram_id, "某人", policy(now))


def test_one_time_use_is_safe_under_concurrency(database_url: str, city: dict[str, int]) -> None:
    db = Database(database_url)
    info = invites.invite_liaison(db, profile(db, OFFICE_TG), city["a"], policy())
    databases = [Database(database_url) for _ in range(6)]
    barrier = threading.Barrier(len(databases))
    outcomes: list[str] = []

    def attempt(database: Database, telegram_id: int) -> None:
        barrier.wait()
        try:
            joining.redeem(database, info.code, telegram_id, f"u{telegram_id}", policy())
            outcomes.append("joined")
        except ServiceError:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(d, 400 + i)) for i, d in enumerate(databases)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for database in databases:
        database.dispose()
    assert sorted(outcomes) == ["joined"] + ["refused"] * 5
    liaisons = [p for p in access.list_people(db, profile(db, OFFICE_TG)) if "liaison" in p.roles]
    assert len(liaisons) == 1
    db.dispose()


def test_liaison_invites_own_inspectors_only(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    liaison = profile(db, 201)
    links = invites.invite_inspectors(db, liaison, city["a"], policy())
    assert [i.inspector_name for i in links] == ["王明"]
    # "Invite all" again lists the same pending link instead of a second one.
    again = invites.invite_inspectors(db, liaison, city["a"], policy())
    assert [i.code for i in again] == [links[0].code]
    with pytest.raises(NotAllowedError):
        invites.invite_inspectors(db, liaison, city["b"], policy())
    with pytest.raises(NotAllowedError):
        invites.invite_inspectors(db, liaison, city["a"], policy(), [city["insp_b"]])
    with pytest.raises(NotAllowedError):
        invites.invite_liaison(db, liaison, city["a"], policy())


def test_roles_accumulate_liaison_and_inspector(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    link = invites.invite_inspectors(db, profile(db, 201), city["a"], policy())[0]
    joined = joining.redeem(db, link.code, 201, "张三", policy())
    assert joined.inspector_name == "王明"
    assert profile(db, 201).roles == {"liaison", "inspector"}


def test_inspector_record_binds_one_account(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    liaison = profile(db, 201)
    first = invites.invite_inspectors(db, liaison, city["a"], policy())[0]
    joining.redeem(db, first.code, 500, "王明", policy())
    assert invites.invite_inspectors(db, liaison, city["a"], policy()) == []


def test_handover_moves_the_liaison_role(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    info = invites.handover_liaison(db, profile(db, 201), policy())
    joined = joining.redeem(db, info.code, 202, "接任者", policy())
    assert joined.handed_over_by == 201
    assert profile(db, 202).roles == {"liaison"}
    assert not profile(db, 201).is_member


def test_pending_invites_are_scoped_to_the_unit(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    join_liaison(db, city["b"], 202)
    invites.invite_inspectors(db, profile(db, 201), city["a"], policy())
    invites.invite_inspectors(db, profile(db, 202), city["b"], policy())
    mine = invites.pending_invites(db, profile(db, 201), NOW)
    assert {i.unit_code for i in mine} == {"SCJG"}
    other = invites.pending_invites(db, profile(db, 202), NOW)[0]
    with pytest.raises(NotAllowedError):
        invites.revoke_invite(db, profile(db, 201), other.id, NOW)
    with pytest.raises(NotAllowedError):
        invites.resend_invite(db, profile(db, 201), other.id, policy())


def test_resend_renews_and_revoke_kills(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    link = invites.invite_inspectors(db, profile(db, 201), city["a"], policy())[0]
    later = NOW + timedelta(days=20)
    renewed = invites.resend_invite(db, profile(db, 201), link.id, policy(later))
    assert renewed.code == link.code and renewed.expires_at == later + timedelta(days=14)
    joining.redeem(db, link.code, 500, "王明", policy(later))  # valid again
    with pytest.raises(ServiceError, match="already been used"):
        invites.revoke_invite(db, profile(db, 201), link.id, later)


def test_removal_rules(db: Database, city: dict[str, int]) -> None:
    join_liaison(db, city["a"], 201)
    join_liaison(db, city["b"], 202)
    link = invites.invite_inspectors(db, profile(db, 201), city["a"], policy())[0]
    joining.redeem(db, link.code, 500, "王明", policy())
    inspector_user = next(
        p for p in access.list_people(db, profile(db, 201)) if p.telegram_id == 500
    )
    with pytest.raises(NotAllowedError):
        access.remove_person(
            db, profile(db, 202), inspector_user.user_id, NoticeContext(NOW, QuietHours(TZ))
        )
    access.remove_person(
        db, profile(db, 201), inspector_user.user_id, NoticeContext(NOW, QuietHours(TZ))
    )
    assert not profile(db, 500).is_member
    # Removed people can be invited again and start afresh.
    again = invites.invite_inspectors(db, profile(db, 201), city["a"], policy())[0]
    joining.redeem(db, again.code, 500, "王明", policy())
    assert profile(db, 500).roles == {"inspector"}


def test_unit_codes_are_validated(db: Database) -> None:
    with pytest.raises(ServiceError, match="unit code"):
        membership.add_unit(db, None, "市场", "市场监督管理局")
    membership.add_unit(db, None, "scjg", "市场监督管理局")
    with pytest.raises(ServiceError, match="already exists"):
        membership.add_unit(db, None, "SCJG", "重复")


def _outbox(db: Database) -> list[tuple[int, str, str]]:
    from sqlalchemy import select

    from storage.db import reading
    from storage.models import OutboxMessage

    with reading(db) as session:
        rows = session.execute(select(OutboxMessage).order_by(OutboxMessage.id)).scalars().all()
        return [
            (r.chat_id, r.payload["method"], str(r.payload["params"].get("text", ""))) for r in rows
        ]


def test_people_affected_by_others_are_told_in_their_language(
    db: Database, city: dict[str, int]
) -> None:
    join_liaison(db, city["a"], 201, "王芳")
    people.set_locale(db, 201, "en")
    # The office hears that the liaison joined.
    assert (OFFICE_TG, "sendMessage") in [(c, m) for c, m, _ in _outbox(db)]
    handover = invites.handover_liaison(db, profile(db, 201), policy())
    joining.redeem(db, handover.code, 202, "接任者", policy())
    to_former = [(m, text) for c, m, text in _outbox(db) if c == 201]
    assert (
        "sendMessage",
        "接任者 has taken over as liaison of 市场监督管理局. Thank you for your work.",
    ) in to_former
    assert "setMyCommands" in [m for m, _ in to_former]
    # Removed people get the guest menu and the explanation, in Chinese by default.
    link = invites.invite_inspectors(db, profile(db, 202), city["a"], policy())[0]
    joining.redeem(db, link.code, 500, "王明", policy())
    removed = next(p for p in access.list_people(db, profile(db, 202)) if p.telegram_id == 500)
    access.remove_person(db, profile(db, 202), removed.user_id, NoticeContext(NOW, QuietHours(TZ)))
    to_removed = [(m, text) for c, m, text in _outbox(db) if c == 500]
    assert any("使用权限已终止" in text for _, text in to_removed)
    assert "setMyCommands" in [m for m, _ in to_removed]


def test_inviting_a_liaison_twice_gives_the_same_live_link(
    db: Database, city: dict[str, int]
) -> None:
    office = profile(db, OFFICE_TG)
    first = invites.liaison_invite(db, office, city["a"], policy())
    again = invites.liaison_invite(db, office, city["a"], policy())
    assert (first.reused, again.reused) == (False, True)
    assert again.invite.code == first.invite.code and first.liaisons == ()
    assert len(invites.pending_invites(db, office, NOW)) == 1
    joining.redeem(db, first.invite.code, 201, "张三", policy())
    # Once used, the next link is a deputy's, and the office is told who is liaison already.
    deputy = invites.liaison_invite(db, office, city["a"], policy())
    assert not deputy.reused and deputy.liaisons == ("张三",)
    assert deputy.invite.code != first.invite.code


def test_the_office_invites_every_missing_liaison_at_once(
    db: Database, city: dict[str, int]
) -> None:
    office = profile(db, OFFICE_TG)
    live = invites.invite_liaison(db, office, city["b"], policy())
    links = invites.invite_missing_liaisons(db, office, policy())
    assert [i.unit_code for i in links] == ["SCJG", "SW"]
    assert links[1].code == live.code  # the live link, not a second one
    joining.redeem(db, links[0].code, 201, "张三", policy())
    assert [i.unit_code for i in invites.invite_missing_liaisons(db, office, policy())] == ["SW"]
    join_liaison(db, city["b"], 202)
    assert invites.invite_missing_liaisons(db, office, policy()) == []
    join_liaison(db, city["a"], 203)
    with pytest.raises(NotAllowedError):
        invites.invite_missing_liaisons(db, profile(db, 203), policy())


@pytest.mark.parametrize("code", ["hello", "HELLO_world", "x" * 64, "abcd"])
def test_a_mistyped_code_is_not_valid_not_another_bots(
    db: Database, city: dict[str, int], code: str
) -> None:
    with pytest.raises(ServiceError, match="not valid"):
        joining.redeem(db, code, 301, "某人", policy())
