"""Engine test helpers: small hand-made frames in the canonical enterprise columns."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import polars as pl
import pytest

from pingtai.engine.synthetic import usccs


def make_frame(rows: list[dict], seed: int = 7) -> pl.DataFrame:
    """Canonical columns with defaults; each row dict overrides what it names."""
    codes = usccs(len(rows), np.random.default_rng(seed))
    base = {
        "name": "测试企业",
        "county_code": "331102",
        "platform_code": "LS01",
        "segment": "规上",
        "land_mu": 10.0,
        "tax_wan": 100.0,
        "value_added_wan": 500.0,
        "revenue_wan": 2000.0,
        "energy_tce": 100.0,
        "emission_t": 1.0,
        "electricity_wan_kwh": 100.0,
        "employees": 20.0,
        "rd_wan": 50.0,
    }
    records = [{"uscc": codes[i], **base, **r} for i, r in enumerate(rows)]
    schema = {k: (pl.String if k in ("uscc", "name", "county_code", "platform_code", "segment") else pl.Float64)
              for k in records[0]}
    for r in records:
        for k in r:
            schema.setdefault(k, pl.Float64)
    return pl.DataFrame(records, schema=schema)


# Huangyan 2022 规上 benchmarks (methods.md §2.4 / huangyan_benchmarks.csv).
HY22 = {
    "tax_per_mu": 24.097,
    "va_per_mu": 136.16,
    "va_per_energy": 2.694,
    "va_per_emission": 4929.81,
    "labour_productivity": 18.14,
    "rd_share": 0.0302,
}


def at_benchmarks(b: dict[str, float], land: float = 10.0, employees: float = 20.0) -> dict:
    """Source values that put a 规上 firm exactly at every benchmark in ``b``."""
    va = b["va_per_mu"] * land
    revenue = 1000.0
    return {
        "land_mu": land,
        "tax_wan": b["tax_per_mu"] * land,
        "value_added_wan": va,
        "energy_tce": va / b["va_per_energy"],
        "emission_t": va / b["va_per_emission"],
        "employees": va / b["labour_productivity"],
        "revenue_wan": revenue,
        "rd_wan": b["rd_share"] * revenue,
    }


@pytest.fixture(scope="session")
def cases() -> SimpleNamespace:
    """The helpers above, for test modules (conftest is not importable under importlib mode)."""
    return SimpleNamespace(make_frame=make_frame, HY22=HY22, at_benchmarks=at_benchmarks)
