"""Idempotent requests: a client id (UUID) claimed once per user; a replay is recognised."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from lms.extensions import db
from lms.offline.models import ClientRequest

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


class BadClientId(ValueError):
    """The client id is not a UUID."""


def parse_client_id(value: str | None) -> str | None:
    """The request's client id, lower-cased; None when absent; BadClientId when not a UUID."""
    if value is None or value == "":
        return None
    value = value.strip().lower()
    if len(value) != 36 or not _UUID.match(value):
        raise BadClientId(value[:40])
    return value


def claim(user_id: int, client_id: str, kind: str) -> bool:
    """Record the request's id; False when this user sent it before (a replay: do nothing).

    The row is written in the request's transaction: if the request then fails and rolls back,
    the id is free again and a retry is judged afresh."""
    if db.session.scalar(select(ClientRequest.id).where(
            ClientRequest.user_id == user_id, ClientRequest.client_id == client_id)) is not None:
        return False
    try:
        with db.session.begin_nested():
            db.session.add(ClientRequest(user_id=user_id, client_id=client_id, kind=kind))
    except IntegrityError:  # a concurrent replay claimed it first
        return False
    return True
