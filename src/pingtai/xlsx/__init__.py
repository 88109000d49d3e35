"""Excel templates, guarded and validated import, error marking and safe export (no Django)."""

from pingtai.xlsx.export import (
    escape_unwritable,
    neutralise,
    safe_text,
    write_table_csv,
    write_table_xlsx,
)
from pingtai.xlsx.guard import Limits, RefusedFile
from pingtai.xlsx.mark import mark_errors
from pingtai.xlsx.marker import Marker
from pingtai.xlsx.read import ImportOutcome, Row, read_upload
from pingtai.xlsx.template import write_template
from pingtai.xlsx.validate import Confirmation, Issue

__all__ = [
    "Confirmation",
    "ImportOutcome",
    "Issue",
    "Limits",
    "Marker",
    "RefusedFile",
    "Row",
    "escape_unwritable",
    "mark_errors",
    "neutralise",
    "read_upload",
    "safe_text",
    "write_table_csv",
    "write_table_xlsx",
    "write_template",
]
