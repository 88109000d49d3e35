"""Comparison groups: whom each entity is measured against for benchmarks, classes and ranks
(docs/engine.md "Industry groups").

A ``by`` list without an industry level splits a segment into disjoint groups, one per
combination of values. A ``by`` list with an industry level starts a fallback chain: the group
at that level when it has at least ``grouping.min_size`` members, otherwise the same list at
the next coarser industry level, then each ``grouping.fallback`` list in turn (by default the
county, then the whole segment); the last level is taken whatever its size. An entity without
an industry code starts at the first fallback list.

An entity measured against a coarser group is measured against all of that group's members,
including members measured against a finer group of their own: a firm whose 大类 is too small
is compared with its whole county, exactly as a county-level method would compare it. Groups
therefore overlap once a fallback is used, and ``Groups`` keeps each group's members apart
from the group each entity is measured against. Without a fallback the members are the
entities themselves and no array is copied.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from pingtai.engine.methods import INDUSTRY_LEVELS, Grouping

COLUMN_NAMES = {**INDUSTRY_LEVELS, "county_code": "县（市、区）", "platform_code": "平台"}
WHOLE = "全部"


def level_name(by: list[str] | tuple[str, ...]) -> str:
    """Readable name of a grouping level, e.g. 县（市、区）×行业大类; 全部 for no grouping."""
    return "×".join(COLUMN_NAMES.get(c, c) for c in by) or WHOLE


def chain(by: list[str], grouping: Grouping) -> list[tuple[str, ...]]:
    """The levels tried in turn for ``by``: itself alone when it holds no industry level."""
    industry = [c for c in by if c in INDUSTRY_LEVELS]
    if not industry:
        return [tuple(by)]
    level = industry[0]
    order = list(INDUSTRY_LEVELS)
    coarser = [lv for lv in grouping.industry_levels if order.index(lv) > order.index(level)]
    steps = [tuple(lv if c == level else c for c in by) for lv in [level, *coarser]]
    steps += [tuple(f) for f in grouping.fallback]
    return list(dict.fromkeys(steps))  # drop repeats, keep order


@dataclass(frozen=True)
class Groups:
    """Groups of one segment's rows (indices 0..m−1 into the segment).

    ``g[i]`` is the group row i is measured against. Group k has ``size[k]`` members; for a
    partition (``member_row is None``) the members are the rows whose ``g`` is k, otherwise
    they are ``member_row[member_g == k]`` and ``own[i]`` is the membership of row i in its
    own group.
    """

    g: np.ndarray
    labels: list[str]
    levels: list[str]
    size: np.ndarray
    member_row: np.ndarray | None = None
    member_g: np.ndarray | None = None
    own: np.ndarray | None = None

    @property
    def n(self) -> int:
        return len(self.labels)

    @property
    def mg(self) -> np.ndarray:
        """Group of each membership."""
        return self.g if self.member_g is None else self.member_g

    def members(self, a: np.ndarray) -> np.ndarray:
        """Per-row values laid out per membership."""
        return a if self.member_row is None else a[self.member_row]

    def own_of(self, a: np.ndarray) -> np.ndarray:
        """Per-membership values taken at each row's own membership."""
        return a if self.own is None else a[self.own]


class GroupIndex:
    """Group codes for the whole table, computed once per list of columns and cached per
    segment (whose rows are fixed within one run)."""

    def __init__(self, frame: pl.DataFrame, grouping: Grouping):
        self.frame = frame
        self.grouping = grouping
        self.codes: dict[tuple[str, ...], tuple[np.ndarray, list[str]]] = {}
        self.known: dict[tuple[str, ...], np.ndarray] = {}
        self.local: dict[tuple[str, tuple[str, ...]], Groups] = {}

    def _table_codes(self, by: tuple[str, ...]) -> tuple[np.ndarray, list[str]]:
        if by not in self.codes:
            key = self.frame.select(
                pl.concat_str([pl.col(c).fill_null("") for c in by], separator="|")
            ).to_series()
            labels = key.unique().sort().to_list()
            codes = key.replace_strict(
                labels, list(range(len(labels))), return_dtype=pl.Int64
            ).to_numpy()
            self.codes[by] = (codes, labels)
        return self.codes[by]

    def _table_known(self, by: tuple[str, ...]) -> np.ndarray:
        """Rows whose industry columns in ``by`` are filled (all rows when there are none)."""
        if by not in self.known:
            known = np.ones(self.frame.height, dtype=bool)
            for c in by:
                if c in INDUSTRY_LEVELS:
                    known &= self.frame[c].is_not_null().to_numpy()
            self.known[by] = known
        return self.known[by]

    def resolve(self, rows: np.ndarray, by: list[str], prefix: str) -> Groups:
        """The groups of ``rows`` (one segment) for ``by``; labels are ``prefix|values``."""
        key = (prefix, tuple(by))
        if key not in self.local:
            steps = chain(by, self.grouping)
            if len(steps) == 1 or not len(rows):
                self.local[key] = self._partition(rows, steps[0] if len(rows) else (), prefix)
            else:
                self.local[key] = self._fallback(rows, steps, prefix)
        return self.local[key]

    def _partition(self, rows: np.ndarray, by: tuple[str, ...], prefix: str) -> Groups:
        if not by:
            return Groups(
                np.zeros(len(rows), dtype=np.int64),
                [prefix],
                [WHOLE],
                np.array([len(rows)], dtype=np.int64),
            )
        codes, labels = self._table_codes(by)
        sub = codes[rows]
        present = np.flatnonzero(np.bincount(sub, minlength=len(labels)))
        remap = np.zeros(len(labels), dtype=np.int64)
        remap[present] = np.arange(len(present))
        g = remap[sub]
        return Groups(
            g,
            [f"{prefix}|{labels[i]}" for i in present],
            [level_name(by)] * len(present),
            np.bincount(g, minlength=len(present)),
        )

    def _fallback(self, rows: np.ndarray, steps: list[tuple[str, ...]], prefix: str) -> Groups:
        m = len(rows)
        min_size = self.grouping.min_size
        taken_step = np.full(m, -1, dtype=np.int64)
        taken_code = np.full(m, -1, dtype=np.int64)
        per_step = []
        for k, by in enumerate(steps):
            known = self._table_known(by)[rows]
            if by:
                codes = self._table_codes(by)[0][rows]
                labels = self._table_codes(by)[1]
            else:
                codes, labels = np.zeros(m, dtype=np.int64), [""]
            size = np.bincount(codes[known], minlength=len(labels))
            last = k == len(steps) - 1
            take = (taken_step < 0) & known & ((size[codes] >= min_size) | last)
            taken_step[take] = k
            taken_code[take] = codes[take]
            per_step.append((by, known, codes, labels, size))
        # Number the groups in use: by step (finest first), then by label.
        g = np.empty(m, dtype=np.int64)
        out_labels: list[str] = []
        out_levels: list[str] = []
        sizes: list[int] = []
        member_row: list[np.ndarray] = []
        member_g: list[np.ndarray] = []
        for k, (by, known, codes, labels, size) in enumerate(per_step):
            mine = taken_step == k
            if not mine.any():
                continue
            used = np.unique(taken_code[mine])
            gid = np.full(len(labels), -1, dtype=np.int64)
            gid[used] = np.arange(len(used)) + len(out_labels)
            g[mine] = gid[codes[mine]]
            out_labels += [f"{prefix}|{labels[u]}" if by else prefix for u in used]
            out_levels += [level_name(by)] * len(used)
            sizes += [int(size[u]) for u in used]
            # Members: every known row in a group in use, in row order (so sums keep id order).
            member = known & (gid[codes] >= 0)
            member_row.append(np.flatnonzero(member))
            member_g.append(gid[codes[member]])
        mrow = np.concatenate(member_row)
        mg = np.concatenate(member_g)
        # Each row's own membership: the one in the group it is measured against.
        own = np.empty(m, dtype=np.int64)
        hit = mg == g[mrow]
        own[mrow[hit]] = np.flatnonzero(hit)
        return Groups(g, out_labels, out_levels, np.array(sizes, dtype=np.int64), mrow, mg, own)
