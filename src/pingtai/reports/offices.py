"""Issuing offices: the name printed as the mark and signature, and the 发文代字 that opens
every 文号 the office's register gives (docs/notices.md, "文号")."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Office:
    name: str  # 发文机关全称
    code: str  # 发文代字, e.g. 丽开整办 in 丽开整办〔2025〕3号

    def number(self, year: int, serial: int) -> str:
        return f"{self.code}〔{year}〕{serial}号"


# The leading group's office issues the programme's notices (丽政办发〔2021〕46号 §五).
CITY_OFFICE = Office("丽水市开发区（园区）整合提升工作领导小组办公室", "丽开整办")
OFFICES = {CITY_OFFICE.code: CITY_OFFICE}
