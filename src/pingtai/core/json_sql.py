"""A value inside a JSON column, extracted by the database."""

from __future__ import annotations

import json
from typing import Any

from django.db.models import F, Func, TextField


class JsonText(Func):
    """The value at ``keys`` inside the JSON column ``field``, as text (NULL where absent).

    PostgreSQL's ``#>>`` and SQLite's ``json_extract`` read the document once; Django's key
    transform reads it three times on SQLite (two type tests, then the extraction), which at
    thousands of rows of a run's result JSON is most of a query (docs/benchmarks.md,
    Province scale)."""

    output_field = TextField()

    def __init__(self, field: str, *keys: str) -> None:
        super().__init__(F(field))
        self.keys = keys

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"({sql} #>> %s)", (*params, list(self.keys))

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple]:
        sql, params = compiler.compile(self.source_expressions[0])
        path = "$" + "".join(f".{json.dumps(key)}" for key in self.keys)
        return f"CAST(JSON_EXTRACT({sql}, %s) AS TEXT)", (*params, path)
