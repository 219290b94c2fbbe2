"""Personal API tokens: making one, finding the one a request carries, revoking it.

A token reads `ta_<prefix>_<secret>`: `prefix` (8 characters) finds its row,
`secret` (43 characters, 256 random bits) is checked against the stored
SHA-256 of the whole token. Only the person making it ever sees it.
"""

import hashlib
import hmac
import re
import secrets
from contextlib import contextmanager
from datetime import timedelta

from django.db import OperationalError, connection
from django.utils import timezone

from tasks.models import ApiToken

PREFIX_CHARS = 8
_TOKEN = re.compile(r"ta_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{43})\Z", re.ASCII)
# last_used_at is written at most this often per token: reading a page of runs
# should not cost a write each time.
LAST_USED_EVERY = timedelta(minutes=1)


def _hash(token):
    return hashlib.sha256(token.encode()).hexdigest()


def issue(user, name):
    """Make a token for `user`: returns (ApiToken, the token's text, shown once)."""
    while True:
        prefix = "".join(
            secrets.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(PREFIX_CHARS)
        )
        if not ApiToken.objects.filter(prefix=prefix).exists():
            break
    text = f"ta_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, prefix=prefix, secret_hash=_hash(text))
    return token, text


def find(text):
    """The active token whose text is `text`, with its user, or None (wrong, revoked,
    malformed, or its user inactive)."""
    match = _TOKEN.match(text or "")
    if not match:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(prefix=match.group(1), revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.secret_hash, _hash(text)):
        return None
    if not token.user.is_active:
        return None
    return token


def touch(token):
    """Record that `token` was used now (at most once per LAST_USED_EVERY).

    Bookkeeping, never worth a stalled or failed request: while another process
    holds SQLite's write lock (a background import holds it for its whole
    transaction, minutes for a big file, while a script polls its job), the
    write is skipped at once, and a later request records the use.
    """
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_EVERY:
        return
    try:
        with _without_waiting_for_a_lock():
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    except OperationalError:
        if connection.vendor != "sqlite":
            raise
        return
    token.last_used_at = now


@contextmanager
def _without_waiting_for_a_lock():
    """On SQLite, statements meanwhile fail at once ("database is locked") instead
    of waiting the connection's timeout for another process's write lock."""
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waits,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 0")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(waits)}")


def revoke(token):
    """Revoke `token` (no effect on one revoked already). Returns it."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=token.revoked_at
        )
    return token
