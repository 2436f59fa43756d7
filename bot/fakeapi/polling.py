"""Getting updates: long polling with Telegram's semantics, and the webhook methods."""

from __future__ import annotations

import asyncio

from bot.fakeapi.records import _DEFAULT_DESCRIPTIONS, JSONDict, _ApiError, _Ctx
from bot.fakeapi.state import _FakeState

# Update kinds Telegram leaves out unless asked for by allowed_updates.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})


class _Polling(_FakeState):
    """getUpdates, setWebhook, deleteWebhook, getWebhookInfo (mixin of FakeBotApi)."""

    async def _get_updates(self, ctx: _Ctx) -> list[JSONDict]:
        """Long polling with Telegram's semantics.

        ``offset`` confirms everything below it (negative: keep the last ``-offset``);
        updates are returned at once when pending, else the call waits up to ``timeout``
        seconds for a push; a newer getUpdates ends an older one with 409, as on Telegram.
        """
        if self.webhook_url:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        p = ctx.params
        offset = p.get("offset")
        if isinstance(offset, int):
            if offset < 0:
                self._pending = self._pending[offset:]
            else:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
        if "allowed_updates" in p:
            self.allowed_updates = list(p["allowed_updates"]) or None
        limit = min(max(int(p.get("limit", 100)), 1), 100)
        timeout = max(float(p.get("timeout", 0)), 0.0)

        self._poll_generation += 1
        generation, epoch = self._poll_generation, self._release_epoch
        self._updates_signal.fire()  # an older poll learns it was superseded
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            if generation != self._poll_generation:
                raise _ApiError(409, _DEFAULT_DESCRIPTIONS[409])
            batch = self._deliverable(limit)
            if batch or epoch != self._release_epoch:
                return batch
            self.waiting_polls += 1
            self._poll_waiting_signal.fire()
            try:
                woke = await self._updates_signal.wait(deadline - loop.time())
            finally:
                self.waiting_polls -= 1
            if not woke:
                return self._deliverable(limit) if generation == self._poll_generation else []

    def _deliverable(self, limit: int) -> list[JSONDict]:
        wanted = set(self.allowed_updates) if self.allowed_updates else None
        kept = []
        for update in self._pending:
            kind = next(k for k in update if k != "update_id")
            if (kind in wanted) if wanted is not None else (kind not in _OPT_IN_UPDATES):
                kept.append(update)
        self._pending = kept  # Telegram never delivers what was filtered out
        return kept[:limit]

    async def wait_until_polling(self, timeout: float = 5.0) -> None:
        """Return once a getUpdates call is parked waiting for updates.

        A synchronisation point without sleeping: the bot is up and has drained the queue.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self.waiting_polls == 0:
            if not await self._poll_waiting_signal.wait(deadline - loop.time()):
                raise TimeoutError(f"no getUpdates long poll started within {timeout}s")

    def release_pollers(self) -> None:
        """End every waiting getUpdates now with what is pending (used when shutting down)."""
        self._release_epoch += 1
        self._updates_signal.fire()

    def _set_webhook(self, ctx: _Ctx) -> bool:
        self.webhook_url = str(ctx.params.get("url", ""))
        if ctx.params.get("drop_pending_updates"):
            self._pending.clear()
        if self.webhook_url:
            self._poll_generation += 1  # a waiting poll ends with 409, as on Telegram
            self._updates_signal.fire()
        return True

    def _delete_webhook(self, ctx: _Ctx) -> bool:
        self.webhook_url = ""
        if ctx.params.get("drop_pending_updates"):
            self._pending.clear()
        return True

    def _get_webhook_info(self, ctx: _Ctx) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self.allowed_updates:
            info["allowed_updates"] = list(self.allowed_updates)
        return info
