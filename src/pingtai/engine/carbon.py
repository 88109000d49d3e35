"""Carbon efficiency per firm (碳效, docs/industry-carbon.md "Carbon efficiency").

- CO₂ (t): the reported ``co2_t`` where given; otherwise from energy use with the factors of
  ``standards/carbon.toml``: the part of ``energy_tce`` that is not electricity (electricity
  converted at ``electricity.tce_per_wan_kwh``) × the fossil factor, plus
  ``electricity_wan_kwh`` × the grid factor of the data year, minus the grid CO₂ that the
  clean energy ``renewable_tce`` (taken as zero-carbon electricity) avoids — the source's
  "核减零碳电力……减少的二氧化碳" — never below 0.
- Intensity L = CO₂ ÷ value added (吨/万元), banded 低碳/中碳/高碳 by the year's thresholds; a
  firm with no positive value added has no L.
- K = L ÷ the L of the firm's industry, the industry's L being Σ CO₂ ÷ Σ value added over the
  firms of the group that have an L (a labelled assumption: the source says "平均值"); the group
  is the 4-digit industry, falling back to the 2-digit 大类 and then to all firms of the input
  when it has fewer than 10 such firms. Grades 1–5 by K ≤ 0.6, ≤ 0.8, ≤ 1.2, ≤ 2.0, > 2.0.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from pingtai.engine import industry
from pingtai.engine.groups import GroupIndex
from pingtai.engine.inputs import Collector, InputError, check_ids, check_number, industry_levels
from pingtai.engine.methods import Grouping
from pingtai.standards.carbon import Bands, CarbonData, GridFactor, carbon_data

BANDS = ("低碳", "中碳", "高碳")
SOURCE_REPORTED, SOURCE_ENERGY = "报送", "能耗折算"
NOTES = (
    "缺少碳排放数据（co2_t，或综合能耗和用电量），不评碳效",
    "工业增加值不为正，不计算碳效",
    "所在组碳排放为零，不计算碳效值",
)
MIN_GROUP_SIZE = 10
CSV_DECIMALS = 6  # carbon_l and carbon_k are written with 6 decimals
# The K group: the 4-digit 小类, then the 2-digit 大类, then every firm of the input.
K_LEVELS: list = ["industry_4", "industry_2"]
INPUT_FIELDS = {  # name → may be negative
    "value_added_wan": True,
    "co2_t": False,
    "energy_tce": False,
    "electricity_wan_kwh": False,
    "renewable_tce": False,
}


@dataclass(frozen=True)
class Factors:
    """The factors one computation uses, with notes where another year stands in."""

    year: int | None
    grid: GridFactor
    bands: Bands
    data: CarbonData
    notes: tuple[str, ...] = field(default=())

    @property
    def fingerprint(self) -> str:
        """What a result depends on, for input hashes: factor values and the data version."""
        d = self.data
        text = "|".join(
            str(v)
            for v in (
                d.version,
                self.grid.year,
                self.grid.kg_per_kwh,
                d.fossil.t_per_tce,
                d.electricity.tce_per_wan_kwh,
                self.bands.low_max,
                self.bands.mid_max,
                *d.grades.thresholds,
            )
        )
        return hashlib.sha256(text.encode()).hexdigest()


def factors(year: int | None = None) -> Factors:
    """Grid factor and bands for data ``year`` (the latest published when ``None``)."""
    data = carbon_data()
    grid, grid_note = data.grid_for(year)
    bands, band_note = data.bands_for(year)
    notes = tuple(n for n in (grid_note, band_note) if n)
    return Factors(year, grid, bands, data, notes)


def co2(data: dict[str, np.ndarray], f: Factors) -> tuple[np.ndarray, np.ndarray]:
    """CO₂ in t per row and its source (0 none, 1 reported, 2 from energy use)."""
    n = len(next(iter(data.values())))
    nan = np.full(n, np.nan)
    reported = data.get("co2_t", nan)
    energy = data.get("energy_tce", nan)
    power = data.get("electricity_wan_kwh", nan)
    clean = np.nan_to_num(data.get("renewable_tce", nan), nan=0.0)
    d = f.data
    per_tce = float(d.electricity.tce_per_wan_kwh)
    grid = float(f.grid.t_per_wan_kwh)
    fossil = np.maximum(energy - power * per_tce, 0.0) * float(d.fossil.t_per_tce)
    computed = np.maximum(fossil + power * grid - clean / per_tce * grid, 0.0)
    have = ~np.isnan(reported)
    value = np.where(have, reported, computed)
    source = np.where(have, 1, np.where(np.isnan(computed), 0, 2))
    return value, source


def band_index(level: np.ndarray, bands: Bands) -> np.ndarray:
    """0 低碳, 1 中碳, 2 高碳; −1 where L is missing."""
    idx = (level > float(bands.low_max)).astype(np.int64) + (level > float(bands.mid_max))
    return np.where(np.isnan(level), -1, idx)


def grade(k: np.ndarray, data: CarbonData) -> np.ndarray:
    """Grades 1–5 by K ≤ t₁ … > t₄; −1 where K is missing."""
    t = np.array([float(x) for x in data.grades.thresholds])
    g = (k[:, None] > t[None, :]).sum(axis=1) + 1
    return np.where(np.isnan(k), -1, g)


@dataclass
class CarbonResult:
    table: pl.DataFrame
    factors: Factors
    warnings: list[str]


def carbon_efficiency(
    frame: pl.DataFrame, year: int | None = None, min_size: int = MIN_GROUP_SIZE
) -> CarbonResult:
    """L, band, K and grade for every firm of ``frame`` (canonical columns; ``co2_t``,
    ``renewable_tce`` and ``industry_code`` optional). Raise ``InputError`` naming rows."""
    f = factors(year)
    warnings = list(f.notes)
    has_co2 = "co2_t" in frame.columns
    required = ["uscc", "value_added_wan"]
    if not has_co2 or frame["co2_t"].null_count():
        required += ["energy_tce", "electricity_wan_kwh"]
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            [f"缺少列：{'、'.join(missing)}（没有 co2_t 的企业按综合能耗和用电量折算碳排放）"]
        )
    errs = Collector()
    rownums = np.arange(frame.height, dtype=np.int64) + 2
    ids = frame["uscc"].cast(pl.String).str.strip_chars().str.to_uppercase()
    order = check_ids(ids, "uscc", True, rownums, errs)
    data = {
        name: check_number(frame[name], name, negative, rownums, errs).to_numpy()
        for name, negative in INPUT_FIELDS.items()
        if name in frame.columns
    }
    levels = industry_levels(frame, True, rownums, errs)
    errs.raise_if_any()
    if levels[industry.COLUMN].null_count() == frame.height:
        warnings.append("输入没有行业代码（industry_code）：碳效值 K 一律与全部企业比较")

    emitted, source = co2(data, f)
    va = data["value_added_wan"]
    with np.errstate(divide="ignore", invalid="ignore"):
        level = np.where(va > 0, emitted / va, np.nan)
    # 0: none; 1: no emission data; 2: no positive value added; 3: the group emits nothing.
    note = np.where(source == 0, 1, np.where(np.isnan(level), 2, 0))

    base = pl.DataFrame([ids.alias("uscc"), *levels.values()])
    rows = order[~np.isnan(level[order])]  # firms with an L, in id order (sums in id order)
    grouping = Grouping(min_size=min_size, industry_levels=K_LEVELS, fallback=[[]])
    groups = GroupIndex(base, grouping).resolve(rows, ["industry_4"], "")
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.bincount(groups.mg, weights=groups.members(emitted[rows]), minlength=groups.n)
        den = np.bincount(groups.mg, weights=groups.members(va[rows]), minlength=groups.n)
        group_level = num / den
        k_rows = level[rows] / group_level[groups.g]
    k = np.full(frame.height, np.nan)
    k[rows] = np.where(group_level[groups.g] > 0, k_rows, np.nan)
    group = np.full(frame.height, -1, dtype=np.int64)
    group[rows] = groups.g
    size = np.full(frame.height, -1, dtype=np.int64)
    size[rows] = groups.size[groups.g]
    l_group = np.full(frame.height, np.nan)
    l_group[rows] = group_level[groups.g]
    note = np.where((note == 0) & (l_group == 0), 3, note)

    bands = band_index(level, f.bands)
    grades = grade(k, f.data)
    names: dict[str, pl.Series] = {
        c: frame[c].cast(pl.String) for c in ("name", "county_code") if c in frame.columns
    }
    out = pl.DataFrame(
        {
            "uscc": ids,
            **names,
            "industry_code": levels[industry.COLUMN],
            "value_added_wan": pl.Series(va, nan_to_null=True),
            "co2_t": pl.Series(emitted, nan_to_null=True),
            "co2_source": _pick(source, [None, SOURCE_REPORTED, SOURCE_ENERGY]),
            "carbon_l": pl.Series(level, nan_to_null=True),
            "carbon_band": _pick(bands + 1, [None, *BANDS]),
            "carbon_group": _pick(
                group + 1, [None, *(x.lstrip("|") or "全部企业" for x in groups.labels)]
            ),
            "carbon_group_level": _pick(group + 1, [None, *groups.levels]),
            "carbon_group_size": _whole(size),
            "carbon_group_l": pl.Series(l_group, nan_to_null=True),
            "carbon_k": pl.Series(k, nan_to_null=True),
            "carbon_grade": _whole(grades),
            "carbon_note": _pick(note, [None, *NOTES]),
        }
    )
    return CarbonResult(out[order], f, warnings)


def _pick(index: np.ndarray, names: list[str | None]) -> pl.Series:
    """Texts by index into ``names``."""
    return pl.Series(names, dtype=pl.String).gather(pl.Series(index))


def _whole(values: np.ndarray) -> pl.Series:
    """Non-negative integers; −1 marks a missing value."""
    return pl.Series(np.where(values < 0, np.nan, values), nan_to_null=True).cast(pl.Int64)
