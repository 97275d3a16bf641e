"""Opaque page cursors of the list routes: ``<tag>:<id>`` in URL-safe base64, where ``id`` is
the last one of the page and ``tag`` names the list (a cursor of one list is refused by
another)."""

from __future__ import annotations

import base64
import binascii

from chainlab.api.schemas.common import MAX_ID
from chainlab.models.errors import ValidationError


def cursor(tag: str, last: int, *, padded: bool = False) -> str:
    """The cursor of the page after id ``last`` (``padded``: with base64's ``=`` padding, as
    the stock-move list has always given them out)."""
    text = base64.urlsafe_b64encode(f"{tag}:{last}".encode()).decode()
    return text if padded else text.rstrip("=")


def after(text: str | None, tag: str) -> int | None:
    """The id a cursor of list ``tag`` continues after (None: the first page); 422 for a
    cursor this server did not give out."""
    if not text:
        return None
    try:
        t, n = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split(":")
        if t == tag and 0 <= int(n) <= MAX_ID:
            return int(n)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        pass
    raise ValidationError("cursor is not one this server gave out; use next_cursor of the "
                          "previous page or leave it out")
