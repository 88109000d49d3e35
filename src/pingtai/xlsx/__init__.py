"""Excel templates, guarded and validated import, error marking and safe export (no Django)."""

from pingtai.xlsx.export import (
    DEMO_LABEL,
    Column,
    Properties,
    Sheet,
    escape_unwritable,
    neutralise,
    safe_text,
    stable_zip,
    write_table_csv,
    write_table_xlsx,
    write_workbook_xlsx,
)
from pingtai.xlsx.guard import Limits, RefusedFile
from pingtai.xlsx.mark import mark_errors
from pingtai.xlsx.marker import Marker
from pingtai.xlsx.read import ImportOutcome, Row, read_upload
from pingtai.xlsx.template import write_template
from pingtai.xlsx.validate import Confirmation, Issue

__all__ = [
    "DEMO_LABEL",
    "Column",
    "Confirmation",
    "ImportOutcome",
    "Issue",
    "Limits",
    "Marker",
    "Properties",
    "RefusedFile",
    "Row",
    "Sheet",
    "escape_unwritable",
    "mark_errors",
    "neutralise",
    "read_upload",
    "safe_text",
    "stable_zip",
    "write_table_csv",
    "write_table_xlsx",
    "write_template",
    "write_workbook_xlsx",
]
