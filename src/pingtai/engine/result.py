"""What one evaluation run produced: the output table, the intermediate values per scored
segment, and the column builders shared by the run and the robustness simulation.

A module of its own so that the pipeline (run.py), the explanations (explain.py) and the
robustness simulation (robustness.py) all depend on it and not on each other.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import polars as pl

from pingtai.engine import aggregate
from pingtai.engine.groups import Groups
from pingtai.engine.methods import Method, Segment
from pingtai.engine.normalise import Fitted
from pingtai.engine.tables import canonical_csv_hash, write_canonical_csv, write_table


@dataclass(frozen=True)
class Regrade:
    """A manual re-grade (手动调档, docs/methods.md §2.6): who changed which entity to what, and why."""

    entity_id: str
    new_class: str
    reason: str
    by: str = ""


@dataclass(frozen=True)
class MissingNote:
    """Rows of a segment (local indices) without a value for one indicator, and the method's
    treatment: ``average`` (the others' average score), ``all_equal`` (nobody has it) or
    ``zero``."""

    indicator: str
    treatment: str
    rows: np.ndarray


@dataclass
class SegmentRun:
    """Intermediate values of one scored segment; row i is table row ``rows[i]`` (id order)."""

    name: str
    spec: Segment
    rows: np.ndarray  # indices into the result's id-sorted frame
    indicator_ids: list[str]
    x: np.ndarray  # raw indicator values (rows × k), NaN = missing
    n: np.ndarray  # normalised values after caps, floors and missing rules
    fitted: list[Fitted]
    caps: np.ndarray
    floors: np.ndarray
    eff: np.ndarray  # effective indicator weights, sum 1
    total: float  # weight total: score = total × composite
    structure: aggregate.Structure
    ideals: aggregate.Ideals | None
    adj_ratio: np.ndarray
    adj_points: np.ndarray
    score: np.ndarray
    class_index: np.ndarray  # band index before vetoes and re-grades
    class_groups: Groups
    class_member_pos: np.ndarray  # 0-based position of each class-group membership
    rank_groups: Groups
    rank_member_pos: np.ndarray  # 0-based position of each rank-group membership
    rank_pos: np.ndarray  # 0-based unique position in the row's own rank group
    forced: np.ndarray  # −1, or the band index a veto or re-grade imposes
    competition: np.ndarray  # 1-based rank, ties sharing the best rank
    id_rank: np.ndarray  # each row's place in entity-id order (the last tie-break)
    bench_groups: Groups | None  # the group population-fitted scorers were fitted on
    missing: list[MissingNote] = field(default_factory=list)  # how missing values were scored

    def composite(
        self, n: np.ndarray, eff: np.ndarray | None = None, sel: np.ndarray | None = None
    ) -> np.ndarray:
        """Score for a normalised matrix of this segment's rows (``sel``: which rows), with
        the TOPSIS ideals and the adjustments held fixed."""
        eff = self.eff if eff is None else eff
        base = self.total * self.structure.score(n, eff, self.ideals)
        ratio = self.adj_ratio if sel is None else self.adj_ratio[sel]
        points = self.adj_points if sel is None else self.adj_points[sel]
        return base * (1.0 + ratio) + points


@dataclass
class EvaluationResult:
    """The result of one run: ``table`` (one row per entity) plus what produced it."""

    method: Method
    table: pl.DataFrame
    input_hash: str
    weights: pl.DataFrame
    benchmarks: pl.DataFrame
    warnings: list[str]
    segments: dict[str, SegmentRun] = field(repr=False)
    id_column: pl.Series = field(repr=False)  # entity ids in input order (SegmentRun.rows)
    robustness_draws: int = 0
    seed: int = 0

    @cached_property
    def ids(self) -> np.ndarray:
        """Entity ids in input order, as ``SegmentRun.rows`` index them (made on first use:
        the command line never needs a million ids as Python objects)."""
        return self.id_column.to_numpy()

    @property
    def method_id(self) -> str:
        return self.method.id

    @property
    def method_version(self) -> str:
        return self.method.version

    @property
    def method_hash(self) -> str:
        return self.method.hash

    def to_csv_bytes(self) -> bytes:
        """Canonical CSV: UTF-8, fixed decimals, rows in result order, '\\n' line ends."""
        buf = io.BytesIO()
        write_canonical_csv(self.table, buf, self.method.output.decimals)
        return buf.getvalue()

    @cached_property
    def result_hash(self) -> str:
        """SHA-256 of the canonical CSV (computed on first use, piece by piece: the CSV text
        of a large result is never held in memory for it)."""
        return canonical_csv_hash(self.table, self.method.output.decimals)

    def write_csv(self, path: str | Path) -> None:
        """Write the result as CSV; when the file is the canonical CSV (no text cell needed
        making safe for a spreadsheet program) its hash is taken from the same pass."""
        digest = write_table(self.table, path, float_precision=self.method.output.decimals)
        if digest is not None:
            self.__dict__.setdefault("result_hash", digest)

    def published_table(self) -> pl.DataFrame:
        """The table without indicators flagged ``publish = false`` (docs/methods.md §3.1)."""
        hidden = {i.id for i in self.method.indicators if not i.publish}
        drop = [c for c in self.table.columns if c in hidden or c.split("__")[-1] in hidden]
        return self.table.drop(drop)


def text_column(codes: np.ndarray, categories: list[str], name: str) -> pl.Series:
    """A text column from category codes (−1 = empty)."""
    cats = pl.Series(name, categories or [""], dtype=pl.String)
    idx = pl.Series(np.where(codes < 0, 0, codes).astype(np.uint32))
    return pl.select(
        pl.when(pl.Series(codes >= 0)).then(cats.gather(idx)).otherwise(None).alias(name)
    ).to_series()


def num_column(name: str, a: np.ndarray, *, scratch: bool = False) -> pl.Series:
    """A float column; NaN becomes empty. ``scratch``: ``a`` is the caller's own copy and
    may be changed in place (one array fewer per column of a large table)."""
    # + 0.0 turns −0.0 into 0.0 so the CSV never shows "-0.000000"; NaN becomes null.
    return pl.Series(name, np.add(a, 0.0, out=a) if scratch else a + 0.0, nan_to_null=True)


def int_column(name: str, a: np.ndarray) -> pl.Series:
    """An integer column from an array where −1 means empty."""
    return pl.Series(name, np.where(a < 0, np.nan, a), nan_to_null=True).cast(pl.Int64)
