"""Sampling (抽取数量/抽取比例) as people write it: "10", "5%", "A=3,B=5", "B=5%,C=10%".

``parse_sampling`` gives the draw's SamplingRequest (bot.domain.draws.algorithm) and
``format_sampling`` writes one back the same way; a text that cannot be read raises
TaskInvalid on the sampling field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

from bot.domain.draws.algorithm import TOTAL_STRATUM, Amount, DrawError, SamplingRequest
from bot.i18n import N_
from bot.services.draws.task_rules import TaskInvalid

_SAMPLING_PART: Final = re.compile(r"([A-DU])类?[=:]?(\d+(?:\.\d+)?)(%|‰)?")
_SAMPLING_SEPARATORS: Final = re.compile(r"[,;、]+")
_SAMPLING_HELP: Final = N_(
    "The sampling “{text}” is not understood: write a count such as 10, a ratio such as 5%"
    " or 50‰, or amounts per risk class such as A=3,B=5 or B=5%,C=10%."
)


def _amount(number: str, unit: str | None, text: str) -> Amount:
    if unit is None:
        if "." in number:
            raise TaskInvalid("sampling", _SAMPLING_HELP, text=text)
        return Amount(count=int(number))
    permille = float(number) * (10 if unit == "%" else 1)
    if abs(permille - round(permille)) > 1e-9:
        raise TaskInvalid(
            "sampling",
            N_("A ratio must be a whole number of per mille (‰); “{text}” is not."),
            text=text,
        )
    if not 0 < round(permille) <= 1000:
        raise TaskInvalid(
            "sampling",
            N_("A ratio must be more than 0 and at most 100%; “{text}” is not."),
            text=text,
        )
    return Amount(ratio_permille=round(permille))


def parse_sampling(text: str) -> SamplingRequest:
    """ "10" (a total count), "5%" or "50‰" (a total ratio), or per risk class:
    "A=3,B=5", "B=5%,C=10%", "A类3、B类5%" (full-width characters are folded)."""
    compact = "".join(unicodedata.normalize("NFKC", text).split()).upper()
    if not compact:
        raise TaskInvalid("sampling", N_("The sampling (how many targets to draw) is missing."))
    total = re.fullmatch(r"(\d+(?:\.\d+)?)(%|‰)?", compact)
    try:
        if total:
            return SamplingRequest(((TOTAL_STRATUM, _amount(total[1], total[2], text)),))
        amounts: dict[str, Amount] = {}
        for part in filter(None, _SAMPLING_SEPARATORS.split(compact)):
            m = _SAMPLING_PART.fullmatch(part)
            if m is None or m[1] in amounts:
                raise TaskInvalid("sampling", _SAMPLING_HELP, text=text)
            amounts[m[1]] = _amount(m[2], m[3], text)
        return SamplingRequest.per_class(amounts)
    except DrawError:
        raise TaskInvalid("sampling", _SAMPLING_HELP, text=text) from None


def format_sampling(request: SamplingRequest) -> str:
    """The inverse of parse_sampling: "10", "5%", "A=3,B=5%"."""

    def one(amount: Amount) -> str:
        if amount.count is not None:
            return str(amount.count)
        permille = amount.ratio_permille or 0
        return f"{permille // 10}%" if permille % 10 == 0 else f"{permille}‰"

    if request.is_total:
        return one(request.amounts[0][1])
    return ",".join(f"{stratum}={one(amount)}" for stratum, amount in request.amounts)
