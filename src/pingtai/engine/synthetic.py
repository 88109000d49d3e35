"""Reproducible synthetic enterprises in the canonical columns, for tests, demos and benchmarks.

Labelled synthetic: the values are log-normal draws around the Lishui 2019 city averages
(docs/methods.md §4), not real firms. USCCs are checksum-valid (GB 32100-2015).
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pingtai.standards.uscc import ALPHABET, WEIGHTS

LISHUI_COUNTIES = (
    "331102",
    "331121",
    "331122",
    "331123",
    "331124",
    "331125",
    "331126",
    "331127",
    "331181",
)


def usccs(n: int, rng: np.random.Generator) -> list[str]:
    """``n`` distinct valid codes: prefix 91 (enterprise), a Lishui county, serial, check char."""
    serial = rng.choice(31**9, size=n, replace=False) if n < 10**7 else np.arange(n)
    county = np.array([int(c) for c in LISHUI_COUNTIES])[rng.integers(0, len(LISHUI_COUNTIES), n)]
    digits = np.empty((n, 17), dtype=np.int64)
    digits[:, 0], digits[:, 1] = 9, 1
    for i in range(6):
        digits[:, 2 + i] = county // 10 ** (5 - i) % 10
    for i in range(9):
        digits[:, 8 + i] = serial // 31 ** (8 - i) % 31
    check = (31 - (digits * np.array(WEIGHTS)).sum(axis=1) % 31) % 31
    codes = np.column_stack([digits, check])
    table = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
    text = table[codes].astype(np.uint8).tobytes().decode("ascii")
    return [text[i * 18 : (i + 1) * 18] for i in range(n)]


def enterprises(
    n: int, seed: int = 0, small_share: float = 0.4, missing_emission: float = 0.05
) -> pl.DataFrame:
    """One row per synthetic firm in the canonical enterprise columns (money in 万元)."""
    rng = np.random.default_rng(seed)
    codes = usccs(n, rng)
    county = np.array([c[2:8] for c in codes]) if n <= 200_000 else None
    small = rng.random(n) < small_share
    land = np.round(np.exp(rng.normal(3.0, 0.9, n)) * np.where(small, 0.3, 1.0) + 0.5, 2)

    def per_mu(mean: float, sigma: float) -> np.ndarray:
        return np.exp(rng.normal(np.log(mean) - sigma**2 / 2, sigma, n)) * land

    tax = per_mu(18.9, 0.8)
    va = per_mu(73.71, 0.7)
    emission = va / np.exp(rng.normal(np.log(611.55), 0.9, n))
    frame = pl.DataFrame(
        {
            "uscc": codes,
            "name": [f"合成企业{i:07d}" for i in range(n)],
            "county_code": county if county is not None else pl.Series(codes).str.slice(2, 6),
            "platform_code": [f"LS{(i % 11) + 1:02d}" for i in range(n)],
            "segment": np.where(small, "规下", "规上"),
            "land_mu": land,
            "tax_wan": np.round(tax, 2),
            "value_added_wan": np.round(va, 2),
            "revenue_wan": np.round(va * np.exp(rng.normal(1.3, 0.3, n)), 2),
            "energy_tce": np.round(va / np.exp(rng.normal(np.log(1.14), 0.6, n)), 2),
            "emission_t": np.where(rng.random(n) < missing_emission, np.nan, np.round(emission, 4)),
            "electricity_wan_kwh": np.round(va / np.exp(rng.normal(np.log(1.0), 0.5, n)), 2),
            "employees": np.maximum(1, np.round(va / np.exp(rng.normal(np.log(16.45), 0.5, n)))),
            "rd_wan": np.round(va * np.exp(rng.normal(1.3, 0.3, n)) * rng.beta(2, 60, n), 2),
        }
    )
    return frame.with_columns(pl.col("emission_t").fill_nan(None))


_DEFAULT_ROW = {
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
_TEXT = ("uscc", "name", "county_code", "platform_code", "segment", "industry_code")


def frame_from_rows(rows: list[dict], seed: int = 7) -> pl.DataFrame:
    """Hand-made firms for worked examples: canonical columns with defaults, valid USCCs;
    each row dict overrides what it names and may add columns (numbers)."""
    codes = usccs(len(rows), np.random.default_rng(seed))
    records = [{"uscc": codes[i], **_DEFAULT_ROW, **r} for i, r in enumerate(rows)]
    names = list(dict.fromkeys(k for r in records for k in r))
    schema = {k: pl.String if k in _TEXT else pl.Float64 for k in names}
    return pl.DataFrame(records, schema=schema)


def at_benchmarks(bench: dict[str, float], land: float = 10.0) -> dict[str, float]:
    """Source values that put a 规上 firm exactly at the six 亩均 benchmarks in ``bench``
    (keys: tax_per_mu, va_per_mu, va_per_energy, va_per_emission, labour_productivity, rd_share)."""
    va = bench["va_per_mu"] * land
    revenue = 1000.0
    return {
        "land_mu": land,
        "tax_wan": bench["tax_per_mu"] * land,
        "value_added_wan": va,
        "energy_tce": va / bench["va_per_energy"],
        "emission_t": va / bench["va_per_emission"],
        "employees": va / bench["labour_productivity"],
        "revenue_wan": revenue,
        "rd_wan": bench["rd_share"] * revenue,
    }
