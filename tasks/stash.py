"""Uploads waiting between an import's preview and its apply, kept in the database.

The preview page cannot post the file again, so `put` keeps its bytes as an
ImportUpload row under an unguessable token; `get` finds it again for its owner;
`apply` imports it once, however many times (and however simultaneously) it is
posted; `discard` drops it. The database is shared by every app process and
host, so nothing here touches the file system, and expired uploads go in one
DELETE, with no race between two clean-ups.

Each raises, and changes nothing, when the upload cannot be used:

- `ImportUpload.DoesNotExist`: the token is someone else's (the view answers 404);
- `UploadGone`: no such upload (expired and cleaned up, or discarded), or expired;
- `StashFull`: the owner's quota of waiting uploads is used up;
- `AlreadyApplied`: the upload was imported already (by an earlier post).
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from tasks import importing
from tasks.models import ImportUpload
from tasks.validators import storable

__all__ = ["AlreadyApplied", "StashFull", "UploadGone", "apply", "discard", "get", "put"]

_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")
GONE = "That upload has expired; choose the file again."


class UploadGone(Exception):
    def __init__(self):
        super().__init__(GONE)


class StashFull(Exception):
    """The owner has too many uploads waiting, or too many bytes; nothing was stored."""


class AlreadyApplied(Exception):
    def __init__(self, upload):
        self.upload = upload
        count = upload.imported or 0
        at = timezone.localtime(upload.applied_at).strftime("%H:%M")
        super().__init__(
            f"This import was applied already: {count} run{'s' if count != 1 else ''}"
            f" imported at {at}."
        )


def expiry():
    return timedelta(hours=settings.TASKADMIN_IMPORT_EXPIRY_HOURS)


def clean_up():
    """Delete every expired upload (everyone's), in one statement. Returns how many."""
    deleted, _ = ImportUpload.objects.filter(created_at__lt=timezone.now() - expiry()).delete()
    return deleted


def pending(owner, purpose=ImportUpload.Purpose.IMPORT):
    """The owner's uploads for `purpose` still waiting to be applied, oldest first."""
    return ImportUpload.objects.filter(
        owner=owner,
        purpose=purpose,
        applied_at__isnull=True,
        created_at__gte=timezone.now() - expiry(),
    ).defer("data")


def put(owner, name, data, *, purpose=ImportUpload.Purpose.IMPORT, advice=None):
    """Keep `data` (a file called `name`) for `owner`; returns the ImportUpload.

    Expired uploads are deleted first. Raises StashFull when the owner already
    has TASKADMIN_IMPORT_PENDING_MAX uploads for `purpose` waiting, or this one
    would take their waiting bytes over TASKADMIN_IMPORT_PENDING_MAX_BYTES; its
    message ends with `advice` (what to do), by default the page's for `purpose`.
    Imports and syncs count apart: a sync's upload waits only for its job.
    """
    clean_up()
    most, most_bytes = (
        settings.TASKADMIN_IMPORT_PENDING_MAX,
        settings.TASKADMIN_IMPORT_PENDING_MAX_BYTES,
    )
    with transaction.atomic():
        # Two uploads of one person at once: the second waits here for the first
        # to be counted (PostgreSQL; SQLite takes one writer at a time anyway).
        list(get_user_model().objects.select_for_update().filter(pk=owner.pk).values("pk"))
        waiting = list(pending(owner, purpose).values_list("size", flat=True))
        if purpose == ImportUpload.Purpose.SYNC:
            what = "synced"
            advice = advice or "Wait for your earlier syncs to finish (Your background work)."
        else:
            what = "imported"
            advice = advice or "Import or discard one of your earlier uploads first (listed below)."
        if len(waiting) >= most:
            raise StashFull(
                f"You have {len(waiting)} uploads waiting to be {what}; at most {most} may"
                f" wait at a time. {advice}"
            )
        if sum(waiting) + len(data) > most_bytes:
            raise StashFull(
                f"Your uploads waiting to be {what} would take"
                f" {(sum(waiting) + len(data)) / 1_000_000:.1f} MB; at most"
                f" {most_bytes / 1_000_000:.1f} MB may wait at a time. {advice}"
            )
        return ImportUpload.objects.create(
            owner=owner, name=_storable(name), data=data, size=len(data), purpose=purpose
        )


def _storable(name):
    """A file name any database stores (validators.storable), at most 255 characters."""
    return storable(name)[-255:] or "upload"


def get(owner, token, purpose=ImportUpload.Purpose.IMPORT):
    """The upload behind `token`, if it is `owner`'s, for `purpose`, and still usable.

    Raises ImportUpload.DoesNotExist (someone else's), UploadGone (unknown,
    for the other purpose, or expired) or AlreadyApplied.
    """
    # Only what secrets.token_urlsafe makes is looked up: a NUL or a megabyte
    # of text in a posted token is simply no such upload.
    upload = (
        _TOKEN.fullmatch(token)
        and ImportUpload.objects.filter(token=token, purpose=purpose).first()
    )
    if not upload:
        raise UploadGone
    if upload.owner_id != owner.pk:
        raise ImportUpload.DoesNotExist
    if upload.applied_at is not None:
        raise AlreadyApplied(upload)
    if upload.created_at < timezone.now() - expiry():
        raise UploadGone
    return upload


def apply(upload, batch, *, by, only_valid=False, acknowledged=(), progress=None):
    """Import `batch` (read from `upload`) once: returns importing.Result.

    `progress(done, total)` is passed on to importing.apply.

    The upload is claimed in the import's own transaction, by an UPDATE that
    must find it not yet applied: a second post of the same upload, even at the
    same instant, waits for the first one's row lock (PostgreSQL) or write lock
    (SQLite), then finds it applied and raises AlreadyApplied, importing
    nothing. A refused import (importing.ImportRefused) rolls the claim back
    with everything else, so the upload can be applied again once fixed.
    `progress(done, total)` is passed on to importing.apply.
    """
    with transaction.atomic():
        now = timezone.now()
        claimed = ImportUpload.objects.filter(
            pk=upload.pk, owner=by, applied_at__isnull=True
        ).update(applied_at=now)
        if claimed != 1:
            raise _why_not(upload)
        result = importing.apply(
            batch, only_valid=only_valid, by=by, acknowledged=acknowledged, progress=progress
        )
        # The bytes are not needed any more; the row stays until it expires to
        # answer a repeated post.
        ImportUpload.objects.filter(pk=upload.pk).update(imported=len(result.created), data=b"")
    upload.applied_at, upload.imported = now, len(result.created)
    return result


def _why_not(upload):
    current = ImportUpload.objects.filter(pk=upload.pk).first()
    if current is None:
        return UploadGone()
    return AlreadyApplied(current)


def discard(upload):
    """Drop the upload (it was the owner's: see `get`)."""
    ImportUpload.objects.filter(pk=upload.pk).delete()
