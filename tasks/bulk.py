"""Inserting thousands of new runs, and their first history rows, at once.

Django's `bulk_create` sends every value through its SQL compiler (expression
checks, `pre_save`, `get_db_prep_save`, placeholder per value), and
simple-history's `bulk_history_create` builds a historical model instance per
run first: at 30,000 runs of 42 columns that was 88% of an import's apply
(bench/run.py, "Import"). Here each field's value is prepared for the
database once, by the field itself wherever preparing can change it, and the
same prepared values fill the run's row and its history row; the statements are
plain multi-row INSERTs, with RETURNING for the runs' ids as Django's own
bulk_create uses on SQLite and PostgreSQL.
"""

from django.db import connections, models

from tasks.verdicts import exactly

# Field types whose get_db_prep_save returns a value of these Python types as it
# is (Django's CharField, TextField, the integer fields and BooleanField only
# convert values of other types, which the runs' full_clean has refused): their
# values need no call per value.
_PLAIN = {
    "CharField": (str,),
    "TextField": (str,),
    "BooleanField": (bool,),
    "IntegerField": (int,),
    "BigIntegerField": (int,),
    "PositiveIntegerField": (int,),
    "ForeignKey": (int,),
}


def _plan(fields, connection):
    """(attname, field whose pre_save sets the value or None, types sent as they are,
    the field's get_db_prep_save, whether its values repeat) for each of `fields`."""
    return [
        (
            field.attname,
            # A plain field's pre_save reads the attribute; the others
            # (auto_now_add) set it, as Model.save does.
            None if type(field).pre_save is models.Field.pre_save else field,
            _PLAIN.get(field.get_internal_type(), ()),
            field.get_db_prep_save,
            # Most runs' sections and lists are the same few values ({}, []):
            # each is encoded once.
            isinstance(field, models.JSONField),
        )
        for field in fields
    ]


def _row(run, plan, connection, prepared):
    """The values Model.save would send for `run`, in `plan`'s order; `prepared`
    keeps {(attname, exactly(value)): value prepared} of the values that repeat."""
    values = run.__dict__
    row = []
    for name, pre_save, plain, prepare, repeats in plan:
        value = values[name] if pre_save is None else pre_save.pre_save(run, True)
        if value is not None and type(value) not in plain:
            if repeats:
                key = (name, exactly(value))
                if key not in prepared:
                    prepared[key] = prepare(value, connection)
                value = prepared[key]
            else:
                value = prepare(value, connection)
        row.append(value)
    return row


# Rows per INSERT: few statements for 100,000 runs, and a statement psycopg and
# SQLite take apart quickly.
ROWS_PER_INSERT = 2000


def _inserts(connection, table, fields, rows, *, returning=None):
    """Run INSERTs of `rows` (sequences in `fields`' order) into `table`, in batches
    within the database's parameter limit; the `returning` column's values in
    order, if asked.

    On PostgreSQL each column is sent as one array and the rows are read back
    with UNNEST, as Django's own bulk_create does there: the statement stays short
    whatever the rows (psycopg parses a statement of 80,000 placeholders in
    Python, which made it slower than bulk_create). Elsewhere: multi-row VALUES.
    """
    quote = connection.ops.quote_name
    names = ", ".join(quote(field.column) for field in fields)
    if connection.vendor == "postgresql":
        arrays = ", ".join(f"(%s)::{field.db_type(connection).split('(')[0]}[]" for field in fields)
        size = ROWS_PER_INSERT
    else:
        one = f"({', '.join(['%s'] * len(fields))})"
        size = max(1, min(ROWS_PER_INSERT, connection.features.max_query_params // len(fields)))
    tail = f" RETURNING {quote(returning)}" if returning else ""
    returned = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            if connection.vendor == "postgresql":
                sql = f"INSERT INTO {quote(table)} ({names}) SELECT * FROM UNNEST({arrays})"
                params = [list(column) for column in zip(*batch, strict=True)]
            else:
                sql = f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one] * len(batch))}"
                params = [value for row in batch for value in row]
            cursor.execute(sql + tail, params)
            if returning:
                returned += [row[0] for row in cursor.fetchall()]
    return returned


def insert_with_history(runs, *, user, reason):
    """INSERT `runs` (new, full_clean'ed TaskRuns with normalised values) and one
    history row each ("+", by `user`, change reason `reason`); set each run's pk.

    What TaskRun.save does for a new run besides its INSERT (version 1, the write
    path's checks) is the caller's: services.run_create_many. Sends no signals.
    Raises django.db.DatabaseError (IntegrityError) as the database refuses a row.
    """
    if not runs:
        return
    model = type(runs[0])
    history = model.history.model
    connection = connections[model.objects.db]
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotImplementedError(f"{connection.vendor} cannot return the new rows' ids.")
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    plan = _plan(fields, connection)
    prepared = {}
    rows = [_row(run, plan, connection, prepared) for run in runs]
    pks = _inserts(connection, model._meta.db_table, fields, rows, returning=model._meta.pk.column)
    for run, pk in zip(runs, pks, strict=True):
        run.pk = pk
        run._state.adding = False
        run._state.db = connection.alias

    # The history row holds the run's values (but those simple-history leaves
    # out, updated_at) as the run's row got them, recorded when it was created.
    position = {field.attname: index for index, field in enumerate(fields)}
    copied = [field for field in history._meta.concrete_fields if field.attname in position]
    created_at = position["created_at"]
    user_id = getattr(user, "pk", None)
    history_rows = [
        (
            run.pk,
            *(row[position[field.attname]] for field in copied),
            row[created_at],
            reason,
            "+",
            user_id,
        )
        for run, row in zip(runs, rows, strict=True)
    ]
    recorded = ("history_date", "history_change_reason", "history_type", "history_user")
    columns = [
        history._meta.get_field("id"),
        *copied,
        *(history._meta.get_field(name) for name in recorded),
    ]
    _inserts(connection, history._meta.db_table, columns, history_rows)
