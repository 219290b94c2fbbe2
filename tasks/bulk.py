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
    the field's get_db_prep_save) for each of `fields`."""
    return [
        (
            field.attname,
            # A plain field's pre_save reads the attribute; the others
            # (auto_now_add) set it, as Model.save does.
            None if type(field).pre_save is models.Field.pre_save else field,
            _PLAIN.get(field.get_internal_type(), ()),
            field.get_db_prep_save,
        )
        for field in fields
    ]


def _row(run, plan, connection):
    """The values Model.save would send for `run`, in `plan`'s order."""
    values = run.__dict__
    row = []
    for name, pre_save, plain, prepare in plan:
        value = values[name] if pre_save is None else pre_save.pre_save(run, True)
        if value is not None and type(value) not in plain:
            value = prepare(value, connection)
        row.append(value)
    return row


def _inserts(connection, table, columns, rows, *, returning=None):
    """Run INSERTs of `rows` (tuples in `columns`' order) in batches within the
    database's parameter limit; the `returning` column's values in order, if asked."""
    quote = connection.ops.quote_name
    names = ", ".join(quote(column) for column in columns)
    # PostgreSQL names no limit; 65,535 is its protocol's, should parameters be bound
    # on the server.
    limit = connection.features.max_query_params or 65_535
    size = max(1, min(len(rows), limit // len(columns), 2000))
    one = f"({', '.join(['%s'] * len(columns))})"
    returned = []
    with connection.cursor() as cursor:
        for start in range(0, len(rows), size):
            batch = rows[start : start + size]
            sql = f"INSERT INTO {quote(table)} ({names}) VALUES {', '.join([one] * len(batch))}"
            if returning:
                sql += f" RETURNING {quote(returning)}"
            cursor.execute(sql, [value for row in batch for value in row])
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
    rows = [_row(run, plan, connection) for run in runs]
    pks = _inserts(
        connection,
        model._meta.db_table,
        [field.column for field in fields],
        rows,
        returning=model._meta.pk.column,
    )
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
        history._meta.get_field("id").column,
        *(field.column for field in copied),
        *(history._meta.get_field(name).column for name in recorded),
    ]
    _inserts(connection, history._meta.db_table, columns, history_rows)
