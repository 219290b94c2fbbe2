"""SQLite's write lock held by another connection: what a request does meanwhile.

On SQLite one connection writes at a time, and an import holds the write lock for
its whole transaction (minutes, for a big file in the background).
"""

import sqlite3
import threading
from contextlib import contextmanager

from django.db import connection


@contextmanager
def sqlite_write_lock_held_elsewhere():
    """The write lock, held by another connection until the block ends."""
    held, release = threading.Event(), threading.Event()

    def import_in_another_process():
        other = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the write lock, as importing.apply takes it
        held.set()
        release.wait(30)
        other.execute("ROLLBACK")
        other.close()

    holder = threading.Thread(target=import_in_another_process)
    holder.start()
    held.wait()
    try:
        yield
    finally:
        release.set()
        holder.join()


@contextmanager
def waiting_at_most(seconds):
    """This connection waits `seconds` (not the settings' 20) for another's write lock."""
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (waits,) = cursor.fetchone()
        cursor.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {waits}")
