"""How amounts read in notices and evidence: the stored Decimal keeps four places
(49.0000); a notice says 49.00, and keeps any places that carry a value (0.0350)."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

__all__ = ["price_text"]

_CENTS = Decimal("0.01")


def price_text(value: Decimal | float | str | None) -> str:
    """'49.00' for 49.0000, '0.035' for 0.0350, '' for no price."""
    if value is None:
        return ""
    try:
        amount = Decimal(value)
    except (InvalidOperation, ValueError, TypeError):
        return str(value)
    if not amount.is_finite():
        return str(value)
    cents = amount.quantize(_CENTS)
    return f"{cents:f}" if cents == amount else f"{amount.normalize():f}"
