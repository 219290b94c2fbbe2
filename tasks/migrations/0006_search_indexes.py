"""Text indexes behind the run search (tasks.listing.search), one per database.

The search is "contains this word, any case" on title, task name and tags, which
an ordinary B-tree index cannot serve. So:

- PostgreSQL: trigram GIN indexes (pg_trgm, a trusted extension the database
  owner may create) on UPPER(column), the exact expression Django's `icontains`
  compares, so the planner uses them for `UPPER(col) LIKE UPPER('%word%')`.
- SQLite: an FTS5 table with the trigram tokenizer (SQLite >= 3.34), filled and
  kept in step by triggers, queried with MATCH (tasks.listing.search).

Keep the triggers in mind: on SQLite, Django rebuilds a table for most
AlterField/RemoveField operations, which drops its triggers. A later migration
that changes tasks_taskrun must run `create_sqlite_search` again (the search
tests fail when the triggers are missing). Other databases get no text index
and search by scanning.
"""

from django.db import migrations

SEARCHED = ("task_title", "task_name", "task_tags")

FTS = "tasks_taskrun_search"


def create_sqlite_search(schema_editor):
    columns = ", ".join(SEARCHED)
    new = ", ".join(f"new.{c}" for c in SEARCHED)
    old = ", ".join(f"old.{c}" for c in SEARCHED)
    insert_new = f"INSERT INTO {FTS}(rowid, {columns}) VALUES (new.id, {new});"
    delete_old = f"INSERT INTO {FTS}({FTS}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    for sql in (
        f"CREATE VIRTUAL TABLE {FTS} USING fts5({columns}, content='tasks_taskrun',"
        " content_rowid='id', tokenize='trigram')",
        f"INSERT INTO {FTS}({FTS}) VALUES ('rebuild')",
        f"CREATE TRIGGER {FTS}_insert AFTER INSERT ON tasks_taskrun BEGIN {insert_new} END",
        f"CREATE TRIGGER {FTS}_delete AFTER DELETE ON tasks_taskrun BEGIN {delete_old} END",
        f"CREATE TRIGGER {FTS}_update AFTER UPDATE OF {columns} ON tasks_taskrun"
        f" BEGIN {delete_old} {insert_new} END",
    ):
        schema_editor.execute(sql)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in SEARCHED:
            schema_editor.execute(
                f"CREATE INDEX taskrun_{column}_trgm ON tasks_taskrun"
                f" USING gin (UPPER({column}) gin_trgm_ops)"
            )
    elif vendor == "sqlite":
        create_sqlite_search(schema_editor)


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        for column in SEARCHED:
            schema_editor.execute(f"DROP INDEX IF EXISTS taskrun_{column}_trgm")
    elif vendor == "sqlite":
        for suffix in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {FTS}_{suffix}")
        schema_editor.execute(f"DROP TABLE IF EXISTS {FTS}")


class Migration(migrations.Migration):
    dependencies = [("tasks", "0005_sort_indexes")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
