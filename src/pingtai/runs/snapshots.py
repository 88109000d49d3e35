"""Input snapshots as canonical CSV: written once when a run is frozen, read for ever.

A snapshot written under an older schema stays readable: columns the current schema added
since read as empty (missing), columns it no longer knows are kept as text (docs/runs.md).
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import polars as pl


def write_snapshot(frame: pl.DataFrame, key: str) -> bytes:
    """Canonical CSV: sorted by ``key``, UTF-8, '\\n' line ends."""
    buffer = io.BytesIO()
    frame.sort(key).write_csv(buffer, line_terminator="\n")
    return buffer.getvalue()


def read_snapshot(data: bytes, schema: Mapping[str, type[pl.DataType]]) -> pl.DataFrame:
    """The snapshot with ``schema``'s types; columns missing from an older snapshot are null."""
    header = pl.read_csv(io.BytesIO(data), n_rows=0).columns
    frame = pl.read_csv(
        io.BytesIO(data),
        schema_overrides={c: t for c, t in schema.items() if c in header},
        infer_schema=False,
    )
    missing = [pl.lit(None, dtype=t).alias(c) for c, t in schema.items() if c not in header]
    frame = frame.with_columns(missing) if missing else frame
    return frame.select([*schema, *(c for c in header if c not in schema)])
