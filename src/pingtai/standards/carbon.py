"""Carbon-efficiency parameters as data with their sources (``carbon.toml``; docs/industry-carbon.md):
intensity bands per year, the 1–5 grade thresholds, grid emission factors per year, and the
factors that turn energy use into CO₂ when a firm reports no ``co2_t``."""

from __future__ import annotations

import itertools
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from pingtai.core.datafiles import load_toml

PATH = Path(__file__).with_name("carbon.toml")


class _Sourced(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    document: str = Field(min_length=1)
    url: str = ""
    status: str = Field(min_length=1)
    note: str = ""


class Bands(_Sourced):
    from_year: int
    low_max: Decimal  # 吨CO₂/万元: L ≤ low_max is 低碳
    mid_max: Decimal  # L ≤ mid_max is 中碳, above it 高碳

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if not 0 < self.low_max < self.mid_max:
            raise ValueError("low_max 必须为正且小于 mid_max")
        return self


class Grades(_Sourced):
    thresholds: tuple[Decimal, Decimal, Decimal, Decimal]  # K ≤ t[0] → 1 … K > t[3] → 5
    industry_average: Literal["ratio_of_sums"]
    industry_average_note: str = Field(min_length=1)

    @model_validator(mode="after")
    def _ordered(self) -> Grades:
        t = self.thresholds
        if not all(a < b for a, b in itertools.pairwise(t)) or t[0] <= 0:
            raise ValueError("thresholds 必须为正且严格递增")
        return self


class GridFactor(_Sourced):
    year: int
    kg_per_kwh: Decimal = Field(gt=0)

    @property
    def t_per_wan_kwh(self) -> Decimal:
        """10⁴ kWh × kg/kWh = 10⁴ kg = 10 t."""
        return self.kg_per_kwh * 10


class Fossil(_Sourced):
    t_per_tce: Decimal = Field(gt=0)


class Electricity(_Sourced):
    tce_per_wan_kwh: Decimal = Field(gt=0)


class CarbonData(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    bands: tuple[Bands, ...] = Field(min_length=1)
    grades: Grades
    grid: tuple[GridFactor, ...] = Field(min_length=1)
    fossil: Fossil
    electricity: Electricity

    @model_validator(mode="after")
    def _years_unique(self) -> CarbonData:
        for name, years in (
            ("bands", [b.from_year for b in self.bands]),
            ("grid", [g.year for g in self.grid]),
        ):
            if len(set(years)) != len(years):
                raise ValueError(f"{name} 的年度重复")
        return self

    def bands_for(self, year: int | None) -> tuple[Bands, str | None]:
        """The bands in force for data ``year`` (latest when ``None``) and a note when the
        year had none of its own."""
        ordered = sorted(self.bands, key=lambda b: b.from_year)
        if year is None:
            return ordered[-1], None
        known = [b for b in ordered if b.from_year <= year]
        if not known:
            first = ordered[0]
            return first, f"{year}年早于碳效分档的最早年度，按{first.from_year}年起的分档"
        return known[-1], None

    def grid_for(self, year: int | None) -> tuple[GridFactor, str | None]:
        """The grid factor of data ``year`` (latest when ``None``) and a note when another
        year's factor stands in for it."""
        ordered = sorted(self.grid, key=lambda g: g.year)
        if year is None:
            return ordered[-1], None
        exact = [g for g in ordered if g.year == year]
        if exact:
            return exact[0], None
        earlier = [g for g in ordered if g.year < year]
        chosen = earlier[-1] if earlier else ordered[0]
        return chosen, f"{year}年电力排放因子尚未公布或未收录，按{chosen.year}年因子计算"


@lru_cache(maxsize=1)
def carbon_data() -> CarbonData:
    return load_toml(PATH, CarbonData, what="碳效参数文件", code="carbon_data")
