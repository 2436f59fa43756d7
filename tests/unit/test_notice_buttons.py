"""The buttons the services put on notices are the kinds handlers/callbacks.py declares:
the same data for the same press, matched by the handler's pattern."""

from __future__ import annotations

import pytest

from bot.services import outbox
from handlers import callbacks

PAIRS = [
    (outbox.ASSIGNMENT_ACK, callbacks.ASSIGNMENT_ACK),
    (outbox.RECUSAL_ASK, callbacks.RECUSAL_ASK),
    (outbox.RECUSAL_APPROVE, callbacks.RECUSAL_APPROVE),
    (outbox.RECUSAL_REFUSE, callbacks.RECUSAL_REFUSE),
    (outbox.BROADCAST_REPORT, callbacks.BROADCAST_REPORT),
]


@pytest.mark.parametrize(("action", "button"), PAIRS)
def test_a_notice_button_is_a_declared_kind(action: str, button: callbacks.Button) -> None:
    for member in (1, 42, 10**17):
        data = outbox.callback_data(action, member)
        assert data == button.data(member)
        assert button.matches(data)
        assert len(data.encode()) <= callbacks.MAX_BYTES


def test_every_notice_action_is_declared() -> None:
    assert {a for a, _ in PAIRS} == set(outbox.NOTICE_ACTIONS)
    with pytest.raises(ValueError, match="not a notice button"):
        outbox.callback_data("inv.re", 1)
