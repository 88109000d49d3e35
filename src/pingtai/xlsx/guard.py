"""Refuse hostile or broken files before any spreadsheet library parses them (docs/standards.md §5).

The guard decompresses every entry itself, bounded by the limits, and the reader hands the
spreadsheet parser a zip rebuilt from exactly the parts inspected here, so no difference between
two zip implementations can smuggle an unchecked part past it.
"""

from __future__ import annotations

import io
import re
import struct
import tempfile
import typing
import zipfile
import zlib
from array import array
from dataclasses import dataclass, field
from xml.parsers import expat

import openpyxl.xml

from pingtai.core.refusal import Refused

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
_ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", CFB_MAGIC, b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!")
_CHUNK = 1 << 20
_XML_SUFFIXES = (".xml", ".rels", ".vml")

if openpyxl.xml.DEFUSEDXML is not True:  # docs/standards.md §5: parse through defusedxml.
    raise ImportError(
        "openpyxl 未启用 defusedxml：请安装 defusedxml，且不要设置 OPENPYXL_DEFUSEDXML"
    )


class RefusedFile(Refused):
    """The upload is refused as a whole; ``message`` is Chinese and fit to show the uploader."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message, code=f"file_{reason}")
        self.reason = reason


@dataclass(frozen=True)
class Limits:
    """Caps applied before and during parsing; every one is checked on every upload."""

    max_file_bytes: int = 30 * 2**20
    # Every XML part is held in memory while it is scanned, so these caps are part of the
    # 300 MB budget of one upload (docs/import.md, Limits). A 200,000 × 7 enterprise sheet
    # written by Excel or openpyxl is about 70 MB.
    max_total_uncompressed: int = 160 * 2**20
    max_entry_uncompressed: int = 150 * 2**20
    max_entries: int = 300
    max_rows: int = 200_000
    max_columns: int = 100
    # The parser allocates the sheet's whole rectangle (rows × columns), empty cells included.
    max_cells: int = 800_000
    # Excel's own limit on the text of one cell (Excel specifications and limits).
    max_cell_chars: int = 32_767
    # All text of the workbook after every shared-string reference is expanded: one shared
    # string referenced from every cell would otherwise multiply inside the parser.
    max_text_chars: int = 16_000_000
    # Past this many cell errors the rest of the file is not checked; the list is long enough.
    max_errors: int = 5000
    # Compression ratio is only checked on entries larger than this; tiny parts compress a lot.
    ratio_floor_bytes: int = 2**20
    # Per entry type, because one global minimum false-positives on a legitimate styles.xml.
    max_ratio: dict[str, int] = field(
        default_factory=lambda: {
            "xl/worksheets/": 200,
            "xl/sharedStrings.xml": 200,
            "xl/styles.xml": 400,
            "": 100,
        }
    )

    def ratio_limit(self, name: str) -> int:
        prefix = max((p for p in self.max_ratio if name.startswith(p)), key=len)
        return self.max_ratio[prefix]


@dataclass
class Package:
    """The inspected zip: every XML part decompressed, plus the names of the other entries."""

    parts: dict[str, bytes]
    binary_names: tuple[str, ...]
    # Length in characters of each shared string, in table order (empty without a table).
    shared_lengths: array = field(default_factory=lambda: array("q"))

    def rebuilt(self) -> bytes:
        """A stored (uncompressed) zip of the inspected XML parts, for the spreadsheet parser."""
        out = io.BytesIO()
        self.write_rebuilt(out)
        return out.getvalue()

    def write_rebuilt(self, out: typing.IO[bytes]) -> None:
        """Write the rebuilt zip to ``out`` (a temporary file keeps it out of memory)."""
        with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
            for name, content in self.parts.items():
                archive.writestr(name, content)

    def rebuilt_file(self) -> typing.IO[bytes]:
        """The rebuilt zip in a temporary file (removed when closed), for a parser that reads
        parts from disk as it needs them instead of holding a second copy in memory."""
        handle = tempfile.NamedTemporaryFile(suffix=".xlsx")  # noqa: SIM115 - caller closes
        self.write_rebuilt(handle)
        handle.flush()
        return handle


def _refuse(message: str, reason: str) -> RefusedFile:
    return RefusedFile(message, reason=reason)


def _sniff(data: bytes, limits: Limits) -> None:
    if not data:
        raise _refuse("文件为空。", "empty")
    if len(data) > limits.max_file_bytes:
        raise _refuse(
            f"文件大小 {len(data) / 2**20:.1f} MB 超过上限 {limits.max_file_bytes / 2**20:.0f} MB。",
            "file_too_large",
        )
    if data.startswith(CFB_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data or b"EncryptedPackage" in data:
            raise _refuse(
                "文件已加密（设置了打开密码）。请在 Excel 中取消密码保护后另存为 .xlsx 再上传。",
                "encrypted",
            )
        raise _refuse(
            "文件是旧版 Excel 97-2003（.xls）格式，不是 .xlsx。请用本系统下载的模板填写，"
            "或在 Excel 中“另存为”Excel 工作簿（*.xlsx）后再上传。",
            "xls",
        )
    if data.startswith(ZIP_MAGIC):
        return
    head = data[:4096].lstrip(b"\xef\xbb\xbf").lstrip()
    if head[:1] == b"<":
        raise _refuse(
            "文件是网页（HTML/XML）格式，只是扩展名为 Excel。请在 Excel 中另存为 .xlsx 后再上传。",
            "html",
        )
    try:
        head.decode("utf-8")
        is_text = b"\x00" not in head
    except UnicodeDecodeError:
        try:
            head.decode("gb18030")
            is_text = b"\x00" not in head
        except UnicodeDecodeError:
            is_text = False
    if is_text:
        raise _refuse(
            "文件是文本（CSV）格式，只是扩展名被改成了 .xlsx。请使用本系统下载的 Excel 模板填写后上传。",
            "csv",
        )
    raise _refuse(
        "文件不是有效的 Excel（.xlsx）文件。请使用本系统下载的模板填写后上传。", "not_xlsx"
    )


def _check_name(name: str) -> None:
    lower = name.lower()
    if "vbaproject" in lower:
        raise _refuse(
            "文件含有宏（VBA），系统不接受启用宏的工作簿。请另存为不含宏的 .xlsx 后再上传。",
            "macro",
        )
    if lower.startswith("xl/externallinks/"):
        raise _refuse(
            "文件含有指向其他工作簿的外部链接。请在 Excel 中“数据 → 编辑链接 → 断开链接”后再上传。",
            "external_link",
        )
    # Excel stores page-setup printer settings as .bin parts; they are inert and very common.
    if lower.startswith(("xl/embeddings/", "xl/activex/")) or (
        lower.endswith(".bin") and not lower.startswith("xl/printersettings/")
    ):
        raise _refuse(
            "文件含有嵌入对象或控件，系统不接受。请只保留表格数据后再上传。", "embedded_object"
        )
    if lower.endswith((".zip", ".xlsx", ".xlsm", ".xls", ".docx", ".rar", ".7z", ".gz", ".jar")):
        raise _refuse("文件中嵌套了其他压缩包或文档，系统不接受。", "nested_archive")


def _check_xml_prolog(name: str, first: bytes) -> None:
    head = first[:200]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head:
        raise _refuse(
            f"文件内部部件 {name} 不是 UTF-8 编码，可能被篡改，系统不接受。", "xml_encoding"
        )
    declared = re.match(rb'\s*<\?xml[^>]*encoding=["\']([^"\']+)', head.lstrip(b"\xef\xbb\xbf"))
    if declared and declared[1].lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise _refuse(
            f"文件内部部件 {name} 不是 UTF-8 编码，可能被篡改，系统不接受。", "xml_encoding"
        )


class _SharedStrings:
    """Measure a shared-string table while expat checks it, refusing as soon as one string
    or the table as a whole is too long — before any parser expands references to it.

    Installed on every XML part; it switches itself off unless the root element is ``sst``,
    whatever the part is called, since the workbook's relationships choose the part.
    """

    def __init__(self, parser: expat.XMLParserType, limits: Limits) -> None:
        self.parser, self.limits = parser, limits
        self.lengths: array = array("q")
        self.total = 0
        self.current = -1  # length of the <si> being read; -1 outside one
        parser.buffer_text = True
        parser.StartElementHandler = self._root

    def _root(self, name: str, _attrs: object) -> None:
        if name.rsplit(":", 1)[-1] != "sst":
            self.parser.StartElementHandler = None
            return
        self.parser.StartElementHandler = self._start
        self.parser.EndElementHandler = self._end
        self.parser.CharacterDataHandler = self._text

    def _start(self, name: str, _attrs: object) -> None:
        if name.rsplit(":", 1)[-1] == "si":
            self.current = 0

    def _end(self, name: str) -> None:
        if name.rsplit(":", 1)[-1] == "si" and self.current >= 0:
            self.lengths.append(self.current)
            self.current = -1

    def _text(self, text: str) -> None:
        if self.current < 0:
            return
        self.current += len(text)
        self.total += len(text)
        if self.current > self.limits.max_cell_chars:
            raise cell_text_too_long(self.limits)
        if self.total > self.limits.max_text_chars:
            raise text_too_long(self.limits)


def cell_text_too_long(limits: Limits) -> RefusedFile:
    return _refuse(
        f"文件中有单元格的文字超过 {limits.max_cell_chars:,} 个字符（Excel 单元格的上限），"
        "不是正常填写的报表，系统拒绝处理。请检查后重新上传。",
        "cell_text_too_long",
    )


def text_too_long(limits: Limits) -> RefusedFile:
    return _refuse(
        f"文件中的文字总量（含重复引用的共享文字）超过 {limits.max_text_chars:,} 个字符的上限，"
        "系统拒绝处理。请只保留需要填报的数据后重新上传。",
        "too_much_text",
    )


def _read_entry(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, budget: int, limits: Limits
) -> tuple[bytes, int, array]:
    """Decompress one entry in chunks, stopping at the budget whatever the header claims.

    Return the content of XML parts (binary parts are only measured), the decompressed size
    and, for a shared-string table, the length of each string.
    """
    chunks: list[bytes] = []
    size = 0
    is_xml = info.filename.lower().endswith(_XML_SUFFIXES)
    # Lenient parsers accept broken XML that Excel and openpyxl reject, so insist on well-formed
    # parts. Legacy VML drawings (cell comments) are often not well-formed even from Excel.
    parser = expat.ParserCreate() if is_xml and not info.filename.lower().endswith(".vml") else None
    shared = None
    if parser is not None:
        parser.StartDoctypeDeclHandler = _no_doctype
        shared = _SharedStrings(parser, limits)
    tail = b""
    with archive.open(info) as stream:
        while chunk := stream.read(_CHUNK):
            if size == 0:
                if is_xml:
                    _check_xml_prolog(info.filename, chunk)
                elif chunk.startswith(_ARCHIVE_MAGIC):
                    raise _refuse("文件中嵌套了其他压缩包或文档，系统不接受。", "nested_archive")
            size += len(chunk)
            if size > budget:
                raise _refuse(
                    "文件解压后体积异常巨大（疑似“压缩炸弹”），系统拒绝处理。",
                    "zip_bomb",
                )
            if is_xml:
                window = tail + chunk
                # DTDs have no place in OOXML; refusing them stops billion-laughs and XXE outright.
                if b"<!DOCTYPE" in window or b"<!ENTITY" in window:
                    raise _refuse(
                        f"文件内部部件 {info.filename} 含有 XML 实体声明（DOCTYPE/ENTITY），"
                        "这是一种已知的攻击手法，系统拒绝处理。",
                        "xml_entity",
                    )
                tail = chunk[-16:]
                chunks.append(chunk)
                if parser is not None:
                    _feed(parser, info.filename, chunk, final=False)
    if parser is not None:
        _feed(parser, info.filename, b"", final=True)
    return b"".join(chunks), size, shared.lengths if shared is not None else array("q")


def _no_doctype(*_: object) -> None:
    raise _refuse(
        "文件内部部件含有 XML 实体声明（DOCTYPE/ENTITY），这是一种已知的攻击手法，系统拒绝处理。",
        "xml_entity",
    )


def _feed(parser: expat.XMLParserType, name: str, chunk: bytes, *, final: bool) -> None:
    try:
        parser.Parse(chunk, final)
    except expat.ExpatError:
        raise _refuse(
            f"文件内部部件 {name} 的 XML 格式错误，文件可能已损坏。请用 Excel 重新保存后再上传。",
            "corrupt",
        ) from None


def inspect(data: bytes, limits: Limits | None = None) -> Package:
    """Check ``data`` is a safe, bounded .xlsx and return its decompressed XML parts.

    Raise ``RefusedFile`` with a Chinese message for anything else.
    """
    limits = limits or Limits()
    _sniff(data, limits)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        if len(infos) > limits.max_entries:
            raise _refuse(
                f"文件内部部件过多（{len(infos)} 个，上限 {limits.max_entries}）。",
                "too_many_entries",
            )
        names = [i.filename for i in infos]
        if len(set(names)) != len(names):
            raise _refuse("文件内部有重名部件，可能被篡改，系统不接受。", "duplicate_entry")
        if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
            raise _refuse(
                "文件不是有效的 Excel 工作簿（缺少工作簿结构）。请使用本系统下载的模板。",
                "not_xlsx",
            )
        declared_total = 0
        for info in infos:
            _check_name(info.filename)
            if info.flag_bits & 0x1:
                raise _refuse(
                    "文件已加密（设置了打开密码）。请在 Excel 中取消密码保护后另存为 .xlsx 再上传。",
                    "encrypted",
                )
            declared_total += info.file_size
            too_big = info.file_size > limits.max_entry_uncompressed
            ratio = info.file_size / max(info.compress_size, 1)
            if (
                too_big
                or declared_total > limits.max_total_uncompressed
                or (
                    info.file_size > limits.ratio_floor_bytes
                    and ratio > limits.ratio_limit(info.filename)
                )
            ):
                raise _refuse(
                    "文件解压后体积异常巨大（疑似“压缩炸弹”），系统拒绝处理。", "zip_bomb"
                )
        parts: dict[str, bytes] = {}
        binary: list[str] = []
        shared_lengths = array("q")
        spent = 0
        for info in infos:
            if info.is_dir():
                continue
            budget = min(
                limits.max_entry_uncompressed, limits.max_total_uncompressed - spent, info.file_size
            )
            content, size, lengths = _read_entry(archive, info, budget, limits)
            spent += size
            if lengths:
                # Two tables (only a crafted file has them): the relationships choose one, so
                # bound each reference by the longer of the two strings at its index.
                for i in range(min(len(shared_lengths), len(lengths))):
                    shared_lengths[i] = max(shared_lengths[i], lengths[i])
                shared_lengths.extend(lengths[len(shared_lengths) :])
            if info.filename.lower().endswith(_XML_SUFFIXES):
                parts[info.filename] = content
            else:
                binary.append(info.filename)
    except RefusedFile:
        raise
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        NotImplementedError,
        RuntimeError,
        struct.error,
        UnicodeDecodeError,
    ):
        raise _refuse(
            "文件已损坏，无法作为 Excel 工作簿读取。请重新保存或重新下载模板后再上传。", "corrupt"
        ) from None
    content_types = parts.get("[Content_Types].xml", b"")
    if b"macroEnabled" in content_types or b"vbaProject" in content_types:
        raise _refuse(
            "文件含有宏（VBA），系统不接受启用宏的工作簿。请另存为不含宏的 .xlsx 后再上传。",
            "macro",
        )
    return Package(parts=parts, binary_names=tuple(binary), shared_lengths=shared_lengths)
