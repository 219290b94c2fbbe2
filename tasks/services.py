"""The one write path: every change to a task run goes through these functions.

Forms, views, the admin, the import and the management commands parse input
and show results; what happens when a run is saved is decided here, in one
order, for all of them:

    normalise → launched-run lock → errors → warnings against acknowledgements
    → version claim → history (who, when, how; acknowledged codes in their own field)

Each function raises, and changes nothing, when the change cannot be made:

- `ValidationError`: the run breaks a rule (field errors in `message_dict`) or
  the change is not allowed in the run's state (launched runs are read-only);
- `UnreadWarnings`: warnings apply that the caller has not acknowledged;
- `EditConflict`: someone saved the run since the copy being saved was loaded.
"""

import contextvars
from contextlib import contextmanager

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models.signals import pre_save
from django.utils import timezone

from tasks import bulk, rules
from tasks.history import config_of
from tasks.models import EditConflict, MephistoProgress, MephistoUnlink, TaskRun
from tasks.verdicts import remembered

__all__ = [
    "EditConflict",
    "UnreadWarnings",
    "in_write_path",
    "run_archive",
    "run_clone",
    "run_clone_many",
    "run_create_many",
    "run_delete",
    "run_launch",
    "run_link",
    "run_revert",
    "run_save",
    "run_unarchive",
    "run_unlink",
    "warnings_for",
]

# The history's change-reason column holds this much of `via`.
VIA_MAX_LENGTH = 200

_writing = contextvars.ContextVar("taskadmin_writing", default=False)


class UnreadWarnings(Exception):
    """Warnings apply to the change that the caller did not acknowledge.

    `warnings` lists every unread one (rules.Finding: code, field, message);
    sending their codes back as `acknowledged` makes the same change go through.
    """

    def __init__(self, warnings, run=None):
        self.warnings = list(warnings)
        self.run = run  # which of several runs (run_create_many), when it says
        super().__init__("Read and acknowledge: " + "; ".join(w.message for w in self.warnings))

    @property
    def codes(self):
        return [warning.code for warning in self.warnings]


def in_write_path():
    """True while one of this module's functions is saving or deleting a run.

    The tests connect it to TaskRun's pre_save and pre_delete signals to prove
    that no URL changes a run any other way.
    """
    return _writing.get()


@contextmanager
def _write():
    token = _writing.set(True)
    try:
        yield
    finally:
        _writing.reset(token)


def warnings_for(run):
    """The warnings (rules.Finding) that saving `run` as it is would ask about."""
    return rules.check(run, rules.WARNING)


def _check_warnings(run, acknowledged):
    warnings = warnings_for(run)
    unread = [w for w in warnings if w.code not in set(acknowledged)]
    if unread:
        raise UnreadWarnings(unread)
    return [w.code for w in warnings]


def _record(run, *, by, via):
    run.updated_by = by
    if run._state.adding:
        run.created_by = by
    run._history_user = by
    run._change_reason = via[:VIA_MAX_LENGTH]
    with _write():
        run.save()


def run_save(run, *, by, via, acknowledged=()):
    """Save `run` (new or loaded at `run.version`) as a change by `by` through `via`.

    `via` names the path, kept in the history: "browser", "admin",
    "import: runs.jsonl", ... `acknowledged` holds the warning codes the user
    has read; every warning that applies must be among them. The codes that
    applied are stored on the run and its history row (`acknowledged_warnings`).

    Raises ValidationError (field errors, or a launched run's config changed),
    UnreadWarnings, or EditConflict (the stored version moved on); nothing is
    saved then.
    """
    # full_clean normalises (tags, line breaks) and refuses a change to a
    # launched run's config before checking the fields and the rules. The
    # CheckConstraints are left to the database: each field validator carries
    # the message of the constraint that backs it, and checking them here cost
    # a query each, three quarters of an import's time.
    run.full_clean(validate_unique=False, validate_constraints=False)
    run.acknowledged_warnings = _check_warnings(run, acknowledged)
    _record(run, by=by, via=via)
    return run


# Runs inserted (with their history rows) between two progress reports when
# many runs are created at once; tasks.bulk batches the INSERTs themselves.
BULK_BATCH_SIZE = 2000
# How often (in runs) run_create_many reports its progress.
PROGRESS_EVERY = 250


def run_create_many(runs, *, by, via, acknowledged=(), progress=None):
    """Save `runs` (new, unsaved TaskRuns) in one transaction, all or none.

    Each run is checked exactly as run_save checks a new run (full_clean, then
    its warnings against `acknowledged`, each run seeing the ones before it as
    saved already: a task name they use is shared), then all are inserted in
    batches of BULK_BATCH_SIZE rows with one history row each (who, `via`), so
    the queries do not grow with the number of runs: one per BULK_BATCH_SIZE
    runs and per 500 task names. `progress(done, total)`, if given, is called
    every PROGRESS_EVERY runs and at the end; total is twice the runs: each is
    checked, then inserted.

    Returns `runs`, saved. Raises ValueError for a run saved already,
    ValidationError or UnreadWarnings (its `run` says which run) as run_save
    does; nothing is saved then.
    """
    runs = list(runs)
    if any(not run._state.adding for run in runs):
        raise ValueError("run_create_many creates new runs only; save the others with run_save.")
    total = 2 * len(runs)

    def report(done):
        if progress is not None and (done % PROGRESS_EVERY == 0 or done == total):
            progress(done, total)

    reason = via[:VIA_MAX_LENGTH]
    with transaction.atomic():
        # Read inside the transaction, with the rows written below: on
        # PostgreSQL a run saved meanwhile by someone else is not missed. The
        # names as full_clean will store them (stripped).
        known = rules.runs_named(
            run.task_name.strip() for run in runs if isinstance(run.task_name, str)
        )
        with rules.names_known(known), remembered():
            for done, run in enumerate(runs, 1):
                # A run the import checked in this process, unchanged since, would
                # get the same verdict again (full_clean reads no database).
                if not run.is_marked_clean():
                    run.full_clean(validate_unique=False, validate_constraints=False)
                if run.task_name and run.task_name not in known:
                    known.update(rules.runs_named([run.task_name]))
                try:
                    run.acknowledged_warnings = _check_warnings(run, acknowledged)
                except UnreadWarnings as error:
                    raise UnreadWarnings(error.warnings, run=run) from None
                if run.task_name:
                    # Saved one by one, the runs after it would find this one.
                    earlier = known[run.task_name][: rules.SHARED_LISTED]
                    known[run.task_name] = [(None, run.task_title), *earlier]
                report(done)
        for run in runs:
            run.updated_by = run.created_by = by
            run._history_user = by
            run._change_reason = reason
            # What TaskRun.save does before a new run's INSERT; full_clean
            # normalised each run already (TaskRun.clean starts with it).
            run._refuse_config_change_when_locked()
            run.version = 1
        with _write():
            for run in runs:
                # bulk_create sends no signals: announced as a save, so the
                # write-path guard (and any other receiver) sees every insert.
                pre_save.send(
                    sender=TaskRun,
                    instance=run,
                    raw=False,
                    using=TaskRun.objects.db,
                    update_fields=None,
                )
            for start in range(0, len(runs), BULK_BATCH_SIZE):
                chunk = runs[start : start + BULK_BATCH_SIZE]
                bulk.insert_with_history(chunk, user=by, reason=reason)
                for run in chunk:
                    run.remember_as_saved()
                report(len(runs) + start + len(chunk))
    return runs


def run_clone(original, *, by, via="", acknowledged=(), clone=None):
    """Save a copy of `original`'s config as a new run recorded as cloned from it.

    `clone` is that copy when a form let the user change it first (from
    `original.clone(by=...)`); by default the config is copied unchanged.
    Raises as run_save does.
    """
    clone = clone if clone is not None else original.clone(by=by)
    clone.cloned_from = original
    reason = f"{via}: clone of #{original.pk}" if via else f"clone of #{original.pk}"
    return run_save(clone, by=by, via=reason, acknowledged=acknowledged)


def run_clone_many(originals, *, by, via="", acknowledged=None):
    """Clone each run of `originals` in one transaction: all of them, or none.

    `acknowledged` maps an original's pk to the warning codes read for its
    clone. Raises ValidationError, or UnreadWarnings whose `warnings` are
    (original, finding) pairs for every clone, so one page can ask about all.
    """
    acknowledged = acknowledged or {}
    unread = []
    for original in originals:
        clone = original.clone(by=by)
        clone.full_clean(validate_unique=False, validate_constraints=False)
        read = set(acknowledged.get(original.pk, ()))
        unread += [(original, w) for w in warnings_for(clone) if w.code not in read]
    if unread:
        error = UnreadWarnings([finding for _, finding in unread])
        error.warnings_by_run = unread
        raise error
    with transaction.atomic():
        return [
            run_clone(original, by=by, via=via, acknowledged=acknowledged.get(original.pk, ()))
            for original in originals
        ]


def run_revert(run, record, *, by, acknowledged=()):
    """Give `run` the config it had at history `record`, saved as a new version.

    History is never rewritten: the revert is itself a change, recorded with
    the version it went back to. Raises as run_save does, or ValidationError
    when `record` belongs to another run.
    """
    if record.id != run.pk:
        raise ValidationError("That version belongs to another run.")
    if run.was_launched:
        # Even to its own config: a new version of a launched run records nothing.
        raise ValidationError(
            "This run was launched, so its config is read-only: clone it to change it."
        )
    for name, value in config_of(record).items():
        setattr(run, name, value)
    return run_save(
        run, by=by, via=f"revert to version {record.version}", acknowledged=acknowledged
    )


def run_launch(
    run,
    *,
    by,
    mephisto_task_run_id="",
    acknowledged=(),
    launched_at=None,
    mephisto_created_at=None,
    via="status: launched",
):
    """Mark a draft as launched (with Mephisto's task run id, if known).

    From then on its config is read-only. The config is checked as a save
    would check it; warnings read when it was last saved count as read, since
    the config has not changed since. `launched_at` defaults to now; the sync
    gives Mephisto's creation time (also kept as `mephisto_created_at`).
    Raises ValidationError (not a draft, a rule broken, a bad id),
    UnreadWarnings or EditConflict.
    """
    if run.status != TaskRun.Status.DRAFT:
        raise ValidationError("Only a draft can be marked as launched.")
    run.status = TaskRun.Status.LAUNCHED
    run.launched_at = launched_at or timezone.now()
    run.mephisto_task_run_id = mephisto_task_run_id
    run.mephisto_created_at = mephisto_created_at
    try:
        return run_save(
            run,
            by=by,
            via=via,
            acknowledged={*acknowledged, *run.acknowledged_warnings},
        )
    except (ValidationError, UnreadWarnings):
        run.status, run.launched_at, run.mephisto_task_run_id = TaskRun.Status.DRAFT, None, ""
        run.mephisto_created_at = None
        raise


def run_link(run, *, by, mephisto_task_run_id, mephisto_created_at, via):
    """Record that Mephisto's task run `mephisto_task_run_id` was launched from `run`.

    A draft is marked as launched at Mephisto's creation time (run_launch); its
    warnings count as read, since Mephisto has launched it whatever they say. A
    run already marked as launched by hand, without an id, is given the id.
    Returns MephistoProgress.Link.LAUNCHED or .MARKED. Raises ValidationError
    for a run linked already, archived, or whose config breaks a rule.
    """
    if run.mephisto_task_run_id:
        raise ValidationError(
            f"This run is linked already, to Mephisto run {run.mephisto_task_run_id}."
        )
    if run.status == TaskRun.Status.DRAFT:
        run_launch(
            run,
            by=by,
            mephisto_task_run_id=mephisto_task_run_id,
            acknowledged=[warning.code for warning in warnings_for(run)],
            launched_at=mephisto_created_at,
            mephisto_created_at=mephisto_created_at,
            via=via,
        )
        return MephistoProgress.Link.LAUNCHED
    if run.status != TaskRun.Status.LAUNCHED:
        raise ValidationError("Only a draft or a launched run can be linked to a Mephisto run.")
    run.mephisto_task_run_id = mephisto_task_run_id
    run.mephisto_created_at = mephisto_created_at
    # No rule is checked: the config is what was launched, and only the id changes.
    _record(run, by=by, via=via)
    return MephistoProgress.Link.MARKED


def run_unlink(run, *, by, via="browser"):
    """Undo a link the sync made (or a typed id): the run forgets its Mephisto run.

    A draft the sync marked as launched is a draft again; any other run stays
    launched, without an id. The pair is remembered (MephistoUnlink) so no later
    sync links it again, the progress read for it is dropped, and the history
    records the change. Raises ValidationError when the run is not linked.
    """
    task_run_id = run.mephisto_task_run_id
    if not task_run_id:
        raise ValidationError("This run is not linked to a Mephisto run.")
    progress = MephistoProgress.objects.filter(run=run).first()
    with transaction.atomic():
        MephistoUnlink.objects.create(run=run, mephisto_task_run_id=task_run_id, by=by)
        if progress is not None:
            if progress.link == MephistoProgress.Link.LAUNCHED:
                run.status, run.launched_at = TaskRun.Status.DRAFT, None
            progress.delete()
        run.mephisto_task_run_id, run.mephisto_created_at = "", None
        _record(run, by=by, via=f"{via}: unlinked from Mephisto run {task_run_id}")
    return run


def run_archive(run, *, by):
    """Hide a run from the default list. Raises ValidationError if archived already.

    No rule is checked: archiving changes no config and launches nothing, and a
    run saved under older rules must still be archivable.
    """
    if run.status == TaskRun.Status.ARCHIVED:
        raise ValidationError("This run is archived already.")
    run.status = TaskRun.Status.ARCHIVED
    _record(run, by=by, via="status: archived")
    return run


def run_unarchive(run, *, by):
    """Bring an archived run back as launched (if it was) or draft. Raises ValidationError."""
    if run.status != TaskRun.Status.ARCHIVED:
        raise ValidationError("Only an archived run can be brought back.")
    run.status = TaskRun.Status.LAUNCHED if run.launched_at else TaskRun.Status.DRAFT
    _record(run, by=by, via=f"status: {run.status}")
    return run


def run_delete(run, *, by, via="browser"):
    """Delete a draft; its history is kept. Raises ValidationError for a launched run
    (the model's own refusal: a launched run records what was launched)."""
    run._history_user = by
    run._change_reason = f"{via}: deleted"[:VIA_MAX_LENGTH]
    with _write():
        run.delete()
