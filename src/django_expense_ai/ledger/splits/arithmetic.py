"""Split arithmetic: share a total between participants so the parts add up exactly.

Pure code (no database, no models): it takes plain values and returns
``Decimal`` parts, so it can be fuzzed without Django's ORM. All arithmetic is
done in integer minor units of the currency (cents for USD, yen for JPY, fils
for KWD); ``Decimal`` only appears at the edges.

The rule, documented in ``docs/splits.rst``:

1. Each participant's exact quota is ``|total| * weight / sum(weights)`` minor
   units (weights: 1 each for ``equal``, the percentage, the share count).
2. Everyone gets the floor of their quota.
3. The few minor units left over (fewer than the number of participants) go one
   each to the largest remainders (Hamilton's largest remainder method).
4. Equal remainders are ordered by position *rotated by the tie-break key*:
   with ``offset = tiebreak_key mod n`` (a stable SHA-256 digest for keys that
   are not integers), participant ``offset`` comes first, then ``offset + 1``,
   and so on, wrapping around. Passing the transaction id makes the extra cent
   of a 10.00 / 3 split go to a different person on consecutive expenses.
5. With ``payer_index`` ("payer absorbs" policy) every leftover unit goes to the
   payer instead.

The parts carry the sign of the total: ``-10.00`` splits as
``[-3.34, -3.33, -3.33]``, the mirror image of ``10.00``, so the parts still
sum to the total and no part has the opposite sign.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ...exceptions import MoneyError, SplitError
from ...money import currency_code, from_minor, minor_units, quantize, to_decimal

EQUAL = "equal"
PERCENTAGE = "percentage"
CUSTOM_AMOUNT = "custom_amount"
SHARES = "shares"

#: The methods :func:`split_amount` knows (same strings as ``SplitMethod``).
METHODS = (EQUAL, PERCENTAGE, CUSTOM_AMOUNT, SHARES)

HUNDRED = Decimal(100)


def _plain(value: Decimal) -> str:
    """``Decimal`` as a short human string: ``99.90`` → ``99.9``, ``1E+2`` → ``100``."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "") else text


def tie_offset(tiebreak_key: Any, count: int) -> int:
    """Where the tie order starts for ``count`` participants.

    An ``int`` key (a transaction id) gives ``key % count``, so consecutive ids
    rotate round-robin. Any other key is hashed with SHA-256 of its ``str()``;
    Python's ``hash()`` is salted per process and would not be reproducible.
    ``None`` gives 0 (the first participant first).
    """
    if count <= 0 or tiebreak_key is None:
        return 0
    if isinstance(tiebreak_key, int) and not isinstance(tiebreak_key, bool):
        return tiebreak_key % count
    digest = hashlib.sha256(str(tiebreak_key).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


def allocate_minor(
    total_minor: int,
    weights: Sequence[int],
    *,
    tiebreak_key: Any = None,
    payer_index: int | None = None,
) -> list[int]:
    """Share ``total_minor`` (>= 0) in proportion to integer ``weights``.

    :returns: one non-negative ``int`` per weight, summing to ``total_minor``.
    :raises SplitError: no weights, a negative weight, all weights zero, a
        negative total, or ``payer_index`` out of range.
    """
    count = len(weights)
    if count == 0:
        raise SplitError("No participants: a split needs at least one person.", code="no_participants")
    if total_minor < 0:
        raise SplitError("allocate_minor takes the absolute total; split the sign separately.")
    if any(w < 0 for w in weights):
        raise SplitError("Weights cannot be negative.", code="negative_value")
    weight_sum = sum(weights)
    if weight_sum == 0:
        raise SplitError("The weights sum to zero, so there is nothing to split by.", code="zero_weights")
    if payer_index is not None and not 0 <= payer_index < count:
        raise SplitError(f"payer_index {payer_index} is outside the {count} participants.")

    floors = [total_minor * w // weight_sum for w in weights]
    # Remainders share the denominator weight_sum, so comparing numerators is exact.
    remainders = [total_minor * w % weight_sum for w in weights]
    leftover = total_minor - sum(floors)
    if leftover == 0:
        return floors
    if payer_index is not None:
        floors[payer_index] += leftover
        return floors
    offset = tie_offset(tiebreak_key, count)
    order = sorted(range(count), key=lambda i: (-remainders[i], (i - offset) % count))
    # leftover < count always (sum of remainders / weight_sum < count).
    for i in order[:leftover]:
        floors[i] += 1
    return floors


def _as_decimal(value: Any, what: str) -> Decimal:
    try:
        return to_decimal(value)
    except MoneyError as err:
        raise SplitError(f"{what}: {err}", code="invalid_value") from err


def _integer_weights(values: Sequence[Decimal]) -> list[int]:
    """Scale decimals to integers by one common power of ten (exact, no rounding)."""
    # to_decimal() refused non-finite values, so every exponent is an int.
    places = max(0, -min(int(v.as_tuple().exponent) for v in values))
    return [int(v.scaleb(places)) for v in values]


def _participant_count(values: Any) -> int:
    if isinstance(values, bool):
        raise SplitError("An equal split needs a participant count or a list of participants.")
    if isinstance(values, int):
        return values
    if values is None:
        raise SplitError("No participants: a split needs at least one person.", code="no_participants")
    return len(values)


def _check_values(values: Any, method: str) -> list[Decimal]:
    if values is None or isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise SplitError(f"A {method} split needs one value per participant (a list).")
    if len(values) == 0:
        raise SplitError("No participants: a split needs at least one person.", code="no_participants")
    decimals = [_as_decimal(v, f"{method} value #{i + 1}") for i, v in enumerate(values)]
    for i, value in enumerate(decimals):
        if value < 0:
            raise SplitError(
                f"{method} value #{i + 1} is {_plain(value)}; values cannot be negative.",
                code="negative_value",
            )
    return decimals


def split_amount(
    total: Any,
    method: str,
    values: Any,
    *,
    currency: Any,
    tiebreak_key: Any = None,
    payer_index: int | None = None,
) -> list[Decimal]:
    """Split ``total`` between participants so the parts sum exactly to it.

    :param total: the amount (``Decimal``, ``int`` or decimal string; never a
        float). It may be negative (money out); the parts then carry its sign.
        It must not have more decimals than the currency allows.
    :param method: ``"equal"``, ``"percentage"``, ``"custom_amount"`` or ``"shares"``.
    :param values: for ``equal``, the participant count (``int``) or any
        sequence of participants (only its length is used); otherwise one
        non-negative value per participant: percentages summing to exactly
        100, positive share counts, or custom amounts (magnitudes) summing to
        ``|total|``.
    :param currency: an ISO 4217 code or a currency model instance; a model's
        own ``minor_units`` wins over the ISO table.
    :param tiebreak_key: rotates who gets a leftover minor unit when
        remainders tie; pass the transaction id (see :func:`tie_offset`).
    :param payer_index: when given, the participant at this position takes
        every leftover minor unit (the "payer absorbs" policy).
    :returns: one ``Decimal`` per participant, quantised to the currency's
        minor units, summing exactly to ``total``.
    :raises SplitError: unknown method, no participants, negative values,
        percentages not summing to 100, zero shares, custom amounts that do not
        add up, or a total with more decimals than the currency allows; the
        message says by how much it is off.
    :raises UnknownCurrency: ``currency`` is not an ISO 4217 code.
    """
    if method not in METHODS:
        raise SplitError(
            f"Unknown split method {method!r}; use one of {', '.join(METHODS)}.", code="unknown_method"
        )
    places = minor_units(currency)  # raises UnknownCurrency before anything else
    code = currency_code(currency)
    amount = _as_decimal(total, "total")
    try:
        amount = quantize(amount, currency, strict=True)
    except MoneyError as err:
        raise SplitError(
            f"The total {_plain(amount)} has more decimals than {code} allows ({places}).",
            code="too_many_decimals",
        ) from err
    sign = -1 if amount < 0 else 1
    total_minor = abs(int(amount.scaleb(places)))

    if method == EQUAL:
        weights = _equal_weights(values)
    elif method == PERCENTAGE:
        weights = _percentage_weights(values)
    elif method == SHARES:
        weights = _share_weights(values)
    else:  # CUSTOM_AMOUNT: the parts are the amounts given, once they add up to the total
        minor_parts = _custom_minor_parts(values, currency, total_minor)
        return [from_minor(sign * units, currency) for units in minor_parts]

    parts = allocate_minor(total_minor, weights, tiebreak_key=tiebreak_key, payer_index=payer_index)
    return [from_minor(sign * units, currency) for units in parts]


def _equal_weights(values: Any) -> list[int]:
    """One weight per participant (``values``: a count or the participants)."""
    count = _participant_count(values)
    if count <= 0:
        raise SplitError("No participants: a split needs at least one person.", code="no_participants")
    return [1] * count


def _percentage_weights(values: Any) -> list[int]:
    """Integer weights from percentages that sum to exactly 100."""
    percents = _check_values(values, "percentage")
    percent_sum = sum(percents, Decimal(0))
    if percent_sum != HUNDRED:
        gap = HUNDRED - percent_sum
        where = f"{_plain(gap)} short of 100" if gap > 0 else f"{_plain(-gap)} over 100"
        raise SplitError(f"Percentages sum to {_plain(percent_sum)}, {where}.", code="percentages_not_100")
    return _integer_weights(percents)


def _share_weights(values: Any) -> list[int]:
    """Integer weights from positive share counts."""
    shares = _check_values(values, "share")
    for i, share in enumerate(shares):
        if share == 0:
            raise SplitError(
                f"Share count #{i + 1} is zero; every participant needs a positive share "
                "(leave them out of the split instead).",
                code="zero_shares",
            )
    return _integer_weights(shares)


def _custom_minor_parts(values: Any, currency: Any, total_minor: int) -> list[int]:
    """The custom amounts in minor units, once each fits the currency and together they make the total."""
    places = minor_units(currency)
    code = currency_code(currency)
    amounts = _check_values(values, "custom amount")
    minor_parts = []
    for i, part in enumerate(amounts):
        try:
            quantize(part, currency, strict=True)
        except MoneyError as err:
            raise SplitError(
                f"Custom amount #{i + 1} ({_plain(part)}) has more decimals than {code} allows ({places}).",
                code="too_many_decimals",
            ) from err
        minor_parts.append(int(part.scaleb(places)))
    gap_minor = total_minor - sum(minor_parts)
    if gap_minor:
        gap = from_minor(abs(gap_minor), currency)
        where = "short of" if gap_minor > 0 else "over"
        raise SplitError(
            f"Custom amounts are {gap} {where} the total {from_minor(total_minor, currency)} {code}.",
            code="custom_amounts_mismatch",
        )
    return minor_parts
