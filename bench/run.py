"""Does Taskadmin hold issue 13's targets? Measure each figure beside its peer, in one run.

    make bench                       # temporary SQLite files, removed afterwards
    DATABASE_URL=postgres://user@host:5432/any make bench
                                     # creates and drops its own PostgreSQL databases
    .venv/bin/python bench/run.py --small --only pages,history   # a quick look

Sections (--only picks some; all by default):

pages    Every page of the dashboard, the admin and the API (PAGES below: one line
         each) at 1,000 runs and at 100,000, through Django's test client: the
         median of many requests, alternating between the two databases a few
         requests at a time so that the load of a shared machine falls on both
         alike, and the queries each costs. Beside each, Django's stock admin
         changelist on the same model (bench/stock_admin.py) at 100,000 runs.
export   Every format through tasks.exporting.stream_runs, all rows: runs/s at
         10,000 runs beside `dumpdata tasks.TaskRun` and a bare
         json.dumps(list(TaskRun.objects.values())) of the same rows; peak memory
         (tracemalloc) at 10,000 and at 100,000 runs.
import   30,000 runs from a JSON Lines file and from a Mephisto database.db through
         importing.parse -> preview -> apply (one transaction, rolled back once
         timed), beside `loaddata` of a fixture of the same rows; runs/s against
         the speed before issue 13's work.
history  A run with 10,000 recorded versions against a run with 10: its page, its
         history page and its admin history page.

Ratios are the verdicts: they mean something on a noisy machine, absolute
times much less. Exits 0 whatever the verdicts unless --strict is given.
"""

import argparse
import dataclasses
import json
import logging
import math
import os
import platform
import sqlite3
import statistics
import sys
import tempfile
import time
import traceback
import tracemalloc
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# -- Targets (issue 13, "Targets") ------------------------------------------------------

PAGE_RATIO_TARGET = 1.5  # time at the large size / time at the small size, at most
MEMORY_RATIO_TARGET = 1.25  # export peak memory at the large size / at the export size
JSON_VS_DUMPDATA_TARGET = 3.0  # JSON export runs/s / dumpdata runs/s, at least
JSON_VS_REFERENCE_TARGET = 0.75  # JSON export runs/s / bare json.dumps runs/s, at least
ZIP_VS_DUMPDATA_TARGET = 1.0  # YAML and overrides zips runs/s / dumpdata runs/s, at least
IMPORT_SPEEDUP_TARGET = 5.0  # import runs/s / IMPORT_BASELINE_RUNS_PER_S, at least
# The import before issue 13's work: 30,000 runs in 33 s, about 900 runs/s, on this
# 2-core machine (issue 13, measured on main at a206f77 through parse, preview, apply).
IMPORT_BASELINE_RUNS_PER_S = 900
HISTORY_RATIO_TARGET = PAGE_RATIO_TARGET  # "cost the same": time within 1.5x, same queries
# The import is first timed with this many runs: a warm-up, and a forecast of the whole.
IMPORT_PROBE_RUNS = 1_000


@dataclass(frozen=True)
class Sizes:
    small: int  # runs in the pages' small database
    large: int  # runs in the pages' large database; the export's memory at scale
    export: int  # runs the export is timed with; its memory at the smaller size
    imported: int  # runs in each imported file
    few_versions: int
    many_versions: int
    repeat: int  # requests per page and size


SIZES = {
    # What issue 13's targets are stated for.
    "large": Sizes(1_000, 100_000, 10_000, 30_000, 10, 10_000, 40),
    # For developing the benchmark: a minute or two; the verdicts mean little.
    "small": Sizes(500, 5_000, 1_000, 1_000, 10, 500, 10),
}
SECTIONS = ("pages", "export", "import", "history")


@dataclass(frozen=True)
class Page:
    """One request to time. `path` may name {pk} and {other} (two runs that were not
    cloned), {rare} (a task name: its run and its clones) and {common} (a word of
    one title in ten)."""

    label: str
    path: str
    group: str = "dashboard"  # dashboard, admin, api, stock admin (a peer, no target)
    peer: str | None = None  # the stock-admin page shown beside it
    method: str = "get"
    status: int = 200


ADMIN, STOCK = "/admin/tasks/taskrun/", "/stock-admin/tasks/taskrun/"
PAGES = (
    Page("list", "/", peer="stock changelist"),
    Page("list sorted by title", "/?sort=title"),
    Page("list page 40", "/?page=40", peer="stock page 5"),
    Page("list, every status", "/?status=all"),
    Page("search, rare word", "/?q={rare}", peer="stock search rare"),
    Page("search, common word", "/?q={common}", peer="stock search common"),
    Page("run", "/runs/{pk}/"),
    Page("run edit form", "/runs/{pk}/edit/"),
    Page("run edit POST", "/runs/{pk}/edit/", method="post", status=302),
    Page("run clone form", "/runs/{pk}/clone/"),
    Page("run history", "/runs/{pk}/history/"),
    Page("run export JSON", "/runs/{pk}/export/?format=json"),
    Page("run export YAML", "/runs/{pk}/export/?format=yaml"),
    Page("run export overrides", "/runs/{pk}/export/?format=overrides"),
    Page("export search, rare word", "/runs/export/?q={rare}&format=yaml"),
    Page("compare two runs", "/runs/compare/?pk={pk}&pk={other}"),
    Page("new run form", "/runs/new/"),
    Page("import page", "/runs/import/"),
    Page("config schema", "/schema.json"),
    Page("admin index", "/admin/", "admin"),
    Page("admin changelist", ADMIN, "admin", peer="stock changelist"),
    Page("admin page 5", ADMIN + "?p=5", "admin", peer="stock page 5"),
    Page("admin search, rare word", ADMIN + "?q={rare}", "admin", "stock search rare"),
    Page("admin search, common word", ADMIN + "?q={common}", "admin", "stock search common"),
    Page("admin filter, drafts", ADMIN + "?status__exact=draft", "admin"),
    Page("admin change form", ADMIN + "{pk}/change/", "admin"),
    Page("admin history", ADMIN + "{pk}/history/", "admin"),
    # The API: one line per endpoint; one with no route yet is skipped with a note.
    Page("API runs", "/api/runs/", "api", peer="stock changelist"),
    Page("API runs, page 40", "/api/runs/?page=40", "api", peer="stock page 5"),
    Page("API search, rare word", "/api/runs/?q={rare}", "api", "stock search rare"),
    Page("API search, common word", "/api/runs/?q={common}", "api", "stock search common"),
    Page("API run", "/api/runs/{pk}", "api"),
    Page("API run config", "/api/runs/{pk}/config.yaml", "api"),
    Page("API run history", "/api/runs/{pk}/history", "api"),
    Page("API jobs", "/api/jobs/", "api"),
    # Django's stock admin on the same model: the peers.
    Page("stock changelist", STOCK, "stock admin"),
    Page("stock page 5", STOCK + "?p=5", "stock admin"),
    Page("stock search rare", STOCK + "?q={rare}", "stock admin"),
    Page("stock search common", STOCK + "?q={common}", "stock admin"),
)
# A run with many versions against one with few: {pk} is the run.
HISTORY_PAGES = (
    Page("run", "/runs/{pk}/"),
    Page("run history", "/runs/{pk}/history/"),
    Page("run edit form", "/runs/{pk}/edit/"),
    Page("admin change form", ADMIN + "{pk}/change/", "admin"),
    Page("admin history", ADMIN + "{pk}/history/", "admin"),
    Page("API run", "/api/runs/{pk}", "api"),
    Page("API run history", "/api/runs/{pk}/history", "api"),
)
EXPORT_FORMATS = (("JSON", "json"), ("YAML zip", "yaml"), ("overrides zip", "overrides"))


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--large", dest="size", action="store_const", const="large", help="the targets' sizes"
    )
    size.add_argument(
        "--small",
        dest="size",
        action="store_const",
        const="small",
        help="small sizes, for trying the benchmark out (its verdicts mean little)",
    )
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"sections, comma-separated ({','.join(SECTIONS)})",
    )
    parser.add_argument("--repeat", type=int, help="requests per page and size (40; --small 10)")
    parser.add_argument("--block", type=int, default=2, help="requests before switching size (2)")
    parser.add_argument(
        "--export-repeat", type=int, default=3, help="timed exports of each kind (3)"
    )
    parser.add_argument(
        "--import-runs", type=int, help="runs in each imported file (30,000; --small 1,000)"
    )
    parser.add_argument(
        "--budget",
        type=float,
        default=180,
        help="seconds one export's memory trace, one import or one page's requests may take"
        " (180; 0: no limit): a slower import is measured on its first 1,000 runs, a slower"
        " page fewer times, and an export's memory at the larger size not at all (a note says"
        " so)",
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target does not hold")
    args = parser.parse_args()
    sections = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = set(sections) - set(SECTIONS)
    if unknown or not sections:
        parser.error(f"--only: choose from {', '.join(SECTIONS)}")
    sizes = SIZES[args.size or "large"]
    if args.import_runs:
        sizes = dataclasses.replace(sizes, imported=args.import_runs)
    # WhiteNoise looks for collected static files; the benchmark serves none.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    with OwnDatabases(("small", "large", "import")) as (label, urls):
        os.environ["BENCH_DATABASE_URL"] = urls["large"]
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        import django

        django.setup()
        # Each skipped API endpoint would log its 404s; errors still show.
        logging.getLogger("django.request").setLevel(logging.ERROR)
        logging.getLogger("axes").setLevel(logging.WARNING)  # the benchmark's own logins
        bench = Bench(label, urls, sizes, args)
        failed = bench.run(sections)
    return 1 if failed and args.strict else 0


class OwnDatabases:
    """Fresh databases for this run only: temporary SQLite files, or new PostgreSQL
    databases on the server DATABASE_URL names (dropped at the end)."""

    def __init__(self, names):
        self.names = names

    def __enter__(self):
        url = os.environ.get("DATABASE_URL", "")
        if url.startswith(("postgres://", "postgresql://", "pgsql://")):
            import psycopg

            self.admin_url = url
            parts = urlsplit(url)
            self.databases = [f"taskadmin_bench_{os.getpid()}_{name}" for name in self.names]
            with psycopg.connect(url, autocommit=True) as conn:
                for database in self.databases:
                    conn.execute(f'CREATE DATABASE "{database}"')
            urls = {
                name: urlunsplit(parts._replace(path=f"/{database}"))
                for name, database in zip(self.names, self.databases, strict=True)
            }
            return f"PostgreSQL on {parts.hostname}", urls
        self.tmp = tempfile.TemporaryDirectory(prefix="taskadmin-bench-")
        urls = {name: f"sqlite:///{self.tmp.name}/{name}.sqlite3" for name in self.names}
        return "SQLite (temporary files)", urls

    def __exit__(self, *exc):
        if hasattr(self, "tmp"):
            self.tmp.cleanup()
            return
        import psycopg
        from django.db import connections

        connections.close_all()
        with psycopg.connect(self.admin_url, autocommit=True) as conn:
            for database in self.databases:
                conn.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


@dataclass
class Verdict:
    section: str
    label: str
    figure: str  # what was measured, against the target: "1.62x (target <= 1.5x)"
    holds: bool


@dataclass
class Timing:
    """One side of a comparison: a request on a database, and what it cost."""

    database: str
    request: tuple  # (label, method, path, data, status)
    times: list = field(default_factory=list)  # milliseconds
    queries: int | None = None
    error: str | None = None

    @property
    def median(self):
        return statistics.median(self.times)

    @property
    def p95(self):
        return statistics.quantiles(self.times, n=20)[18] if len(self.times) > 1 else self.median


class Bench:
    def __init__(self, label, urls, sizes, args):
        import environ

        self.label = label
        self.names = {name: environ.Env.db_url_config(url)["NAME"] for name, url in urls.items()}
        self.sizes = sizes
        self.repeat = args.repeat or sizes.repeat
        self.block = min(args.block, self.repeat)
        self.export_repeat = args.export_repeat
        self.budget = args.budget
        self.clients = {}
        self.verdicts = []
        self.notes = []

    def run(self, sections):
        """Measure the sections asked for; returns the verdicts that do not hold."""
        started = time.perf_counter()
        self.print_machine(sections)
        sizes = self.sizes
        if "pages" in sections:
            self.use("small")
            self.prepare()
            self.grow_to(sizes.small)
        if {"pages", "export", "history"} & set(sections):
            self.use("large")
            self.prepare()
        if "export" in sections:
            self.section("export", self.measure_export)
        if "pages" in sections:
            self.use("large")
            self.grow_to(sizes.large)
            self.section("pages", self.measure_pages)
        if "history" in sections:
            self.use("large")
            self.grow_to(max(sizes.small, self.count_runs()))
            self.section("history", self.measure_history)
        if "import" in sections:
            self.use("import")
            self.prepare()
            self.section("import", self.measure_import)
        from django.db import connection

        connection.close()
        minutes, seconds = divmod(time.perf_counter() - started, 60)
        print(f"\nThe benchmark took {minutes:.0f} min {seconds:.0f} s.")
        return self.summary()

    def section(self, name, measure):
        """measure(), or its traceback and a verdict that does not hold: one section
        that breaks (an interface changed, say) leaves the others their figures."""
        try:
            measure()
        except Exception as error:
            traceback.print_exc()
            self.verdicts.append(Verdict(name, "the section", f"failed: {error!r}", False))

    # -- Machine and databases -------------------------------------------------------

    def print_machine(self, sections):
        import django
        from django.db import connection

        cpu = "unknown CPU"
        memory = "unknown"
        try:
            info = Path("/proc/cpuinfo").read_text()
            cpu = next(
                line.split(":", 1)[1].strip()
                for line in info.splitlines()
                if line.startswith("model name")
            )
            kib = next(
                int(line.split()[1])
                for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")
            )
            memory = f"{kib / 2**20:.1f} GiB"
        except (OSError, StopIteration):
            pass
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                database = f"PostgreSQL {cursor.fetchone()[0]}"
        else:
            database = f"SQLite {sqlite3.sqlite_version}"
        load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
        print("Taskadmin benchmark (issue 13's targets)")
        print(f"  machine   {cpu}, {os.cpu_count()} cores, {memory} RAM; load average {load}")
        print(
            f"  software  {platform.platform(terse=True)}, Python {platform.python_version()},"
            f" Django {django.get_version()}, {database}"
        )
        print(f"  database  {self.label}")
        sizes = self.sizes
        print(f"  sections  {', '.join(sections)}")
        print(
            f"  sizes     pages {sizes.small:,} vs {sizes.large:,} runs, {self.repeat} requests"
            f" each; export {sizes.export:,} runs (memory also at {sizes.large:,}); import"
            f" {sizes.imported:,} runs; history {sizes.few_versions:,} vs"
            f" {sizes.many_versions:,} versions; budget {self.budget:g} s"
        )
        print(flush=True)

    def use(self, database):
        """Point Django's default connection at one of the databases."""
        from django.db import connection

        if connection.settings_dict["NAME"] != self.names[database]:
            connection.close()
            connection.settings_dict["NAME"] = self.names[database]

    def prepare(self):
        """Migrate the current database and log a superuser in to it."""
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        if connection.settings_dict["NAME"] in self.clients:
            return
        call_command("migrate", verbosity=0)
        client = Client()
        client.force_login(User.objects.create_superuser("bench", password="bench"))
        self.clients[connection.settings_dict["NAME"]] = client

    def count_runs(self):
        from tasks.models import TaskRun

        return TaskRun.objects.count()

    def grow_to(self, size):
        from tasks.seeding import seed_runs

        missing = size - self.count_runs()
        if missing <= 0:
            return
        started = time.perf_counter()
        seed_runs(missing, seed=size)
        print(f"Seeded {size:,} runs in {time.perf_counter() - started:.1f} s", flush=True)

    # -- Requests --------------------------------------------------------------------

    def fetch(self, label, method, path, data, status):
        """The request through the test client; an error message, or None."""
        from django.db import connection

        client = self.clients[connection.settings_dict["NAME"]]
        response = getattr(client, method)(path, data)
        if response.status_code != status:
            return f"HTTP {response.status_code}, expected {status}"
        # A streamed response does its work as it is read.
        if response.streaming:
            for _ in response.streaming_content:
                pass
        return None

    def count_queries(self, request):
        from django.db import connection

        queries = []

        def record(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            error = self.fetch(*ready(request))
        return len(queries), error

    def compare(self, comparisons):
        """Time each comparison's two sides ({key: [Timing, Timing]}), alternating.

        A comparison whose requests are so slow that `repeat` of them would take
        more than the budget is timed fewer times (at least 3 each)."""
        rounds = {}
        for key, sides in comparisons.items():
            slowest = 0
            for side in sides:
                self.use(side.database)
                for _ in range(2):  # warm the caches
                    started = time.perf_counter()
                    side.error = self.fetch(*ready(side.request))
                    slowest = max(slowest, time.perf_counter() - started)
                    if side.error:
                        break
                if not side.error:
                    side.queries, side.error = self.count_queries(side.request)
            affordable = self.repeat
            if self.budget and slowest * 2 * self.repeat > self.budget:
                affordable = max(3, int(self.budget / (2 * slowest)))
                self.notes.append(
                    f"{key}: {slowest:.1f} s a request; timed about {affordable} times at each"
                    f" size, not {self.repeat} (--budget {self.budget:g} s)."
                )
            rounds[key] = math.ceil(affordable / self.block)
        live = {key: sides for key, sides in comparisons.items() if not any(s.error for s in sides)}
        for number in range(max(rounds.values(), default=0)):
            for which in (0, 1):
                for key, sides in live.items():
                    if number >= rounds[key]:
                        continue
                    side = sides[which]
                    self.use(side.database)
                    for _ in range(self.block):
                        prepared = ready(side.request)
                        started = time.perf_counter()
                        side.error = self.fetch(*prepared)
                        side.times.append((time.perf_counter() - started) * 1000)

    # -- Pages -----------------------------------------------------------------------

    def page_values(self):
        """{pk, other, rare, common} for the current database."""
        from tasks import listing
        from tasks.models import TaskRun

        run, other = lone_runs(2, at=0.5)
        # A task name finds its one run, at any size; a word of the titles
        # ("street", "product", ...) finds one run in ten.
        common = run.task_title.split()[2]
        found = [
            listing.search(TaskRun.objects.all(), word).count() for word in (run.task_name, common)
        ]
        return {"pk": run.pk, "other": other.pk, "rare": run.task_name, "common": common}, found

    def measure_pages(self):
        small, large = self.sizes.small, self.sizes.large
        values = {}
        for database, size in (("small", small), ("large", large)):
            self.use(database)
            values[database], found = self.page_values()
            print(
                f"At {size:,} runs the rare word {values[database]['rare']!r} finds"
                f" {found[0]:,} runs, the common word {values[database]['common']!r} {found[1]:,}."
            )
        comparisons = {
            page.label: [Timing(db, request_for(page, values[db])) for db in ("small", "large")]
            for page in PAGES
        }
        print(
            f"Timing {len(PAGES)} pages, {self.repeat} requests each at each size ...", flush=True
        )
        self.compare(comparisons)
        self.print_comparisons(
            f"Pages: {small:,} runs against {large:,} (test client; median of {self.repeat}"
            f" requests, alternating; target: <= {PAGE_RATIO_TARGET}x, same queries)",
            PAGES,
            comparisons,
            (f"{small:,} ms", f"{large:,} ms"),
            "pages",
        )

    def print_comparisons(self, title, pages, comparisons, headings, section):
        print(f"\n{title}")
        print(
            f"  {'':<27}{headings[0]:>11}{headings[1]:>12}{'ratio':>8}{'p95 ms':>16}"
            f"{'queries':>10}  {'verdict':<8}"
            + (" stock admin at the larger size" if any(p.peer for p in pages) else "")
        )
        group = None
        for page in pages:
            if page.group != group:
                group = page.group
                print(f"  {group}{' (the peers, no target)' if group == 'stock admin' else ''}")
            sides = comparisons[page.label]
            few, many = sides
            errors = [side.error for side in sides if side.error]
            if errors:
                if not all(has_route(side.request[2]) for side in sides):
                    self.notes.append(
                        f"{section}: {page.label}: no route for {page.path}; skipped."
                    )
                    print(f"    {page.label:<25} skipped: no route for {page.path} (yet)")
                    continue
                print(f"    {page.label:<25} ERROR: {'; '.join(errors)}")
                if page.group != "stock admin":
                    self.verdicts.append(Verdict(section, page.label, errors[0], False))
                continue
            ratio = many.median / few.median
            same = few.queries == many.queries
            target = page.group != "stock admin"
            holds = ratio <= PAGE_RATIO_TARGET and same
            peer = ""
            if page.peer and page.peer in comparisons:
                stock = comparisons[page.peer][1]
                if stock.times:
                    stock_ratio = stock.median / comparisons[page.peer][0].median
                    peer = f"{stock.median:7.1f} ms, {stock_ratio:.2f}x"
            print(
                f"    {page.label:<25}{few.median:>11.1f}{many.median:>12.1f}{ratio:>7.2f}x"
                f"{few.p95:>8.1f}{many.p95:>8.1f}{few.queries:>5} {many.queries:<4}"
                f"  {verdict(holds) if target else '':<8} {peer}"
            )
            if target:
                figure = f"{ratio:.2f}x its time, queries {few.queries} and {many.queries}"
                self.verdicts.append(Verdict(section, page.label, figure, holds))

    # -- History ---------------------------------------------------------------------

    def measure_history(self):

        few, many = self.sizes.few_versions, self.sizes.many_versions
        runs = dict(zip((few, many), lone_runs(2, at=1 / 3), strict=True))
        started = time.perf_counter()
        for versions, run in runs.items():
            give_history(run, versions)
        print(
            f"\nRecorded {few:,} and {many:,} versions of two runs in"
            f" {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        comparisons = {
            page.label: [
                Timing("large", request_for(page, {"pk": runs[n].pk})) for n in (few, many)
            ]
            for page in HISTORY_PAGES
        }
        self.compare(comparisons)
        self.print_comparisons(
            f"History: a run with {many:,} versions against one with {few:,}"
            f" (target: <= {HISTORY_RATIO_TARGET}x, same queries)",
            HISTORY_PAGES,
            comparisons,
            (f"{few:,} ms", f"{many:,} ms"),
            "history",
        )

    # -- Export ----------------------------------------------------------------------

    def exports(self):
        """{label: function exporting every run to nowhere}."""
        from django.core.management import call_command

        from tasks import exporting
        from tasks.models import TaskRun

        def streamed(fmt):
            def export():
                _, _, content = exporting.stream_runs(TaskRun.objects.order_by("pk"), fmt)
                drain(content)

            return export

        def dumpdata():
            call_command("dumpdata", "tasks.TaskRun", output=os.devnull, verbosity=0)

        def reference():
            with open(os.devnull, "wb") as sink:
                # Decimals and dates are not JSON: default=str writes them as text.
                sink.write(json.dumps(list(TaskRun.objects.values()), default=str).encode())

        functions = {label: streamed(fmt) for label, fmt in EXPORT_FORMATS}
        functions["dumpdata"] = dumpdata
        functions["json.dumps"] = reference
        return functions

    def time_exports(self):
        """{label: runs/s}, the best of export_repeat, alternated."""
        size = self.sizes.export
        functions = self.exports()
        print(f"Timing the exports of {size:,} runs ...", flush=True)
        seconds = {label: [] for label in functions}
        for _ in range(self.export_repeat):
            for label, function in functions.items():
                seconds[label].append(timed(function))
        return {label: size / min(values) for label, values in seconds.items()}

    def measure_export(self):
        small, large = self.sizes.export, self.sizes.large
        self.use("large")
        self.grow_to(small)
        speeds = self.time_exports()
        memory, seconds = {small: {}, large: {}}, {}
        print(f"Tracing the exports' memory at {small:,} runs ...", flush=True)
        for label, function in self.memory_exports().items():
            started = time.perf_counter()
            memory[small][label] = traced_peak(function)
            seconds[label] = time.perf_counter() - started
        self.grow_to(large)
        print(f"Tracing the exports' memory at {large:,} runs ...", flush=True)
        for label, function in self.memory_exports().items():
            projected = seconds[label] * large / small
            if self.budget and projected > self.budget:
                memory[large][label] = None
                self.notes.append(
                    f"export: {label}'s memory at {large:,} runs not measured: at its speed it"
                    f" would take about {projected:,.0f} s, more than --budget {self.budget:g} s."
                )
                continue
            memory[large][label] = traced_peak(function)
        self.report_export(speeds, memory)

    def memory_exports(self):
        """The exports whose memory is traced: each format, and json.dumps's for scale."""
        functions = self.exports()
        del functions["dumpdata"]
        return functions

    def report_export(self, speeds, memory):
        small, large = self.sizes.export, self.sizes.large
        dumpdata, reference = speeds["dumpdata"], speeds["json.dumps"]
        print(
            f"\nExport: every run through stream_runs; runs/s at {small:,} runs (best of"
            f" {self.export_repeat}), peak memory (tracemalloc) at {small:,} and {large:,}"
        )
        print(
            f"  {'':<16}{'runs/s':>9}{'/dumpdata':>11}{'/json.dumps':>13}  {'verdict':<8}"
            f"{small:>10,}{large:>10,}{'ratio':>8}  verdict"
        )
        for label, _ in EXPORT_FORMATS:
            speed = speeds[label]
            if label == "JSON":
                target = JSON_VS_DUMPDATA_TARGET
                speed_holds = (
                    speed / dumpdata >= target and speed / reference >= JSON_VS_REFERENCE_TARGET
                )
                figure = (
                    f"{speed / dumpdata:.2f}x dumpdata (target >= {target:g}x),"
                    f" {speed / reference:.0%} of json.dumps (target >="
                    f" {JSON_VS_REFERENCE_TARGET:.0%})"
                )
            else:
                speed_holds = speed / dumpdata >= ZIP_VS_DUMPDATA_TARGET
                figure = f"{speed / dumpdata:.2f}x dumpdata (target >= {ZIP_VS_DUMPDATA_TARGET:g}x)"
            peak = memory[large][label]
            ratio = peak / memory[small][label] if peak is not None else None
            memory_holds = ratio is not None and ratio <= MEMORY_RATIO_TARGET
            print(
                f"  {label:<16}{speed:>9,.0f}{speed / dumpdata:>10.2f}x{speed / reference:>12.0%}"
                f"  {verdict(speed_holds):<8}{mib(memory[small][label]):>10}"
                + (
                    f"{mib(peak):>10}{ratio:>7.2f}x  {verdict(memory_holds)}"
                    if ratio is not None
                    else f"{'(budget)':>10}{'':>8}  {verdict(memory_holds)}"
                )
            )
            self.verdicts.append(Verdict("export", f"{label} speed", figure, speed_holds))
            self.verdicts.append(
                Verdict(
                    "export",
                    f"{label} memory",
                    f"{ratio:.2f}x its peak at {small:,} (target <= {MEMORY_RATIO_TARGET}x)"
                    if ratio is not None
                    else f"not measured at {large:,} runs: too slow for --budget",
                    memory_holds,
                )
            )
        print("  peers")
        print(f"  {'dumpdata':<16}{dumpdata:>9,.0f}")
        small_peak, large_peak = memory[small]["json.dumps"], memory[large]["json.dumps"]
        print(
            f"  {'json.dumps':<16}{reference:>9,.0f}{'':>33}{mib(small_peak):>10}"
            + (f"{mib(large_peak):>10}{large_peak / small_peak:>7.2f}x" if large_peak else "")
        )

    # -- Import ----------------------------------------------------------------------

    def measure_import(self):
        from django.core.management import call_command
        from django.db import transaction

        from tasks.models import TaskRun

        count = self.sizes.imported
        lift_import_caps(count)
        started = time.perf_counter()
        runs = fresh_runs(count)
        with tempfile.TemporaryDirectory(prefix="taskadmin-bench-import-") as folder:
            files = {
                "JSON Lines": ("runs.jsonl", json_lines(runs)),
                "Mephisto database.db": ("database.db", mephisto_database(Path(folder), runs)),
            }
            fixture = Path(folder) / "runs.json"
            # The fixture: the same runs, saved, dumped, then rolled back.
            with transaction.atomic():
                TaskRun.objects.bulk_create(runs, batch_size=2000)
                call_command("dumpdata", "tasks.TaskRun", output=str(fixture), verbosity=0)
                transaction.set_rollback(True)
            print(
                f"\nWrote {count:,} runs as JSON Lines, a Mephisto database.db and a fixture"
                f" in {time.perf_counter() - started:.1f} s",
                flush=True,
            )

            def loaddata():
                call_command("loaddata", str(fixture), verbosity=0)

            seconds = {"loaddata": rolled_back(lambda: {"total": timed(loaddata), "runs": count})}
            probe = min(IMPORT_PROBE_RUNS, count)
            probes = {
                "JSON Lines": ("runs.jsonl", json_lines(runs[:probe])),
                "Mephisto database.db": (
                    "database.db",
                    mephisto_database(Path(folder), runs[:probe], "probe.db"),
                ),
            }
            for label, (name, data) in files.items():
                # A first, smaller file warms up and says how long the whole would take.
                print(f"Importing {probe:,} runs from {name} ...", flush=True)
                steps = rolled_back(
                    lambda name=name, data=probes[label][1]: import_steps(name, data)
                )
                projected = steps.get("total", 0) * count / probe
                if probe < count and self.budget and projected > self.budget:
                    self.notes.append(
                        f"import: {label} measured with {probe:,} runs: {count:,} would take"
                        f" about {projected:,.0f} s, more than --budget {self.budget:g} s."
                    )
                elif probe < count:
                    print(f"Importing {count:,} runs from {name} ...", flush=True)
                    steps = rolled_back(lambda name=name, data=data: import_steps(name, data))
                seconds[label] = steps
        self.report_import(seconds, count)
        assert TaskRun.objects.count() == 0  # every import was rolled back

    def report_import(self, seconds, count):
        baseline, target = IMPORT_BASELINE_RUNS_PER_S, IMPORT_SPEEDUP_TARGET
        loaddata = count / seconds["loaddata"]["total"]
        print(
            f"\nImport: {count:,} runs through importing.parse -> preview -> apply, one"
            f" transaction (rolled back once timed); baseline {baseline:,} runs/s"
        )
        print(
            f"  {'':<22}{'runs':>7}{'parse s':>9}{'preview s':>10}{'apply s':>9}{'total s':>9}"
            f"{'runs/s':>9}{'/baseline':>11}{'/loaddata':>11}  verdict"
        )
        for label, steps in seconds.items():
            if label == "loaddata":
                continue
            if "error" in steps:
                print(f"  {label:<22} ERROR: {steps['error']}")
                self.verdicts.append(Verdict("import", label, steps["error"], False))
                continue
            speed = steps["runs"] / steps["total"]
            holds = speed / baseline >= target
            print(
                f"  {label:<22}{steps['runs']:>7,}{steps['parse']:>9.1f}{steps['preview']:>10.1f}"
                f"{steps['apply']:>9.1f}{steps['total']:>9.1f}{speed:>9,.0f}"
                f"{speed / baseline:>10.2f}x"
                f"{speed / loaddata:>10.2f}x  {verdict(holds)}"
            )
            self.verdicts.append(
                Verdict(
                    "import",
                    label,
                    f"{speed:,.0f} runs/s, {speed / baseline:.2f}x the baseline"
                    f" (target >= {target:g}x)",
                    holds,
                )
            )
        print("  peer")
        print(
            f"  {'loaddata (fixture)':<22}{count:>7,}{'':>28}{seconds['loaddata']['total']:>9.1f}"
            f"{loaddata:>9,.0f}"
        )

    # -- Verdicts --------------------------------------------------------------------

    def summary(self):
        failed = [v for v in self.verdicts if not v.holds]
        print(
            f"\nSummary: {len(self.verdicts) - len(failed)} of {len(self.verdicts)} targets hold."
        )
        for note in self.notes:
            print(f"  note: {note}")
        if failed:
            print("Targets that do not hold:")
            for v in failed:
                print(f"  {v.section:<8} {v.label:<27} {v.figure}")
        return failed


# -- Helpers -----------------------------------------------------------------------------


def lone_runs(count, *, at):
    """`count` runs from `at` (0 to 1) of the way through the table, each with a task
    name no other run shares (no clones): the same shape at any size, so that
    their pages cost the same queries (a shared name adds a warning's)."""
    from django.db.models import Count

    from tasks.models import TaskRun

    named = TaskRun.objects.exclude(task_name="").order_by("pk")
    start = int(named.count() * at)
    candidates = list(named[start : start + 50 * count])
    shared = set(
        TaskRun.objects.filter(task_name__in=[run.task_name for run in candidates])
        .values("task_name")
        .annotate(runs=Count("pk"))
        .filter(runs__gt=1)
        .values_list("task_name", flat=True)
    )
    return [run for run in candidates if run.task_name not in shared][:count]


def has_route(path):
    """Whether a URL's path has a route (an endpoint not built yet has none)."""
    from django.urls import Resolver404, resolve

    try:
        resolve(urlsplit(path).path)
    except Resolver404:
        return False
    return True


def request_for(page, values):
    """(label, method, path, data, status) of the page for one database's values."""
    path = page.path.format(**values)
    data = edit_data(values["pk"]) if page.method == "post" else {}
    return page.label, page.method, path, data, page.status


def edit_data(pk):
    """What the browser posts to save the run's form unchanged, made afresh for each
    request: every save moves the run to a new version, and an older one is refused."""
    from tasks import rules
    from tasks.forms import TaskRunForm
    from tasks.models import TaskRun

    def data():
        run = TaskRun.objects.get(pk=pk)
        form = TaskRunForm(instance=run)
        posted = {"acknowledge": [warning.code for warning in rules.check(run, rules.WARNING)]}
        for name in form.fields:
            value = form[name].value()
            if value is True:
                posted[name] = "on"
            elif value is not None and value is not False:  # an unticked box is not posted
                posted[name] = value
        return posted

    return data


def ready(request):
    """The request with its data made, when it is made afresh each time."""
    label, method, path, data, status = request
    return label, method, path, data() if callable(data) else data, status


def give_history(run, versions):
    """Record `versions` versions of `run` (bulk-created history rows, the last one
    the run as it stands) and set its version to match."""
    from django.utils import timezone

    from tasks.models import TaskRun

    historical = TaskRun.history.model
    names = {f.attname for f in TaskRun._meta.concrete_fields}
    base = {
        f.attname: getattr(run, f.attname)
        for f in historical._meta.concrete_fields
        if f.attname in names
    }
    start = timezone.now() - timedelta(seconds=versions)
    historical.objects.filter(id=run.pk).delete()
    historical.objects.bulk_create(
        (
            historical(
                **{
                    **base,
                    "task_title": run.task_title
                    if number == versions
                    else f"{run.task_title} (draft {number})",
                    "version": number,
                },
                history_date=start + timedelta(seconds=number),
                history_type="+" if number == 1 else "~",
                history_change_reason="benchmark",
            )
            for number in range(1, versions + 1)
        ),
        batch_size=2000,
    )
    TaskRun.objects.filter(pk=run.pk).update(version=versions)
    # Versions recorded one save at a time over months leave PostgreSQL's
    # statistics up to date (autovacuum analyzes a table as it grows); 10,000
    # rows bulk-created a moment ago do not, and the planner then sorts them all.
    # Analyze, as autovacuum would have.
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {historical._meta.db_table}")


def fresh_runs(count):
    """`count` varied, valid, unsaved runs, none a clone of another."""
    import random

    from tasks.seeding import fake_run

    rng = random.Random(13)
    return [fake_run(rng, number) for number in range(count)]


def json_lines(runs):
    from tasks import exporting

    return "".join(
        json.dumps(exporting.run_to_config(run), ensure_ascii=False) + "\n" for run in runs
    ).encode()


def mephisto_database(folder, runs, name="database.db"):
    """A database.db with Mephisto's task_runs table (as tests/test_importing.py
    builds it), one row per run: init_params is a JSON string holding the YAML of the
    run's mephisto node, as Mephisto's operator stores it."""
    from tasks import exporting, hydra

    path = folder / name
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE TABLE task_runs (task_run_id INTEGER PRIMARY KEY AUTOINCREMENT, task_id INTEGER,"
        " requester_id INTEGER, init_params TEXT, is_completed BOOLEAN, provider_type STRING,"
        " task_type STRING, sandbox BOOLEAN, creation_date DATETIME DEFAULT CURRENT_TIMESTAMP)"
    )
    connection.executemany(
        "INSERT INTO task_runs (task_run_id, task_id, requester_id, init_params, is_completed,"
        " provider_type, task_type, sandbox, creation_date) VALUES (?, 1, 1, ?, 0, 'mock',"
        " 'mock', 1, '2024-03-01 10:00:00')",
        (
            (number, json.dumps(hydra.dump_yaml(exporting.hydra_config(run)["mephisto"])))
            for number, run in enumerate(runs, 1)
        ),
    )
    connection.commit()
    connection.close()
    return path.read_bytes()


def lift_import_caps(count):
    """Let one file hold `count` runs: the web paths cap a file's runs, values, bytes
    and reading time (tasks.importing, TASKADMIN_IMPORT_MAX_BYTES in bench/settings.py);
    the benchmark measures the import itself."""
    from tasks import importing

    for name, value in (
        ("MAX_DOCUMENTS", count),
        ("MAX_DATABASE_ROWS", count),
        ("MAX_NODES", count * 1000),
        ("DATABASE_SECONDS", 3600),
    ):
        if getattr(importing, name, value) < value:
            setattr(importing, name, value)


def import_steps(name, data):
    """{step: seconds} of importing one file as the import page and command do."""
    from tasks import importing

    seconds = {}
    started = time.perf_counter()
    batch = importing.parse(name, data)
    seconds["parse"] = time.perf_counter() - started
    moment = time.perf_counter()
    importing.preview(batch)
    seconds["preview"] = time.perf_counter() - moment
    invalid = batch.count(importing.INVALID)
    if invalid:
        return {"error": f"{invalid} of the runs are invalid: {batch.errors[:1]}"}
    moment = time.perf_counter()
    result = importing.apply(batch, acknowledged=[code for code, _, _ in batch.warnings])
    seconds["apply"] = time.perf_counter() - moment
    seconds["total"] = time.perf_counter() - started
    seconds["runs"] = len(batch.documents)
    if len(result.created) != len(batch.documents):
        return {"error": f"{len(result.created):,} runs created of {len(batch.documents):,}"}
    return seconds


def rolled_back(function):
    """function() inside a transaction rolled back afterwards: each import starts
    from the same empty table."""
    from django.db import transaction

    with transaction.atomic():
        result = function()
        transaction.set_rollback(True)
    return result


def drain(content):
    """Write an export's content (text, bytes, or an iterator of either) to nowhere."""
    with open(os.devnull, "wb") as sink:
        for chunk in [content] if isinstance(content, str | bytes) else content:
            sink.write(chunk.encode() if isinstance(chunk, str) else chunk)


def traced_peak(function):
    tracemalloc.start()
    try:
        function()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def timed(function):
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


def mib(size):
    return f"{size / 2**20:.1f} MiB"


def verdict(holds):
    return "holds" if holds else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
