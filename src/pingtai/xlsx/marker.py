"""The hidden marker sheet that ties a template to its form, period and scope."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass

MARKER_SHEET = "_pingtai"
INSTRUCTIONS_SHEET = "填表说明"
DATA_SHEET = "数据"
HEADER_ROWS = 2  # row 1: Chinese names, row 2: units


@dataclass(frozen=True)
class Marker:
    """What a template was generated for; ``signature`` is an HMAC over the other fields."""

    catalogue_version: str
    form: str
    fingerprint: str
    period: str
    scope_code: str
    scope_name: str
    generated_at: str
    signature: str = ""

    def payload(self) -> bytes:
        fields = asdict(self)
        fields.pop("signature")
        return json.dumps(fields, ensure_ascii=False, sort_keys=True).encode()

    def signed(self, key: bytes) -> Marker:
        digest = hmac.new(key, self.payload(), hashlib.sha256).hexdigest()
        return Marker(**{**asdict(self), "signature": digest})

    def verify(self, key: bytes) -> bool:
        expected = hmac.new(key, self.payload(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, self.signature)

    def rows(self) -> list[tuple[str, str]]:
        return list(asdict(self).items())

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> Marker | None:
        """Build from the sheet's key/value rows, or None when a field is missing."""
        names = cls.__dataclass_fields__
        if any(not isinstance(values.get(n), str) or not values.get(n) for n in names):
            return None
        return cls(**{n: values[n] for n in names})
