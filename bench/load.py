#!/usr/bin/env python
"""Load test: gunicorn on PostgreSQL, simulated researchers, then a check that nothing was lost.

    make load                                   (20 users, 60 seconds, 4 workers)
    .venv/bin/python bench/load.py --users 5 --duration 10

It prepares a PostgreSQL database of its own (scripts/ensure-postgres, then
migrate and flush: everything in it is replaced), creates one user and one run
per simulated user plus runs to list and search, starts gunicorn on a free
loopback port with the production settings (DEBUG off), and runs the users for
the given time. Each user logs in through the login page and then, at random,
lists, searches, opens runs, edits its own run (a counter in the title and in
aux_parameters), clones it, exports runs in every format, imports a small file
(upload, preview, apply; following the job page while the work runs in the
background, when it does) and opens the admin changelist, ours and Django's
stock one on the same model (bench/stock_admin.py, at /stock-admin/), with real
forms and CSRF tokens. A db_worker runs beside gunicorn for background work.

When the time is up it stops gunicorn and compares the database with what the
successful writes imply: each user's run holds its last successful edit, has
one version (and one history record) per successful save, and each successful
clone and each confirmed import exists exactly once. It prints requests per
second, latency percentiles per action and overall (the stock admin's beside
ours), and the status codes; it prints RESULT: FAIL and exits non-zero on any
status an action does not expect (a 404 or a 5xx as much as anything), failed
request, refused save, lost update, or missing clone or import.
Everything stays on 127.0.0.1.
"""

import argparse
import http.client
import json
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter, defaultdict
from decimal import Decimal
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))

WORDS = ("pictures", "audio", "survey", "labels", "dialogue", "ranking", "summaries", "pilot")
# How often each action is picked.
ACTIONS = {
    "list": 4,
    "search": 3,
    "detail": 3,
    "edit": 3,
    "clone": 1,
    "export one": 2,
    "export search": 1,
    "import": 1,
    "admin changelist": 1,
    "stock admin changelist": 1,
}
# The statuses each request may answer; any other is a failure.
EXPECTED = {
    "login page": {200},
    "login": {302},
    "list": {200},
    "search": {200},
    "detail": {200},
    "edit form": {200},
    "edit save": {302},
    "clone form": {200},
    "clone save": {302},
    "export one": {200},
    "export search": {200},
    "import page": {200},
    # The preview at once (200), or a job page to follow (302).
    "import upload": {200, 302},
    "import apply": {302},
    "job page": {200},
    "job progress": {200},
    "admin changelist": {200},
    "stock admin changelist": {200},
}
EXPORT_FORMATS = ("json", "yaml", "overrides")
JOB_PATH = re.compile(r"/jobs/[0-9a-f-]+/\Z")
JOB_WAIT_SECONDS = 120
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_INPUT = re.compile(r'name="token" value="([^"]+)"')
ACKNOWLEDGE_INPUT = re.compile(r'name="acknowledge" value="([^"]+)"')


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20, help="concurrent users (20)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (60)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--runs", type=int, default=300, help="extra runs to list (300)")
    parser.add_argument("--import-runs", type=int, default=3, help="runs in each imported file (3)")
    parser.add_argument(
        "--database", default="taskadmin_load", help="PostgreSQL database to use (taskadmin_load)"
    )
    parser.add_argument("--seed", type=int, default=7, help="random seed for the users' choices")
    parser.add_argument("--json", metavar="FILE", help="also write the figures to FILE")
    return parser.parse_args()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url, port, workers):
    return {
        "PATH": os.environ["PATH"],
        # The production settings, with Django's stock admin at /stock-admin/.
        "DJANGO_SETTINGS_MODULE": "bench.load_settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "ALLOWED_HOSTS": "127.0.0.1",
        "CONN_MAX_AGE": "60",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": str(workers),
        "GUNICORN_ACCESS_LOG": "",
    }


def manage(env, *args):
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True)


class FormFields(HTMLParser):
    """What a browser would post for the page's run form, as it stands."""

    def __init__(self):
        super().__init__()
        self.fields = []
        self._textarea = self._select = None
        self._in_form = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self._in_form = attrs.get("id") == "run-form"
        if not self._in_form or "name" not in attrs:
            if tag == "option" and self._select and "selected" in attrs:
                self.fields.append((self._select, attrs.get("value", "")))
            return
        kind = attrs.get("type", "text")
        if tag == "input" and kind not in ("checkbox", "radio", "submit", "button"):
            self.fields.append((attrs["name"], attrs.get("value") or ""))
        elif tag == "input" and kind in ("checkbox", "radio") and "checked" in attrs:
            self.fields.append((attrs["name"], attrs.get("value") or "on"))
        elif tag == "textarea":
            self._textarea = [attrs["name"], ""]
        elif tag == "select":
            self._select = attrs["name"]

    def handle_data(self, data):
        if self._textarea:
            self._textarea[1] += data

    def handle_endtag(self, tag):
        if tag == "textarea" and self._textarea:
            name, text = self._textarea
            # A browser drops the newline right after <textarea>.
            self.fields.append((name, text[1:] if text.startswith("\n") else text))
            self._textarea = None
        elif tag == "select":
            self._select = None
        elif tag == "form":
            self._in_form = False


def filled_form(content, **values):
    """The run form on the page, as the browser would post it, with `values` typed in."""
    parser = FormFields()
    parser.feed(content.decode("utf-8", "replace"))
    fields = dict(parser.fields)
    assert "csrfmiddlewaretoken" in fields and "task_title" in fields, "no run form on the page"
    fields.update(values)
    return fields


def prepare_database(users, extra_runs):
    """Staff users with view/add/change permissions (the admin's changelists need
    staff), one run each, and runs to list."""
    import django

    django.setup()
    from django.contrib.auth.models import Permission, User

    from tasks.models import TaskRun

    permissions = Permission.objects.filter(
        content_type__app_label="tasks",
        codename__in=["view_taskrun", "add_taskrun", "change_taskrun"],
    )
    password = secrets.token_urlsafe(16)
    accounts = []
    for number in range(users):
        user = User.objects.create_user(f"load-{number:02d}", password=password, is_staff=True)
        user.user_permissions.set(permissions)
        run = TaskRun.objects.create(
            task_title=title_for(number, 0),
            task_description="Label what you see.",
            task_reward=Decimal("0.25"),
            task_tags="load, test",
            aux_parameters={"user": number, "counter": 0},
            created_by=user,
            updated_by=user,
        )
        accounts.append((user.username, password, run.pk))
    rng = random.Random(1)
    TaskRun.objects.bulk_create(
        TaskRun(
            task_title=f"{rng.choice(WORDS).title()} study {n}",
            task_description="A run to list and search.",
            task_reward=Decimal(rng.randint(0, 500)) / 100,
            task_tags=", ".join(rng.sample(WORDS, 2)),
            task_name=f"{rng.choice(WORDS)}-{n % 17}",
        )
        for n in range(extra_runs)
    )
    return accounts


def title_for(user_number, counter):
    return f"Load run u{user_number:02d} v{counter}"


class Browser:
    """One user's HTTP session: cookies, CSRF tokens, timings."""

    def __init__(self, port, record):
        self.port = port
        self.record = record
        self.cookies = {}
        self.connection = None

    def request(self, action, method, path, form=None, files=None, headers=None):
        headers = {"Host": "127.0.0.1", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if files is not None:
            body, headers["Content-Type"] = multipart(form or {}, files)
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        elif form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://127.0.0.1:{self.port}{path}"
        started = time.perf_counter()
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.record(action, None, time.perf_counter() - started, repr(error))
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return None, b"", {}
        elapsed = time.perf_counter() - started
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        if response.will_close:
            self.connection.close()
            self.connection = None
        self.record(action, response.status, elapsed, None)
        return response.status, content, dict(response.headers)

    def csrf_from(self, content):
        match = CSRF_INPUT.search(content.decode("utf-8", "replace"))
        return match.group(1) if match else ""


def multipart(fields, files):
    """(body, content type) of a multipart/form-data post: `files` is [(field, name, bytes)]."""
    boundary = secrets.token_hex(16)
    parts = []
    for name, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
            f"{value}\r\n".encode()
        )
    for name, filename, data in files:
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}";'
            f' filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'.encode()
            + data
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


class User:
    def __init__(self, number, username, password, run_pk, port, record, rng, all_pks, import_runs):
        self.number = number
        self.username = username
        self.password = password
        self.run_pk = run_pk
        self.browser = Browser(port, record)
        self.rng = rng
        self.all_pks = all_pks
        self.counter = 0  # the last counter a write of ours was confirmed for
        self.attempted = 0
        self.confirmed = 0
        self.clone_titles = []  # titles of clones the server confirmed
        self.unconfirmed_clones = 0
        self.import_runs = import_runs
        self.imported_titles = []  # titles of runs the server confirmed importing
        self.unconfirmed_imports = 0

    def log_in(self):
        status, content, _ = self.browser.request("login page", "GET", "/accounts/login/")
        token = self.browser.csrf_from(content)
        status, _, headers = self.browser.request(
            "login",
            "POST",
            "/accounts/login/",
            {"username": self.username, "password": self.password, "csrfmiddlewaretoken": token},
        )
        if status != 302:
            raise SystemExit(f"{self.username} could not log in (HTTP {status}).")

    def run(self, deadline):
        actions, weights = zip(*ACTIONS.items(), strict=True)
        while time.monotonic() < deadline:
            action = self.rng.choices(actions, weights)[0]
            getattr(self, "do_" + action.replace(" ", "_"))()

    def do_list(self):
        self.browser.request("list", "GET", f"/?page={self.rng.randint(1, 12)}")

    def do_search(self):
        query = urllib.parse.urlencode({"q": self.rng.choice(WORDS), "sort": "-reward"})
        self.browser.request("search", "GET", f"/?{query}")

    def do_detail(self):
        self.browser.request("detail", "GET", f"/runs/{self.rng.choice(self.all_pks)}/")

    def do_edit(self):
        path = f"/runs/{self.run_pk}/edit/"
        status, content, _ = self.browser.request("edit form", "GET", path)
        if status != 200:
            return
        self.attempted += 1
        counter = self.attempted
        # Everything as the page shows it (the version it was loaded at
        # included: an older one would be refused as a conflict), with a new
        # title and counter typed in.
        form = filled_form(
            content,
            task_title=title_for(self.number, counter),
            aux_parameters=json.dumps({"user": self.number, "counter": counter}),
        )
        status, _, headers = self.browser.request("edit save", "POST", path, form)
        if status == 302 and headers.get("Location") == f"/runs/{self.run_pk}/":
            self.counter = counter
            self.confirmed += 1

    def do_clone(self):
        path = f"/runs/{self.run_pk}/clone/"
        status, content, _ = self.browser.request("clone form", "GET", path)
        if status != 200:
            return
        title = f"Clone by u{self.number:02d} #{len(self.clone_titles) + self.unconfirmed_clones}"
        form = filled_form(
            content,
            task_title=title,
            aux_parameters=json.dumps({"user": self.number, "clone": True}),
        )
        status, _, headers = self.browser.request("clone save", "POST", path, form)
        if status == 302 and re.fullmatch(r"/runs/\d+/", headers.get("Location", "")):
            self.clone_titles.append(title)
        else:
            self.unconfirmed_clones += 1

    def do_export_one(self):
        fmt = self.rng.choice(EXPORT_FORMATS)
        path = f"/runs/{self.rng.choice(self.all_pks)}/export/?format={fmt}"
        self.browser.request("export one", "GET", path)

    def do_export_search(self):
        fmt = self.rng.choice(EXPORT_FORMATS)
        query = urllib.parse.urlencode({"q": self.rng.choice(WORDS), "format": fmt})
        self.browser.request("export search", "GET", f"/runs/export/?{query}")

    def do_admin_changelist(self):
        self.browser.request("admin changelist", "GET", "/admin/tasks/taskrun/")

    def do_stock_admin_changelist(self):
        self.browser.request("stock admin changelist", "GET", "/stock-admin/tasks/taskrun/")

    def do_import(self):
        """Upload a small JSON Lines file, read its preview, apply it, as the browser
        does; a job page (background work) is followed until the work ends."""
        number = len(self.imported_titles) + self.unconfirmed_imports
        titles = [f"Import by u{self.number:02d} #{number}.{n}" for n in range(self.import_runs)]
        data = "".join(
            json.dumps(
                {
                    "mephisto": {
                        "task": {
                            "task_title": title,
                            "task_description": "Imported under load.",
                            "task_reward": 0.5,
                            "task_tags": "load, import",
                        }
                    }
                }
            )
            + "\n"
            for title in titles
        ).encode()
        status, content, _ = self.browser.request("import page", "GET", "/runs/import/")
        if status != 200:
            self.unconfirmed_imports += 1
            return
        form = {"csrfmiddlewaretoken": self.browser.csrf_from(content)}
        status, content, headers = self.browser.request(
            "import upload", "POST", "/runs/import/", form, files=[("file", "runs.jsonl", data)]
        )
        if status == 302:
            status, content = self.follow_job(headers.get("Location", ""))
        token = TOKEN_INPUT.search(content.decode("utf-8", "replace"))
        if status != 200 or not token:
            self.unconfirmed_imports += 1
            return
        text = content.decode("utf-8", "replace")
        form = {
            "csrfmiddlewaretoken": self.browser.csrf_from(content),
            "token": token.group(1),
            "mode": "all",
            "acknowledge": sorted(set(ACKNOWLEDGE_INPUT.findall(text))),
        }
        status, _, headers = self.browser.request(
            "import apply", "POST", "/runs/import/apply/", form
        )
        location = headers.get("Location", "")
        if status == 302 and JOB_PATH.match(location):
            status, _ = self.follow_job(location)
            location = "/" if status == 200 else ""
        if location.split("?")[0] == "/":
            self.imported_titles.extend(titles)
        else:
            self.unconfirmed_imports += 1

    def follow_job(self, path):
        """(status, content) of a job page once its work has ended, polling its
        progress as the page does; (None, b"") when it is not a job page or does
        not end in time."""
        if not JOB_PATH.match(path):
            return None, b""
        deadline = time.monotonic() + JOB_WAIT_SECONDS
        while time.monotonic() < deadline:
            status, _, headers = self.browser.request(
                "job progress", "GET", f"{path}progress/", headers={"HX-Request": "true"}
            )
            if status != 200:
                return status, b""
            # The progress fragment asks htmx to reload the page once the work has ended.
            if headers.get("HX-Refresh") == "true":
                status, content, _ = self.browser.request("job page", "GET", path)
                return status, content
            time.sleep(0.5)
        return None, b""


def percentile(values, fraction):
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def wait_for_health(port, server, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited with code {server.returncode}.")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time.")


def check_final_state(users):
    """What the database holds against what the confirmed writes imply."""
    from django.db import connection

    from tasks.models import TaskRun

    connection.close()  # a fresh connection sees everything the workers committed
    lost, clone_problems = [], []
    for user in users:
        run = TaskRun.objects.get(pk=user.run_pk)
        expected = {"user": user.number, "counter": user.counter}
        if run.aux_parameters != expected or run.task_title != title_for(user.number, user.counter):
            lost.append(
                f"{user.username}: expected counter {user.counter}, found "
                f"{run.aux_parameters.get('counter')} / {run.task_title!r}"
            )
        # Every confirmed save made exactly one version, recorded in the history.
        saves = 1 + user.confirmed
        if run.version != saves or run.history.count() != saves:
            lost.append(
                f"{user.username}: {user.confirmed} edits confirmed, but version"
                f" {run.version} and {run.history.count()} history records"
            )
        titles = list(
            TaskRun.objects.filter(cloned_from_id=user.run_pk).values_list("task_title", flat=True)
        )
        confirmed = Counter(user.clone_titles)
        found = Counter(titles)
        missing = confirmed - found
        # A clone the server saved but whose answer never arrived would be "extra";
        # only unconfirmed attempts may explain one.
        extra = found - confirmed
        if missing or sum(extra.values()) > user.unconfirmed_clones:
            clone_problems.append(f"{user.username}: missing {dict(missing)}, extra {dict(extra)}")
        # Each confirmed import made its runs exactly once.
        imported = Counter(
            TaskRun.objects.filter(
                task_title__startswith=f"Import by u{user.number:02d} #"
            ).values_list("task_title", flat=True)
        )
        confirmed = Counter(user.imported_titles)
        missing, extra = confirmed - imported, imported - confirmed
        if missing or (extra and not user.unconfirmed_imports):
            clone_problems.append(
                f"{user.username}: imports missing {dict(missing)}, extra {dict(extra)}"
            )
    return lost, clone_problems


def main():
    args = parse_args()
    database_url = subprocess.run(
        [str(ROOT / "scripts" / "ensure-postgres"), args.database],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    port = free_port()
    env = server_environment(database_url, port, args.workers)
    os.environ.update(env)

    print(f"Preparing {database_url} (migrate, collectstatic, flush) ...", flush=True)
    manage(env, "migrate", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    manage(env, "flush", "--noinput")
    accounts = prepare_database(args.users, args.runs)

    from tasks.models import TaskRun

    all_pks = list(TaskRun.objects.values_list("pk", flat=True))

    print(f"Starting gunicorn: {args.workers} workers on 127.0.0.1:{port}", flush=True)
    server = subprocess.Popen([GUNICORN, "--config", "gunicorn.conf.py"], cwd=ROOT, env=env)
    # Background work (big imports and exports) waits for a worker.
    worker = subprocess.Popen([PYTHON, "manage.py", "db_worker"], cwd=ROOT, env=env)
    try:
        wait_for_health(port, server)
        timings = defaultdict(list)
        statuses = Counter()
        failures = []
        unexpected = Counter()  # (action, status) -> how many
        lock = threading.Lock()
        measuring = threading.Event()

        def record(action, status, elapsed, error):
            with lock:
                statuses[status if status is not None else "failed"] += 1
                if error:
                    failures.append(f"{action}: {error}")
                elif status not in EXPECTED[action]:
                    unexpected[action, status] += 1
                if measuring.is_set():
                    timings[action].append(elapsed)

        master = random.Random(args.seed)
        users = [
            User(
                n,
                name,
                password,
                pk,
                port,
                record,
                random.Random(master.random()),
                all_pks,
                args.import_runs,
            )
            for n, (name, password, pk) in enumerate(accounts)
        ]
        # Everyone logs in first (password hashing is slow by design); the
        # measured minute is the work after that.
        for user in users:
            user.log_in()
        print(f"{args.users} users logged in; load for {args.duration:g} s ...", flush=True)
        measuring.set()
        started = time.monotonic()
        deadline = started + args.duration
        threads = [
            threading.Thread(target=user.run, args=(deadline,), name=user.username)
            for user in users
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        worker.send_signal(signal.SIGTERM)
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()

    lost, clone_problems = check_final_state(users)
    all_timings = [t for values in timings.values() for t in values]
    total = len(all_timings)
    server_errors = sum(
        count for status, count in statuses.items() if isinstance(status, int) and status >= 500
    )
    figures = {
        "users": args.users,
        "workers": args.workers,
        "seconds": round(elapsed, 1),
        "requests": total,
        "requests_per_second": round(total / elapsed, 1),
        "p50_ms": round(percentile(all_timings, 0.50) * 1000, 1),
        "p95_ms": round(percentile(all_timings, 0.95) * 1000, 1),
        "p99_ms": round(percentile(all_timings, 0.99) * 1000, 1),
        "statuses": {str(status): count for status, count in sorted(statuses.items(), key=str)},
        "server_errors_5xx": server_errors,
        "failed_requests": len(failures),
        "unexpected_statuses": {
            f"{action} {status}": count for (action, status), count in sorted(unexpected.items())
        },
        "edits_attempted": sum(user.attempted for user in users),
        "edits_confirmed": sum(user.confirmed for user in users),
        "lost_updates": len(lost),
        "clones_confirmed": sum(len(user.clone_titles) for user in users),
        "runs_imported": sum(len(user.imported_titles) for user in users),
        # Saves the server answered with anything but "saved": each user edits
        # only its own run, from a fresh form, so none should be refused.
        "writes_refused": sum(
            user.attempted - user.confirmed + user.unconfirmed_clones for user in users
        ),
        "clone_mismatches": len(clone_problems),
        "per_action": {
            action: {
                "requests": len(values),
                "requests_per_second": round(len(values) / elapsed, 1),
                "p50_ms": round(percentile(values, 0.50) * 1000, 1),
                "p95_ms": round(percentile(values, 0.95) * 1000, 1),
                "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            }
            for action, values in sorted(timings.items())
        },
    }
    print_report(figures, lost, clone_problems, failures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    ok = not (
        server_errors
        or failures
        or unexpected
        or lost
        or clone_problems
        or figures["writes_refused"]
    )
    print("RESULT:", "OK" if ok else "FAIL")
    return 0 if ok else 1


def print_report(figures, lost, clone_problems, failures):
    print()
    print(
        f"{figures['requests']} requests in {figures['seconds']} s from {figures['users']} users"
        f" against {figures['workers']} gunicorn workers:"
        f" {figures['requests_per_second']} requests/s"
    )
    print(
        f"latency p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms,"
        f" p99 {figures['p99_ms']} ms"
    )
    print(f"{'action':<24}{'requests':>9}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}")
    for action, row in figures["per_action"].items():
        print(
            f"{action:<24}{row['requests']:>9}{row['requests_per_second']:>8}{row['p50_ms']:>9}"
            f"{row['p95_ms']:>9}{row['p99_ms']:>9}"
        )
    actions = figures["per_action"]
    if "admin changelist" in actions and "stock admin changelist" in actions:
        ours, stock = actions["admin changelist"], actions["stock admin changelist"]
        print(
            f"under the same load, the admin changelist: ours p95 {ours['p95_ms']} ms,"
            f" Django's stock one p95 {stock['p95_ms']} ms"
            f" ({ours['requests_per_second']} and {stock['requests_per_second']} requests/s:"
            " the share of the load each was given)"
        )
    print(f"status codes: {figures['statuses']}")
    print(f"5xx responses: {figures['server_errors_5xx']}")
    print(f"failed requests (no answer): {figures['failed_requests']}")
    unexpected = figures["unexpected_statuses"]
    print(f"unexpected statuses (each a failure): {sum(unexpected.values())}")
    for what, count in unexpected.items():
        print(f"    {what}: {count}")
    for failure in failures[:10]:
        print("   ", failure)
    print(
        f"edits attempted: {figures['edits_attempted']},"
        f" confirmed: {figures['edits_confirmed']};"
        f" lost updates: {figures['lost_updates']}"
    )
    for problem in lost:
        print("   ", problem)
    print(
        f"clones confirmed: {figures['clones_confirmed']};"
        f" runs imported: {figures['runs_imported']};"
        f" clone or import mismatches: {figures['clone_mismatches']}"
    )
    for problem in clone_problems:
        print("   ", problem)
    print(f"writes refused (conflict, invalid): {figures['writes_refused']}")


if __name__ == "__main__":
    sys.exit(main())
