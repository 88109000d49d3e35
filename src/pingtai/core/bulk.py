"""Writing many rows at the speed of the database driver (docs/benchmarks.md, "Province scale").

``bulk_create`` builds a model instance per row and has Django prepare every field of every
row in Python; for a run's 10⁵ result rows that is most of the run's time. ``insert_rows``
takes plain tuples instead: PostgreSQL receives them through ``COPY … FROM STDIN`` (psycopg 3),
other databases through the driver's ``executemany``. Rows must hold what the fields would
store: JSON fields take the Python value (serialised here exactly as Django's ``JSONField``
does, ``json.dumps`` with the field's encoder); every other value is passed as is, so no model
``save()``, signal or field default runs — the caller gives every column.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import partial
from itertools import islice
from typing import Any

from django.db import connection, models

BATCH = 5000


def _concrete(model: type[models.Model], name: str) -> models.Field:
    field = model._meta.get_field(name)
    if not isinstance(field, models.Field) or not field.concrete or field.many_to_many:
        raise ValueError(f"{model._meta.label}.{name} is not a column")
    return field


def insert_rows(
    model: type[models.Model], fields: Sequence[str], rows: Iterable[Sequence[Any]]
) -> int:
    """INSERT ``rows`` (one tuple per row, values in the order of ``fields``, which are field
    names such as ``run`` or ``values``) into ``model``'s table; returns the number of rows."""
    meta = model._meta
    concrete = [_concrete(model, name) for name in fields]
    dumps = {
        i: partial(json.dumps, cls=f.encoder)
        for i, f in enumerate(concrete)
        if isinstance(f, models.JSONField)
    }
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(f.column)) for f in concrete)

    def prepared(row: Sequence[Any]) -> tuple:
        if not dumps:
            return tuple(row)
        return tuple(dumps[i](v) if i in dumps and v is not None else v for i, v in enumerate(row))

    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(prepared(row))
                    count += 1
            return count
        marks = ", ".join(["%s"] * len(concrete))
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"
        iterator = iter(rows)
        while batch := [prepared(r) for r in islice(iterator, BATCH)]:
            cursor.executemany(sql, batch)
            count += len(batch)
    return count
