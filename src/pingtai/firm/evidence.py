"""Evidence files of an objection: PDF, PNG/JPEG images or .xlsx, size-limited and checked by
their content (never by their name alone) before anything is stored; stored once under their
SHA-256 (docs/enterprise.md, "Evidence"). Hostile files are refused with a Chinese message and
leave nothing behind."""

from __future__ import annotations

import io
import re
import unicodedata
import warnings
from dataclasses import dataclass

from pingtai.core.refusal import Refused

MAX_BYTES = 10 * 2**20
MAX_FILES = 5
MAX_PIXELS = 40_000_000  # a scanned A3 page at 600 dpi is about 70 Mpx in colour; 40 is plenty
KINDS = {
    "pdf": ("application/pdf", (".pdf",)),
    "png": ("image/png", (".png",)),
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "xlsx": (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        (".xlsx",),
    ),
}
ACCEPTED = "只接受 PDF、PNG 或 JPEG 图片、Excel（.xlsx）文件"
# Active content a PDF reader may run or open: refused, an evidence file is for reading only.
_PDF_ACTIVE = re.compile(rb"/(JavaScript|JS|Launch|EmbeddedFile|RichMedia|XFA|SubmitForm)\b")


@dataclass(frozen=True)
class Evidence:
    filename: str
    kind: str
    content: bytes

    @property
    def content_type(self) -> str:
        return KINDS[self.kind][0]


def safe_filename(name: str) -> str:
    """The last path component, without control or format characters, at most 100 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    cleaned = "".join(ch for ch in base if unicodedata.category(ch)[0] != "C").strip(" .")
    return cleaned[-100:] or "证明材料"


def _sniff(content: bytes) -> str | None:
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        return "xlsx"
    return None


def _check_pdf(name: str, content: bytes) -> None:
    if b"%%EOF" not in content[-2048:]:
        raise Refused(f"“{name}”不是完整的 PDF 文件（可能已损坏）", code="evidence_corrupt")
    if b"/Encrypt" in content:
        raise Refused(f"“{name}”已加密，请提供未加密的 PDF", code="evidence_encrypted")
    if _PDF_ACTIVE.search(content):
        raise Refused(
            f"“{name}”含有脚本、附件或可执行动作，系统不接受；请另存为普通 PDF 或扫描件后再上传",
            code="evidence_active",
        )


def _check_image(name: str, content: bytes, kind: str) -> None:
    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(content)) as image:
                if image.format != {"png": "PNG", "jpeg": "JPEG"}[kind]:
                    raise Refused(f"“{name}”的内容与格式不符", code="evidence_type")
                width, height = image.size
                if width * height > MAX_PIXELS:
                    raise Refused(
                        f"“{name}”的像素过多（{width}×{height}），请缩小后再上传",
                        code="evidence_too_large",
                    )
                image.verify()
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise Refused(
            f"“{name}”的像素过多，疑似“图片炸弹”，系统拒绝处理", code="evidence_bomb"
        ) from None
    except Exception:  # any decoder error means the image is unreadable
        raise Refused(
            f"“{name}”不是可读的图片文件（可能已损坏）", code="evidence_corrupt"
        ) from None


def _check_xlsx(content: bytes) -> None:
    from pingtai.xlsx.guard import inspect

    inspect(content)  # zip bombs, encryption, macros, external parts … (RefusedFile is Refused)


def check_evidence(filename: str, content: bytes) -> Evidence:
    """The file as it will be stored, or ``Refused`` naming the file and what is wrong."""
    name = safe_filename(filename)
    if not content:
        raise Refused(f"“{name}”是空文件", code="evidence_empty")
    if len(content) > MAX_BYTES:
        raise Refused(
            f"“{name}”大小 {len(content) / 2**20:.1f} MB，超过上限 {MAX_BYTES // 2**20} MB",
            code="evidence_too_large",
        )
    kind = _sniff(content)
    if kind is None:
        raise Refused(f"“{name}”的格式不受支持：{ACCEPTED}", code="evidence_type")
    if not name.lower().endswith(KINDS[kind][1]):
        raise Refused(
            f"“{name}”的扩展名与内容不符（内容为 {kind.upper()}）：{ACCEPTED}",
            code="evidence_type",
        )
    if kind == "pdf":
        _check_pdf(name, content)
    elif kind == "xlsx":
        _check_xlsx(content)
    else:
        _check_image(name, content, kind)
    return Evidence(name, kind, content)


def check_all(files: list[tuple[str, bytes]]) -> list[Evidence]:
    if len(files) > MAX_FILES:
        raise Refused(f"证明材料最多 {MAX_FILES} 个文件", code="evidence_too_many")
    return [check_evidence(name, content) for name, content in files]
