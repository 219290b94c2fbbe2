"""Is Taskadmin as fast at 100,000 runs as at 1,000? Measure it, on databases of its own.

    python bench/run.py            # temporary SQLite files, removed afterwards
    DATABASE_URL=postgres://user@host:5432/any python bench/run.py
                                   # creates and drops its own PostgreSQL databases

One run seeds a database with 1,000 runs and another with 10,000, then 100,000.
It times each page through Django's test client (median and p95 of many
requests, and the queries each costs) at 1,000 and at 100,000 runs, switching
between the two databases every few requests so that the load of a shared
machine falls on both sizes alike; and it times the streamed JSON export of
every run (throughput and tracemalloc peak) at 1,000, 10,000 and 100,000 runs,
next to a bare `json.dumps(list(TaskRun.objects.values()))` of the same rows.
The verdicts are ratios, which mean something on a noisy machine.
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMALL, MEMORY_SMALL, LARGE = 1_000, 10_000, 100_000
PAGE_RATIO_TARGET = 1.5
THROUGHPUT_TARGET = 0.5
MEMORY_RATIO_TARGET = 1.25


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=60, help="requests per page and size")
    parser.add_argument("--block", type=int, default=5, help="requests before switching size")
    args = parser.parse_args()
    # WhiteNoise looks for collected static files; the benchmark serves none.
    warnings.filterwarnings("ignore", "No directory at", UserWarning)
    with OwnDatabases(("small", "large")) as (label, urls):
        os.environ["BENCH_DATABASE_URL"] = urls["small"]
        os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
        import django

        django.setup()
        return Bench(label, urls, args.repeat, args.block).run()


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


class Bench:
    def __init__(self, label, urls, repeat, block):
        import environ

        self.label = label
        self.names = {name: environ.Env.db_url_config(url)["NAME"] for name, url in urls.items()}
        self.repeat = repeat
        self.block = block
        self.clients = {}
        self.export = {}  # size -> {label: (runs per second, peak bytes)}

    def use(self, database):
        """Point Django's default connection at one of the two databases."""
        from django.db import connection

        if connection.settings_dict["NAME"] != self.names[database]:
            connection.close()
            connection.settings_dict["NAME"] = self.names[database]

    def run(self):
        python = sys.version.split()[0]
        print(f"Taskadmin benchmark: {self.label}, {os.cpu_count()} CPUs, Python {python}\n")
        for database, sizes in (("small", [SMALL]), ("large", [MEMORY_SMALL, LARGE])):
            self.use(database)
            self.prepare()
            for size in sizes:
                self.grow_to(size)
                self.export[size] = self.measure_export(size)
        print()
        pages = self.measure_pages()
        print()
        return self.report(pages)

    def prepare(self):
        from django.contrib.auth.models import User
        from django.core.management import call_command
        from django.db import connection
        from django.test import Client

        call_command("migrate", verbosity=0)
        client = Client()
        client.force_login(User.objects.create_superuser("bench", password="bench"))
        self.clients[connection.settings_dict["NAME"]] = client

    def grow_to(self, size):
        from tasks.models import TaskRun
        from tasks.seeding import seed_runs

        started = time.perf_counter()
        seed_runs(size - TaskRun.objects.count(), seed=size)
        print(f"Seeded {size:,} runs in {time.perf_counter() - started:.1f} s")

    # -- Export --------------------------------------------------------------

    def measure_export(self, size):
        from tasks import exporting
        from tasks.models import TaskRun

        def streamed():
            _, _, chunks = exporting.stream_runs(TaskRun.objects.order_by("pk"))
            with open(os.devnull, "w", encoding="utf-8") as sink:
                for chunk in chunks:
                    sink.write(chunk)

        def reference():
            with open(os.devnull, "w", encoding="utf-8") as sink:
                # Decimals and dates are not JSON: default=str writes them as text.
                sink.write(json.dumps(list(TaskRun.objects.values()), default=str))

        exports = {"streamed export": streamed, "json.dumps reference": reference}
        # Alternated, so that a busy machine slows both alike; the best of three.
        seconds = {label: [] for label in exports}
        for _ in range(3):
            for label, export in exports.items():
                seconds[label].append(timed(export))
        results = {}
        for label, export in exports.items():
            seconds_ = min(seconds[label])
            # The lower of two peaks: what one run allocates once (a cache filled,
            # say) is not what exporting more runs costs.
            peak = min(traced_peak(export) for _ in range(2))
            results[label] = (size / seconds_, peak)
            print(
                f"  {label:<22}{size / seconds_:>10,.0f} runs/s"
                f"   peak memory {peak / 2**20:6.1f} MiB"
            )
        return results

    # -- Pages ---------------------------------------------------------------

    def pages(self):
        """(label, method, url, data, expected status) of each page measured."""
        from django.urls import reverse

        from tasks import listing
        from tasks.models import TaskRun

        originals = TaskRun.objects.filter(cloned_from=None).exclude(task_name="").order_by("pk")
        run = originals[originals.count() // 2]
        # A task name finds its run and the run's clones, at any size; a word of
        # the titles ("street", "product", ...) finds one run in ten.
        common_word = run.task_title.split()[2]
        for word in (run.task_name, common_word):
            found = listing.search(TaskRun.objects.all(), word).count()
            print(f"  searching {word!r} finds {found:,} runs")
        return [
            ("list", "get", reverse("tasks:run-list"), {}, 200),
            ("list sorted by title", "get", reverse("tasks:run-list"), {"sort": "title"}, 200),
            ("list page 40", "get", reverse("tasks:run-list"), {"page": 40}, 200),
            ("admin changelist", "get", reverse("admin:tasks_taskrun_changelist"), {}, 200),
            ("search by task name", "get", reverse("tasks:run-list"), {"q": run.task_name}, 200),
            ("search common word", "get", reverse("tasks:run-list"), {"q": common_word}, 200),
            ("detail", "get", run.get_absolute_url(), {}, 200),
            ("edit POST", "post", reverse("tasks:run-edit", args=[run.pk]), edit_data(run.pk), 302),
        ]

    def measure_pages(self):
        from django.db import connection

        plans, times, queries = {}, {}, {}
        for database, size in (("small", SMALL), ("large", LARGE)):
            self.use(database)
            print(f"Pages at {size:,} runs:")
            plans[size] = self.pages()
            for request in plans[size]:
                for _ in range(3):  # warm the caches
                    self.fetch(*ready(request))
                queries[size, request[0]] = self.count_queries(*ready(request))
                times[size, request[0]] = []
        # Alternate between the sizes, a few requests of each page at a time.
        for _ in range(0, self.repeat, self.block):
            for database, size in (("small", SMALL), ("large", LARGE)):
                self.use(database)
                for request in plans[size]:
                    for _ in range(self.block):
                        prepared = ready(request)
                        started = time.perf_counter()
                        self.fetch(*prepared)
                        times[size, request[0]].append((time.perf_counter() - started) * 1000)
        connection.close()
        results = {}
        print(f"{'':<22}{'median ms':>22}{'p95 ms':>18}{'queries':>14}")
        print(f"{'page':<22}" + f"{SMALL:>11,}{LARGE:>11,}" * 3)
        for label, *_ in plans[SMALL]:
            row = {size: summary(times[size, label]) for size in (SMALL, LARGE)}
            results[label] = row, queries[SMALL, label], queries[LARGE, label]
            print(
                f"{label:<22}{row[SMALL][0]:>11.1f}{row[LARGE][0]:>11.1f}"
                f"{row[SMALL][1]:>11.1f}{row[LARGE][1]:>11.1f}"
                f"{queries[SMALL, label]:>11}{queries[LARGE, label]:>11}"
            )
        return results

    def fetch(self, label, method, url, data, status):
        from django.db import connection

        client = self.clients[connection.settings_dict["NAME"]]
        response = getattr(client, method)(url, data)
        if response.status_code != status:
            raise SystemExit(f"{label}: HTTP {response.status_code}, expected {status}")

    def count_queries(self, *request):
        from django.db import connection

        queries = []

        def record(execute, sql, params, many, context):
            queries.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            self.fetch(*request)
        return len(queries)

    # -- Verdicts ------------------------------------------------------------

    def report(self, pages):
        ok = True
        print(f"Ratios (targets: each page at {LARGE:,} <= {PAGE_RATIO_TARGET}x its time at")
        print(f"{SMALL:,} with the same queries; streamed export >= {THROUGHPUT_TARGET:.0%} of the")
        print(
            f"reference; export peak memory at {LARGE:,} <= {MEMORY_RATIO_TARGET}x that at ", end=""
        )
        print(f"{MEMORY_SMALL:,}):")
        for label, (row, small_queries, large_queries) in pages.items():
            ratio = row[LARGE][0] / row[SMALL][0]
            holds = ratio <= PAGE_RATIO_TARGET and small_queries == large_queries
            ok &= holds
            print(
                f"  {label:<22} median {ratio:4.2f}x, queries {small_queries} and"
                f" {large_queries}: {verdict(holds)}"
            )
        large, small = self.export[LARGE], self.export[MEMORY_SMALL]
        throughput = large["streamed export"][0] / large["json.dumps reference"][0]
        ok &= throughput >= THROUGHPUT_TARGET
        print(
            f"  {'export throughput':<22} {throughput:.0%} of the reference at {LARGE:,}:"
            f" {verdict(throughput >= THROUGHPUT_TARGET)}"
        )
        memory = large["streamed export"][1] / small["streamed export"][1]
        reference = large["json.dumps reference"][1] / small["json.dumps reference"][1]
        ok &= memory <= MEMORY_RATIO_TARGET
        print(
            f"  {'export peak memory':<22} {memory:4.2f}x from {MEMORY_SMALL:,} to {LARGE:,}"
            f" (the reference: {reference:.1f}x): {verdict(memory <= MEMORY_RATIO_TARGET)}"
        )
        print("All targets hold." if ok else "Some targets do not hold.")
        return 0 if ok else 1


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
    label, method, url, data, status = request
    return label, method, url, data() if callable(data) else data, status


def summary(times):
    return statistics.median(times), statistics.quantiles(times, n=20)[18]


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


def verdict(holds):
    return "holds" if holds else "MISSED"


if __name__ == "__main__":
    sys.exit(main())
