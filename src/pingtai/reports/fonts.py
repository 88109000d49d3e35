"""The fonts of a notice, by role, found among the fonts installed on this machine.

GB/T 9704-2012 names the faces of a 公文 by role: 小标宋 for the issuing office's mark and the
title, 仿宋 for the body, 黑体 and 楷体 for the first and second heading levels, 宋体 for the page
numbers. Each role has an ordered list of families; the first one installed is used and the
others stay behind it as glyph fallbacks. The defaults name the fonts a government office has
first (方正小标宋简体, 仿宋_GB2312 …), then the open fonts that scripts/install-fonts.sh installs,
so a deployment that has the commercial fonts uses them without configuration. Each list can
be replaced through an environment variable (docs/notices.md):

    PINGTAI_FONT_BODY="仿宋_GB2312, FandolFang, Noto Serif CJK SC"

A family may carry ``:bold`` (Noto Serif CJK SC in bold stands in for 小标宋). Names are matched
against every name a font file carries, Chinese and English, so 仿宋_GB2312 and FangSong_GB2312
find the same font. No Django here.
"""

from __future__ import annotations

import os
from contextlib import suppress
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

ROLES: dict[str, tuple[str, str]] = {
    # role: (what the role is called in GB/T 9704, default families)
    "title": (
        "小标宋",
        "方正小标宋简体, 方正小标宋_GBK, FZXiaoBiaoSong-B05S, Noto Serif CJK SC:bold, FandolSong:bold",
    ),
    "body": (
        "仿宋",
        "仿宋_GB2312, FangSong_GB2312, 仿宋, FangSong, FandolFang, Noto Serif CJK SC",
    ),
    "heading": ("黑体", "黑体, SimHei, Noto Sans CJK SC, FandolHei, Noto Serif CJK SC:bold"),
    "subheading": (
        "楷体",
        "楷体_GB2312, KaiTi_GB2312, 楷体, KaiTi, FandolKai, AR PL UKai CN, Noto Serif CJK SC",
    ),
    "numeral": ("宋体", "宋体, SimSun, Noto Serif CJK SC, FandolSong"),
}
# Every role ends with these so that a character the chosen font lacks (a rare character in an
# enterprise's name) still prints, in a serif face.
LAST_RESORT = ("Noto Serif CJK SC", "Noto Sans CJK SC")


class FontMissing(RuntimeError):
    """No installed font can play a role; the message says what to install."""


@dataclass(frozen=True)
class Face:
    """One family of a role's list as configured: the name written into Word files."""

    name: str
    bold: bool = False


@dataclass(frozen=True)
class InstalledFont:
    family: str  # the family name the PDF writer knows it by
    path: str
    index: int  # position in a font collection (.ttc)
    weight: int


@dataclass(frozen=True)
class ResolvedRole:
    role: str
    configured: tuple[Face, ...]
    fonts: tuple[InstalledFont, ...]  # chosen font first, then glyph fallbacks
    bold: bool

    @property
    def families(self) -> list[str]:
        return list(dict.fromkeys(f.family for f in self.fonts))

    @property
    def word_name(self) -> str:
        """Word files name the role's first configured family: the face the reader's computer
        should use (a government PC has 仿宋_GB2312), whatever this server has installed."""
        return self.configured[0].name


def env_name(role: str) -> str:
    return f"PINGTAI_FONT_{role.upper()}"


def configured(role: str) -> tuple[Face, ...]:
    text = os.environ.get(env_name(role), "").strip() or ROLES[role][1]
    faces = []
    for item in text.split(","):
        name, _, style = item.strip().partition(":")
        if name.strip():
            faces.append(Face(name.strip(), style.strip().lower() == "bold"))
    return tuple(faces)


def font_dirs() -> list[str]:
    """Folders searched besides the system's: PINGTAI_FONT_DIRS (separated by ':')."""
    return [d for d in os.environ.get("PINGTAI_FONT_DIRS", "").split(":") if d]


@cache
def font_book(dirs: tuple[str, ...] = ()) -> Any:
    """The PDF writer's index of installed fonts (system folders and ``dirs``), built once
    per process: Typst's own fonts are left out, so every glyph comes from a font named
    here."""
    import typst

    return typst.Fonts(
        include_system_fonts=True, include_embedded_fonts=False, font_paths=list(dirs)
    )


def installed() -> tuple[InstalledFont, ...]:
    """Every font file the PDF writer can use."""
    return tuple(
        InstalledFont(f.family, f.path, f.index, f.weight)
        for f in font_book(tuple(font_dirs())).fonts()
        if f.path
    )


@cache
def _aliases() -> dict[str, list[InstalledFont]]:
    """Every family, full and typographic name in every language → the fonts carrying it."""
    from fontTools.ttLib import TTFont

    table: dict[str, list[InstalledFont]] = {}
    for font in installed():
        names = {font.family}
        # A font whose name table cannot be read is still found by its family name.
        with suppress(Exception):
            tt = TTFont(font.path, fontNumber=font.index, lazy=True)
            names |= {r.toUnicode() for r in tt["name"].names if r.nameID in (1, 4, 16)}
        for name in names:
            table.setdefault(_key(name), []).append(font)
    return table


def _key(name: str) -> str:
    return name.casefold().replace(" ", "")


def _pick(name: str, bold: bool) -> InstalledFont | None:
    candidates = _aliases().get(_key(name), [])
    if not candidates:
        return None
    wanted = 700 if bold else 400
    return min(candidates, key=lambda f: (abs(f.weight - wanted), f.path, f.index))


@cache
def _resolve(role: str, faces: tuple[Face, ...]) -> ResolvedRole:
    chosen = [(face, _pick(face.name, face.bold)) for face in faces]
    found = [(face, font) for face, font in chosen if font is not None]
    if not found:
        names = "、".join(face.name for face in faces)
        raise FontMissing(
            f"没有找到{ROLES[role][0]}字体（依次查找：{names}）。请运行 scripts/install-fonts.sh "
            f"安装开源公文字体，或用环境变量 {env_name(role)} 指定本机已安装的字体。"
        )
    bold = found[0][0].bold
    fonts = [font for _, font in found]
    for name in LAST_RESORT:
        extra = _pick(name, bold)
        if extra is not None:
            fonts.append(extra)
    return ResolvedRole(role, faces, tuple(dict.fromkeys(fonts)), bold)


def resolve(role: str) -> ResolvedRole:
    return _resolve(role, configured(role))


def resolve_all() -> dict[str, ResolvedRole]:
    return {role: resolve(role) for role in ROLES}


def word_names() -> dict[str, str]:
    """The family each role names in a Word file; needs no installed font."""
    return {role: configured(role)[0].name for role in ROLES}


class Metrics:
    """Advance widths of a role's fonts, to lay tables out from their content: a character
    takes the width it has in the first font of the role that contains it."""

    def __init__(self, role: ResolvedRole) -> None:
        self.role = role

    def width(self, text: str, size: float) -> float:
        """Width in points of ``text`` set in ``size`` pt, without kerning (an upper bound for
        CJK text, which has none)."""
        total = 0.0
        for char in text:
            # Fallback fonts are read only when the chosen one lacks a character.
            for font in self.role.fonts:
                advance = _advances(font.path, font.index).get(char)
                if advance is not None:
                    total += advance
                    break
            else:
                total += 1.0  # a character no font has prints as a full-width box
        return total * size


@lru_cache(maxsize=16)
def _advances(path: str, index: int) -> dict[str, float]:
    """Character → advance width in em; read lazily, one dict per font file."""
    from fontTools.ttLib import TTFont

    tt = TTFont(path, fontNumber=index, lazy=True)
    upem = tt["head"].unitsPerEm
    metrics = tt["hmtx"].metrics
    return {chr(code): metrics[glyph][0] / upem for code, glyph in tt.getBestCmap().items()}


def metrics(role: str) -> Metrics:
    return _metrics(resolve(role))


@cache
def _metrics(role: ResolvedRole) -> Metrics:
    return Metrics(role)
