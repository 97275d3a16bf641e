"""The body of an error: an RFC 9457 problem (``application/problem+json``)."""

from __future__ import annotations

from pydantic import BaseModel


class Problem(BaseModel):
    """An RFC 9457 problem: ``errors`` lists each bad field when there are several."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str = ""
    instance: str = ""
    errors: list[dict] | None = None
