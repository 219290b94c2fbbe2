"""Sync from Mephisto's database: which run each of Mephisto's task runs came from,
and how far it got.

- `read_path(path)` / `read_bytes(name, data)` (optional `progress(stage, done,
  total)` callback, for a progress bar: STAGES names each stage) read a Mephisto
  `database.db` into a Snapshot, within bounds, touching nothing of Taskadmin's.
  The file is only ever read: a path is first checked against its size limit and
  copied page by page (SQLite's backup, under a shared lock, so Mephisto may keep
  writing), uploaded bytes are written to a temporary file, and the copy is
  opened read-only and immutable. Its schema is not trusted
  (PRAGMA trusted_schema=OFF), only real tables checked in sqlite_master are
  queried (no view or trigger of the file runs), every value's length is capped
  before it is fetched, rows are counted against caps, and a progress handler
  stops any query past the time budget. A file that cannot be read raises
  SyncFailure with a message for the user.
- `apply(snapshot, by=...)` links, imports and records progress in one
  transaction, every change to a run through tasks.services (same progress
  callback). The sync page queues both as a background job (tasks.background).
- `progress_of(run)` is what the run page, the list and the API show.

Matching: a Mephisto task run was launched from a Taskadmin run when every value
the run's export sets is what Mephisto stored (tasks.exporting.hydra_config against
the resolved `init_params`): the task section, and the blueprint, architect and
provider with their arguments. Mephisto adds its own defaults, so extra keys on
its side do not count; an interpolation of ours (`${task_dir}/x.html`) matches
whatever Mephisto resolved it to.
"""

import json
import re
import sqlite3
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from tasks import costs, exporting, hydra, importing, money, services
from tasks.defaults_list import LAUNCH_GROUPS
from tasks.models import MephistoProgress, MephistoUnlink, TaskRun

# Bounds on one sync. A lab's database grows by a few rows per unit, so units
# get a generous cap; task runs are parsed one by one (milliseconds each) when
# not linked yet, so they get the import's order of magnitude.
MAX_TASK_RUNS = 10_000
MAX_UNITS = 2_000_000
MAX_AGENTS = 2_000_000
SECONDS = 120  # reading the whole file, all queries together
MAX_PAY = 100_000  # per unit: more is a corrupt value, counted as 0
LOCK_SECONDS = 5  # waiting for Mephisto to finish a write before copying
MAX_STATUS_CHARS = 40
MAX_TIME_CHARS = 40
MAX_ID_CHARS = importing.MAX_DATABASE_ID_CHARS
MAX_PARAMS_CHARS = importing.MAX_DATABASE_VALUE_CHARS
MAX_CONFIG_BYTES = 100_000_000  # all task runs' init_params together
SERIES_POINTS = 40

# Mephisto 1.1.1's AssignmentState: completed() and payable() (the statuses its
# TaskRun.get_total_spend counts as spent budget: a launched unit's reward is
# committed, since a worker can take it).
FINISHED = ("completed", "accepted", "rejected", "soft_rejected")
PAYABLE = ("launched", "assigned", "completed", "accepted", "soft_rejected")
# The order the run page lists them in; unknown statuses follow, as found.
STATUS_ORDER = (
    "created",
    "launched",
    "assigned",
    "completed",
    "accepted",
    "soft_rejected",
    "rejected",
    "expired",
)


# What each stage of a sync is doing, for a progress bar (the job page, the command).
STAGES = {
    "copying": "Copying the database (Mephisto may go on writing meanwhile)",
    "task runs": "Reading Mephisto's task runs",
    "units": "Reading units",
    "agents": "Reading workers (agents)",
    "linking": "Linking Mephisto's runs to runs here",
    "figures": "Recording each linked run's progress and spend",
}


class SyncFailure(Exception):
    """The database as a whole cannot be read; nothing was changed."""


@dataclass
class UnitFigures:
    """One Mephisto task run's units, as read."""

    by_status: dict = field(default_factory=lambda: defaultdict(int))
    pay_by_status: dict = field(default_factory=lambda: defaultdict(int))  # in 1/10,000ths
    workers: set = field(default_factory=set)
    # hour ("2026-11-02 10") -> [units finished, pay of payable units], in that hour
    hours: dict = field(default_factory=lambda: defaultdict(lambda: [0, 0]))


@dataclass
class MephistoRun:
    task_run_id: str
    created: str | None
    provider: str
    row: tuple  # as importing._add_database_row reads it


@dataclass
class Snapshot:
    name: str
    runs: list  # [MephistoRun], in task_run_id order
    units: dict  # task_run_id -> UnitFigures

    @property
    def unit_count(self):
        """Units read that belong to one of the task runs read."""
        return sum(sum(figures.by_status.values()) for figures in self.units.values())


@dataclass
class Outcome:
    """What a sync did: run lists, and a line per Mephisto run it could not use."""

    linked: list = field(default_factory=list)  # [(TaskRun, mephisto id)]
    imported: list = field(default_factory=list)
    updated: int = 0  # linked runs whose progress was read
    unchanged: int = 0  # of those, linked by an earlier sync or by hand: the run is left as it is
    skipped: list = field(default_factory=list)  # messages

    def summary(self):
        parts = [
            f"{len(self.linked)} run{'s' if len(self.linked) != 1 else ''} linked",
            f"{len(self.imported)} imported",
            f"progress read for {self.updated}",
        ]
        if self.skipped:
            parts.append(f"{len(self.skipped)} skipped")
        return ", ".join(parts) + "."


# -- Reading -----------------------------------------------------------------------


def max_upload_bytes():
    return settings.TASKADMIN_SYNC_MAX_BYTES


def upload_size_error(name, size):
    return (
        f"{name} is {size / 1_000_000:.1f} MB; the sync upload limit is"
        f" {max_upload_bytes() / 1_000_000:.1f} MB. Sync it on the server with"
        " `manage.py sync_mephisto`."
    )


def max_path_bytes():
    return settings.TASKADMIN_SYNC_MAX_PATH_BYTES


def path_size_error(name, size):
    return (
        f"{name} is {size / 1_000_000:.1f} MB; a sync reads at most"
        f" {max_path_bytes() / 1_000_000:.1f} MB from the server's disk"
        " (TASKADMIN_SYNC_MAX_PATH_BYTES)."
    )


def check_path(path):
    """Refuse at once what read_path would refuse before reading: a missing file,
    one over TASKADMIN_SYNC_MAX_PATH_BYTES, one that is not SQLite. Raises SyncFailure."""
    path = Path(path)
    if not path.is_file():
        raise SyncFailure(f"{path} does not exist or is not a file.")
    size = path.stat().st_size
    if size > max_path_bytes():
        raise SyncFailure(path_size_error(path.name, size))
    with open(path, "rb") as file:
        if file.read(len(importing.SQLITE_MAGIC)) != importing.SQLITE_MAGIC:
            raise SyncFailure(
                f"{path.name} is not an SQLite database, so not Mephisto's database.db."
            )


def check_upload(name, data):
    """Refuse at once what read_bytes would refuse before reading: over
    TASKADMIN_SYNC_MAX_BYTES, or not SQLite. Raises SyncFailure."""
    if len(data) > max_upload_bytes():
        raise SyncFailure(upload_size_error(name, len(data)))
    if not data.startswith(importing.SQLITE_MAGIC):
        raise SyncFailure(f"{name} is not an SQLite database, so not Mephisto's database.db.")


def read_path(path, *, progress=None):
    """A Snapshot of the Mephisto database at `path` (its pages copied first).

    Raises SyncFailure: missing, over TASKADMIN_SYNC_MAX_PATH_BYTES (checked
    before copying), not a database, locked past a few seconds, over the bounds.
    """
    check_path(path)
    path = Path(path)
    name = path.name
    if progress:
        progress("copying", 0, None)
    with tempfile.TemporaryDirectory(prefix="taskadmin-sync-") as folder:
        copy = Path(folder) / "database.db"
        try:
            # mode=ro: the backup reads pages under a shared lock and writes none;
            # no SQL of the file runs. timeout: Mephisto holds its write lock briefly.
            source = sqlite3.connect(
                f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=LOCK_SECONDS
            )
            target = sqlite3.connect(copy)
            try:
                # A read transaction first: its shared lock waits LOCK_SECONDS for
                # a writer, where the backup itself would retry for ever.
                source.execute("BEGIN")
                source.execute("SELECT count(*) FROM sqlite_master").fetchone()
                # The size within this read transaction, which the copy will have:
                # the file may have grown since, or hold part of it in its -wal.
                (pages,) = source.execute("PRAGMA page_count").fetchone()
                (page_size,) = source.execute("PRAGMA page_size").fetchone()
                if pages * page_size > max_path_bytes():
                    raise SyncFailure(path_size_error(name, pages * page_size))
                source.backup(target)
            finally:
                source.close()
                target.close()
        except sqlite3.OperationalError as error:
            if "locked" in str(error) or "busy" in str(error):
                raise SyncFailure(
                    f"{name} is locked by another program (Mephisto writing?); try again."
                ) from None
            raise SyncFailure(f"{name} cannot be read as Mephisto's database ({error}).") from None
        except sqlite3.DatabaseError as error:
            raise SyncFailure(f"{name} cannot be read as Mephisto's database ({error}).") from None
        return _read(copy, name, copy.stat().st_size, progress)


def read_bytes(name, data, *, progress=None):
    """A Snapshot of an uploaded database.db's bytes. Raises SyncFailure."""
    check_upload(name, data)
    with tempfile.TemporaryDirectory(prefix="taskadmin-sync-") as folder:
        path = Path(folder) / "database.db"
        path.write_bytes(data)
        return _read(path, name, len(data), progress)


def _read(path, name, size, progress):
    deadline = time.monotonic() + SECONDS
    connection = sqlite3.connect(f"{path.as_uri()}?mode=ro&immutable=1", uri=True)
    try:
        # No value can be longer than the file itself (zeroblob(10**9) fails at once).
        connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(size, 1_000_000))
        connection.text_factory = bytes
        connection.set_progress_handler(lambda: time.monotonic() > deadline, 1000)
        connection.execute("PRAGMA trusted_schema = OFF")
        tables = _real_tables(connection, name)
        runs = _read_task_runs(connection, name, progress)
        units = _read_units(connection, name, {run.task_run_id for run in runs}, tables, progress)
        if "agents" in tables:
            _read_agents(connection, name, units, progress)
        return Snapshot(name=name, runs=runs, units=units)
    except sqlite3.Error as error:
        if time.monotonic() > deadline:
            raise SyncFailure(
                f"{name} took longer than {SECONDS} seconds to read; refused."
            ) from None
        if isinstance(error, sqlite3.DataError):
            raise SyncFailure(
                f"{name} makes a value larger than the file itself (string or blob too big);"
                " refused."
            ) from None
        raise SyncFailure(f"{name} cannot be read as Mephisto's database ({error}).") from None
    finally:
        connection.close()


def _real_tables(connection, name):
    """The names among task_runs, units and agents that are real tables; SyncFailure
    when task_runs or units is missing, a view or a virtual table."""
    found = {}
    for kind, table, sql in connection.execute(
        "SELECT type, name, sql FROM sqlite_master"
        " WHERE lower(name) IN ('task_runs', 'units', 'agents')"
    ):
        key = table.decode("utf-8", "replace").lower()
        text = (sql or b"").decode("utf-8", "replace")
        virtual = re.match(r"\s*create\s+virtual\b", text, re.IGNORECASE)
        found.setdefault(key, set()).add("virtual" if virtual else kind.decode())
    for table in ("task_runs", "units"):
        kinds = found.get(table)
        if not kinds:
            raise SyncFailure(f"{name} is not Mephisto's database: it has no {table} table.")
        if kinds != {"table"}:
            kind = sorted(kinds - {"table"})[0]
            raise SyncFailure(
                f"{name} is not Mephisto's database: its {table} is a {kind}, not a table;"
                " only tables are read."
            )
    return {table for table, kinds in found.items() if kinds == {"table"}}


def _count(connection, table, cap):
    (count,) = connection.execute(
        f"SELECT count(*) FROM (SELECT 1 FROM {table} LIMIT ?)", (cap + 1,)
    ).fetchone()
    return count


_TASK_RUNS = """
    SELECT
        CASE WHEN length(task_run_id) <= :short THEN task_run_id END,
        CASE WHEN length(creation_date) <= :short THEN creation_date END,
        CASE WHEN length(init_params) <= :long THEN init_params END,
        length(creation_date) > :short,
        length(init_params),
        CASE WHEN length(provider_type) <= :short THEN provider_type END
    FROM task_runs
"""


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def _read_task_runs(connection, name, progress):
    count = _count(connection, "task_runs", MAX_TASK_RUNS)
    if count > MAX_TASK_RUNS:
        raise SyncFailure(f"{name} holds more than {MAX_TASK_RUNS:,} task runs; refused.")
    if progress:
        progress("task runs", 0, count)
    runs, total = [], 0
    params = {"short": MAX_ID_CHARS, "long": MAX_PARAMS_CHARS}
    for number, row in enumerate(connection.execute(_TASK_RUNS, params), 1):
        if progress and number % 1000 == 0:
            progress("task runs", number, count)
        total += sum(len(value) for value in row[:3] if isinstance(value, bytes))
        if total > MAX_CONFIG_BYTES:
            raise SyncFailure(
                f"{name} holds more than {MAX_CONFIG_BYTES // 1_000_000} MB of task run"
                " configs; refused."
            )
        task_run_id = _text(row[0])
        runs.append(
            MephistoRun(
                task_run_id=task_run_id if task_run_id is not None else "",
                created=_text(row[1]),
                provider=_text(row[5]) or "",
                row=row[:5],
            )
        )
    return sorted(runs, key=lambda run: (len(run.task_run_id), run.task_run_id))


_UNITS = """
    SELECT
        CASE WHEN length(u.task_run_id) <= :short THEN u.task_run_id END,
        CASE WHEN length(u.status) <= :status THEN u.status END,
        CASE WHEN typeof(u.pay_amount) IN ('integer', 'real') THEN u.pay_amount END,
        CASE WHEN length(u.worker_id) <= :short THEN u.worker_id END,
        CASE WHEN length({moment}) <= :time THEN {moment} END
    FROM units AS u {join}
"""
# Mephisto 1.1.1 records no time a unit was finished: the time its worker took it
# (the agent's creation) is the nearest, else the unit's own creation.
_AGENT_JOIN = "LEFT JOIN agents AS a ON a.agent_id = u.agent_id"
_AGENT_MOMENT = "coalesce(a.creation_date, u.creation_date)"


def _read_units(connection, name, task_run_ids, tables, progress):
    count = _count(connection, "units", MAX_UNITS)
    if count > MAX_UNITS:
        raise SyncFailure(f"{name} holds more than {MAX_UNITS:,} units; refused.")
    # Joined only when agents is a real table: a view of the file never runs.
    with_agents = "agents" in tables
    query = _UNITS.format(
        moment=_AGENT_MOMENT if with_agents else "u.creation_date",
        join=_AGENT_JOIN if with_agents else "",
    )
    figures = defaultdict(UnitFigures)
    if progress:
        progress("units", 0, count)
    params = {"short": MAX_ID_CHARS, "status": MAX_STATUS_CHARS, "time": MAX_TIME_CHARS}
    for number, (run_id, status, pay, worker, moment) in enumerate(
        connection.execute(query, params), 1
    ):
        if progress and number % 10_000 == 0:
            progress("units", number, count)
        run_id = _text(run_id)
        if run_id not in task_run_ids:
            continue
        status = _text(status) or "unknown"
        unit = figures[run_id]
        unit.by_status[status] += 1
        pay = _ten_thousandths(pay)
        unit.pay_by_status[status] += pay
        if worker is not None:
            unit.workers.add(_text(worker))
        hour = unit.hours[(_text(moment) or "")[:13]]
        if status in FINISHED:
            hour[0] += 1
        if status in PAYABLE:
            hour[1] += pay
    if progress:
        progress("units", count, count)
    return figures


def _read_agents(connection, name, figures, progress):
    """Workers who took a unit and left it (returned, expired) count too."""
    count = _count(connection, "agents", MAX_AGENTS)
    if count > MAX_AGENTS:
        raise SyncFailure(f"{name} holds more than {MAX_AGENTS:,} agents; refused.")
    if progress:
        progress("agents", 0, count)
    for number, (run_id, worker) in enumerate(
        connection.execute(
            "SELECT CASE WHEN length(task_run_id) <= ? THEN task_run_id END,"
            " CASE WHEN length(worker_id) <= ? THEN worker_id END FROM agents",
            (MAX_ID_CHARS, MAX_ID_CHARS),
        ),
        1,
    ):
        if progress and number % 10_000 == 0:
            progress("agents", number, count)
        run_id = _text(run_id)
        if run_id in figures and worker is not None:
            figures[run_id].workers.add(_text(worker))


def _ten_thousandths(pay):
    """A pay_amount (dollars, as a float) in 1/10,000ths, so sums stay exact; 0 for
    what no provider pays (not a number, negative, over MAX_PAY)."""
    try:
        value = Decimal(repr(pay)) if isinstance(pay, float) else Decimal(pay or 0)
    except (InvalidOperation, ValueError, TypeError):
        return 0
    if not value.is_finite() or not 0 <= value <= MAX_PAY:
        return 0
    return int((value * 10_000).to_integral_value())


# -- Matching ------------------------------------------------------------------------


def _same(ours, theirs):
    """True when Mephisto's resolved `theirs` is what our exported `ours` becomes."""
    if isinstance(ours, dict):
        return isinstance(theirs, dict) and all(
            key in theirs and _same(value, theirs[key]) for key, value in ours.items()
        )
    if isinstance(ours, list):
        return (
            isinstance(theirs, list)
            and len(ours) == len(theirs)
            and all(_same(a, b) for a, b in zip(ours, theirs, strict=True))
        )
    if isinstance(ours, str):
        if not isinstance(theirs, str):
            return False
        if hydra.has_interpolation(ours):
            return _resolves_to(ours, theirs)
        try:
            return hydra.unescape_interpolations(ours) == theirs
        except hydra.InterpolationError:
            return False
    if isinstance(ours, bool) or ours is None:
        return type(ours) is type(theirs) and ours == theirs
    if isinstance(ours, int | float | Decimal):
        if isinstance(theirs, bool) or not isinstance(theirs, int | float | Decimal):
            return False
        try:
            return Decimal(str(ours)) == Decimal(str(theirs))
        except InvalidOperation:
            return False
    return ours == theirs


_INTERPOLATION = re.compile(r"(\\*)\$\{[^}]*\}")


def _resolves_to(text, resolved):
    """True when OmegaConf could resolve `text` to `resolved`: each interpolation
    (${task_dir}, ${oc.env:X}) stands for any text, the rest is literal.

    Matched as a glob with `*` only (prefix, suffix, then each literal piece found
    left to right), which is linear: a regex of many `.*` could backtrack for ever
    on a crafted value."""
    pieces, last = [], 0
    for match in _INTERPOLATION.finditer(text):
        if len(match[1]) % 2:
            continue  # escaped: literal characters
        pieces.append(_literal(text[last : match.start()] + match[1][: len(match[1]) // 2]))
        last = match.end()
    pieces.append(_literal(text[last:]))
    first, *middle, final = pieces
    if len(resolved) < len(first) + len(final):
        return False
    if not (resolved.startswith(first) and resolved.endswith(final)):
        return False
    position, end = len(first), len(resolved) - len(final)
    for piece in middle:
        found = resolved.find(piece, position, end)
        if found < 0:
            return False
        position = found + len(piece)
    return True


def _literal(text):
    try:
        return hydra.unescape_interpolations(text)
    except hydra.InterpolationError:
        return text


def matches(run, node):
    """True when Mephisto's stored config `node` (the resolved `mephisto` mapping)
    was launched from `run`: same launch choices, and every value the run's export
    sets in the task section and in the blueprint, architect and provider sections
    is the one Mephisto stored."""
    export = exporting.hydra_config(run)["mephisto"]
    for group in LAUNCH_GROUPS:
        chosen = getattr(run, group)
        section = node.get(group)
        stored = section.get(f"_{group}_type") if isinstance(section, dict) else None
        if chosen and chosen != stored:
            return False
    task = node.get("task")
    if not isinstance(task, dict):
        return False
    for key, value in export["task"].items():
        # A key Mephisto's version does not declare could not have been launched
        # with it: the run was exported for that version without it.
        if key in task and not _same(value, task[key]):
            return False
    if "task_title" not in task:
        return False
    return all(_same(export.get(group, {}), node.get(group) or {}) for group in LAUNCH_GROUPS)


def _node(init_params):
    """The resolved mephisto mapping of an init_params value (bytes), or None."""
    try:
        text = json.loads(init_params)
        node = hydra.load_yaml(text) if isinstance(text, str) else None
    except (ValueError, TypeError, hydra.YAMLError, RecursionError):
        return None
    if isinstance(node, dict) and isinstance(node.get("mephisto"), dict):
        node = node["mephisto"]
    return node if isinstance(node, dict) else None


# -- Applying ------------------------------------------------------------------------


def apply(snapshot, *, by, via=None, progress=None):
    """Link, import and record progress for every task run in `snapshot`, in one
    transaction. Returns an Outcome. Changes to runs go through tasks.services
    (history says `sync: <name>`); a second sync of the same file changes no run.
    `progress(stage, done, total)` hears of "linking" (Mephisto runs not linked
    yet) and "figures" (linked runs), as read_path's does.
    """
    via = via or f"sync: {snapshot.name}"
    outcome = Outcome()
    ids = [run.task_run_id for run in snapshot.runs if run.task_run_id]
    with transaction.atomic():
        linked = {
            run.mephisto_task_run_id: run
            for run in TaskRun.objects.filter(mephisto_task_run_id__in=ids).select_related(
                "mephisto_progress"
            )
        }
        refused = defaultdict(set)
        for pair in MephistoUnlink.objects.filter(mephisto_task_run_id__in=ids):
            refused[pair.mephisto_task_run_id].add(pair.run_id)
        links = {}  # mephisto id -> (run, how)
        pending, seen = [], set()
        for mephisto_run in snapshot.runs:
            task_run_id = mephisto_run.task_run_id
            if not task_run_id:
                outcome.skipped.append("A task run without an id (or a too long one): skipped.")
                continue
            if task_run_id in seen:
                # Mephisto's task_run_id is its primary key: only a crafted file repeats it.
                outcome.skipped.append(f"Mephisto run {task_run_id} appears twice: skipped.")
                continue
            seen.add(task_run_id)
            created = _created(mephisto_run)
            run = linked.get(task_run_id)
            if run is not None:
                if run.mephisto_created_at and created and run.mephisto_created_at != created:
                    outcome.skipped.append(
                        f"Mephisto run {task_run_id}: run #{run.pk} is linked to a Mephisto run"
                        " with this id but another creation time (another database?); skipped."
                    )
                    continue
                how = _current_link(run)
                links[task_run_id] = (run, how)
                outcome.unchanged += 1
                continue
            pending.append((mephisto_run, created))
        _link_or_import(
            snapshot, pending, refused, links, outcome, by=by, via=via, progress=progress
        )
        now = timezone.now()
        by_id = {mephisto_run.task_run_id: mephisto_run for mephisto_run in snapshot.runs}
        if progress:
            progress("figures", 0, len(links))
        for number, (task_run_id, (run, how)) in enumerate(links.items(), 1):
            _save_progress(run, how, by_id[task_run_id], snapshot, now)
            outcome.updated += 1
            if progress and number % 100 == 0:
                progress("figures", number, len(links))
    return outcome


def _current_link(run):
    try:
        return run.mephisto_progress.link
    except MephistoProgress.DoesNotExist:
        return MephistoProgress.Link.TYPED


def _created(mephisto_run):
    try:
        return importing._as_datetime(mephisto_run.created)
    except ValueError:
        return None


def _link_or_import(snapshot, pending, refused, links, outcome, *, by, via, progress):
    nodes = [
        (mephisto_run, created, _node(mephisto_run.row[2])) for mephisto_run, created in pending
    ]
    titles = {
        str(node["task"].get("task_title"))
        for _, _, node in nodes
        if node and isinstance(node.get("task"), dict)
    }
    candidates = defaultdict(list)
    for run in TaskRun.objects.filter(
        mephisto_task_run_id="",
        status__in=[TaskRun.Status.DRAFT, TaskRun.Status.LAUNCHED],
        task_title__in=titles,
    ).order_by("pk"):
        candidates[run.task_title].append(run)
    taken = set()
    if progress:
        progress("linking", 0, len(nodes))
    for number, (mephisto_run, created, node) in enumerate(nodes, 1):
        if progress and number % 50 == 0:
            progress("linking", number, len(nodes))
        task_run_id = mephisto_run.task_run_id
        if node is None:
            _import(snapshot, mephisto_run, refused, links, outcome, by=by, via=via)
            continue
        title = (
            node.get("task", {}).get("task_title") if isinstance(node.get("task"), dict) else None
        )
        found = [
            run
            for run in candidates.get(str(title), [])
            if run.pk not in taken and run.pk not in refused[task_run_id] and matches(run, node)
        ]
        if not found:
            _import(snapshot, mephisto_run, refused, links, outcome, by=by, via=via)
            continue
        run = min(found, key=lambda run: _preference(run, created))
        try:
            with transaction.atomic():
                how = services.run_link(
                    run,
                    by=by,
                    mephisto_task_run_id=task_run_id,
                    mephisto_created_at=created,
                    via=f"{via}: linked to Mephisto run {task_run_id}",
                )
        except (services.ValidationError, services.UnreadWarnings) as error:
            outcome.skipped.append(
                f"Mephisto run {task_run_id} matches run #{run.pk}, which cannot be linked:"
                f" {'; '.join(getattr(error, 'messages', [str(error)]))}"
            )
            continue
        taken.add(run.pk)
        links[task_run_id] = (run, how)
        outcome.linked.append((run, task_run_id))


def _preference(run, created):
    """Among matching runs: one marked as launched by hand first, then one made
    before Mephisto's run (the latest such), then the oldest."""
    before = created is None or run.created_at <= created
    return (
        run.status != TaskRun.Status.LAUNCHED,
        not before,
        -run.created_at.timestamp() if before else run.created_at.timestamp(),
        run.pk,
    )


def _import(snapshot, mephisto_run, refused, links, outcome, *, by, via):
    task_run_id = mephisto_run.task_run_id
    if refused[task_run_id]:
        numbers = ", ".join(f"#{pk}" for pk in sorted(refused[task_run_id]))
        outcome.skipped.append(
            f"Mephisto run {task_run_id} matches no run, and was unlinked by hand from"
            f" {numbers}: left alone."
        )
        return
    batch = importing.Batch(snapshot.name)
    try:
        importing._add_database_row(batch, snapshot.name, 1, mephisto_run.row)
    except importing.ImportFailure as error:
        outcome.skipped.append(f"Mephisto run {task_run_id}: {error}")
        return
    document = batch.documents[0]
    if document.run is None:
        outcome.skipped.append(
            f"Mephisto run {task_run_id} matches no run and cannot be imported: "
            + "; ".join(document.errors)
        )
        return
    run = document.run
    if not run.provider and mephisto_run.provider:
        run.provider = mephisto_run.provider
    try:
        with transaction.atomic():
            # Mephisto launched it: its warnings are facts to record, not questions.
            services.run_save(
                run,
                by=by,
                via=f"{via}: imported Mephisto run {task_run_id}",
                acknowledged=[warning.code for warning in services.warnings_for(run)],
            )
    except (services.ValidationError, services.UnreadWarnings) as error:
        outcome.skipped.append(
            f"Mephisto run {task_run_id} matches no run and cannot be imported:"
            f" {'; '.join(getattr(error, 'messages', [str(error)]))}"
        )
        return
    links[task_run_id] = (run, MephistoProgress.Link.IMPORTED)
    outcome.imported.append(run)


def _save_progress(run, how, mephisto_run, snapshot, now):
    units = snapshot.units.get(mephisto_run.task_run_id, UnitFigures())
    provider = run.provider or mephisto_run.provider
    rate = money.fee_rate(provider) if provider else Decimal(0)
    payable = sum(units.pay_by_status.get(status, 0) for status in PAYABLE)
    rewards = _money(payable, provider)
    fee = (rewards * rate).quantize(money.CENT)
    figures = {
        "link": how,
        "provider": mephisto_run.provider[:50],
        "units_by_status": _ordered(units.by_status),
        "units": sum(units.by_status.values()),
        "finished": sum(units.by_status.get(status, 0) for status in FINISHED),
        "workers": len(units.workers),
        "rewards": rewards,
        "fee": fee,
        "spent": rewards + fee,
        "series": _series(units.hours, provider, rate),
        "source": snapshot.name[:255],
        "synced_at": now,
    }
    MephistoProgress.objects.update_or_create(run=run, defaults=figures)


def _money(ten_thousandths, provider):
    amount = Decimal(ten_thousandths) / 10_000
    return money.reward_in_currency(amount, provider) if provider else amount.quantize(money.CENT)


def _ordered(by_status):
    known = {status: by_status[status] for status in STATUS_ORDER if by_status.get(status)}
    others = {status: count for status, count in sorted(by_status.items()) if status not in known}
    return {**known, **others}


def _series(hours, provider, rate):
    """[[ISO time, units finished, money spent], ...], cumulative, at most
    SERIES_POINTS points (hours merged evenly when there are more)."""
    points, finished, pay = [], 0, 0
    for hour in sorted(hours):
        moment = _hour(hour)
        if moment is None:
            continue
        finished += hours[hour][0]
        pay += hours[hour][1]
        rewards = _money(pay, provider)
        points.append(
            [moment.isoformat(), finished, str(rewards + (rewards * rate).quantize(money.CENT))]
        )
    if len(points) > SERIES_POINTS:
        step = len(points) / SERIES_POINTS
        points = [points[int(i * step)] for i in range(SERIES_POINTS - 1)] + [points[-1]]
    return points


def _hour(text):
    try:
        # SQLite's CURRENT_TIMESTAMP, which Mephisto's rows default to, is UTC.
        return datetime.strptime(text, "%Y-%m-%d %H").replace(tzinfo=UTC)
    except ValueError:
        return None


# -- Showing -------------------------------------------------------------------------


def progress_of(run):
    """What the last sync read for `run`, as a JSON-ready dict, or None when the run
    is not linked or not synced yet.

    {"mephisto_task_run_id": "7", "synced_at": ISO time, "source": "database.db",
     "units": 40, "finished": 12, "planned_units": 100 or None,
     "units_by_status": {"accepted": 10, ...}, "workers": 5, "currency": "$",
     "rewards": "6.00", "fee": "1.20", "spent": "7.20", "estimate": "60.00" or None,
     "over_estimate": False, "series": [[ISO time, finished, "spent"], ...]}
    Money is text with two decimals, in the provider's currency. No query when
    `run.mephisto_progress` was select_related.
    """
    try:
        progress = run.mephisto_progress
    except MephistoProgress.DoesNotExist:
        return None
    estimate = costs.estimate(run)
    provider = run.provider or progress.provider
    return {
        "mephisto_task_run_id": run.mephisto_task_run_id,
        "link": progress.link,
        "synced_at": progress.synced_at.isoformat(),
        "source": progress.source,
        "units": progress.units,
        "finished": progress.finished,
        "planned_units": run.planned_units,
        "units_by_status": progress.units_by_status,
        "workers": progress.workers,
        "currency": money.currency_symbol(provider) if provider else "$",
        "rewards": str(progress.rewards),
        "fee": str(progress.fee),
        "spent": str(progress.spent),
        "estimate": str(estimate.total) if estimate else None,
        "over_estimate": progress.over_estimate,
        "series": progress.series,
    }
