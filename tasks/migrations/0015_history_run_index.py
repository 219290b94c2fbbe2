"""An index on (run id, history id) of the runs' history rows.

A run's page shows its newest versions and its history pages a page of them at
a time: with this index each reads just those rows, newest first, however many
versions the run has (before it, the run's rows were all read and sorted).
simple-history builds the historical model itself, with no place for an index
of our own: hence raw SQL, which both databases read alike, and no model state.
Being outside the model state, it is not rebuilt by Django on SQLite: a later
migration that alters tasks_historicaltaskrun there (a table rebuild) must
create it again, as 0009 and 0011 rebuild the search triggers.
"""

from django.db import migrations

INDEX = "historicaltaskrun_run_history"


class Migration(migrations.Migration):
    dependencies = [("tasks", "0014_api_tokens")]

    operations = [
        migrations.RunSQL(
            f"CREATE INDEX {INDEX} ON tasks_historicaltaskrun (id, history_id)",
            f"DROP INDEX {INDEX}",
        )
    ]
