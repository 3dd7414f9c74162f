"""PII redaction: emails, phones, addresses, bank/card/ID numbers and credentials are
replaced by ``[redacted]`` unless the same string appears in a public note (the owner's
contact email) or in the retrieved (public) sources of this answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from guardrails import Validator, register_validator
from guardrails.classes.validation.validation_result import ErrorSpan, FailResult, PassResult, ValidationResult

from kb.fingerprints import Fingerprints, normalise_pii
from privacy.pii_patterns import PiiMatch, find_pii
from privacy.views import fold

MASK = "[redacted]"


def private_pii(text: str, fp: Fingerprints, sources: list[str]) -> list[PiiMatch]:
    """PII spans of ``text`` that are not public."""
    allowed = {normalise_pii(m.value) for s in sources for m in find_pii(s)}
    return [m for m in find_pii(text) if not fp.is_public_string(m.value) and normalise_pii(m.value) not in allowed]


def redact(text: str, matches: list[PiiMatch]) -> str:
    for m in sorted(matches, key=lambda m: m.start, reverse=True):
        text = text[: m.start] + MASK + text[m.end :]
    return text


def redact_pii(text: str, fp: Fingerprints, sources: list[str]) -> tuple[str, list[str]]:
    """(redacted text, kinds redacted). Look-alike/zero-width tricks are folded first."""
    matches = private_pii(text, fp, sources)
    folded = fold(text)
    if folded != text and len(private_pii(folded, fp, sources)) > len(matches):
        text, matches = folded, private_pii(folded, fp, sources)
    return redact(text, matches), sorted({m.kind for m in matches})


@register_validator(name="twin/pii", data_type="string")
class PiiRedactor(Validator):
    """Fix-type validator: the fixed value is the answer with private PII redacted."""

    def __init__(self, fingerprints: Callable[[], Fingerprints], on_fail: Any = "fix", **kwargs: Any) -> None:
        super().__init__(on_fail=on_fail, **kwargs)
        self.fingerprints = fingerprints

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        text = str(value)
        sources = metadata.get("source_texts", [])
        matches = private_pii(text, self.fingerprints(), sources)
        fixed, kinds = redact_pii(text, self.fingerprints(), sources)
        if not kinds:
            return PassResult()
        spans = [ErrorSpan(start=m.start, end=m.end, reason=f"pii:{m.kind}") for m in matches]
        return FailResult(error_message=f"pii: redacted {', '.join(kinds)}", fix_value=fixed,
                          error_spans=spans or None, metadata={"kind": "pii"})
