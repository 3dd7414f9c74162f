"""One guardrails ``Guard`` holding every switched-on check, and reading its verdict.

Blocking checks run with ``on_fail="noop"`` (the judge decides what to say instead);
PII runs with ``on_fail="fix"`` so the Guard's validated output is the redacted answer.
The Guard is built once per process and configured with metrics collection off; the
rc settings it reloads are switched off too, so no validator starts hub telemetry.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from guardrails import Guard, Validator
from guardrails.settings import settings

FIX_CHECKS = {"twin/pii"}
NOT_BLOCKING = ("pii", "grounding")  # PII is redacted; an unsupported answer is answered again
CHECK_NAMES = {
    "twin/private_leak": "private_leak",
    "twin/pii": "pii",
    "twin/off_limits": "off_limits",
    "twin/context_leak": "context_leak",
    "guardrails/detect_system_prompt_leakage": "context_leak",
    "twin/injection": "injection",
    "twin/grounding": "grounding",
}
# Which refusal a blocking check calls for (prompts/refusal.md sections).
REFUSAL_KIND = {"private_leak": "private", "off_limits": "off_limits", "context_leak": "sysprompt",
                "injection": "injection"}


def new_guard() -> Guard:
    """A Guard with anonymous metrics off, for good (no telemetry thread, no exit delay)."""
    guard = Guard()
    guard.configure(allow_metrics_collection=False)
    settings.rc.enable_metrics = False  # configure() re-read ~/.guardrailsrc, whose default is on
    settings.rc.use_remote_inferencing = False
    return guard


@dataclass
class Finding:
    check: str  # private_leak | pii | off_limits | context_leak | injection | grounding
    reason: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class GuardOutcome:
    text: str  # the validated output (PII redacted)
    findings: list[Finding]

    @property
    def blocking(self) -> list[Finding]:
        return [f for f in self.findings if f.check not in NOT_BLOCKING and not f.meta.get("requote")]

    @property
    def requote(self) -> bool:
        """A finding asks for a short quote in place of the answer (a plain dump of a note)."""
        return any(f.meta.get("requote") for f in self.findings)

    @property
    def unsupported(self) -> list[str]:
        """Content words the grounding check found in no retrieved note."""
        return [w for f in self.findings if f.check == "grounding" for w in f.meta.get("unsupported", [])]


class ComposedGuard:
    """Thread-safe wrapper: validate text, return what each failing check said."""

    def __init__(self, validators: list[Validator]) -> None:
        self.guard = new_guard()
        self.names = [v.rail_alias for v in validators]
        if validators:
            self.guard.use(*validators)
        self._lock = threading.Lock()

    def run(self, text: str, metadata: dict[str, Any]) -> GuardOutcome:
        if not self.names:
            return GuardOutcome(text, [])
        with self._lock:
            outcome = self.guard.validate(text, metadata=metadata)
            logs = self.guard.history.last.iterations.last.validator_logs
        findings = []
        for log in logs:
            result = log.validation_result
            if result is None or getattr(result, "outcome", "pass") != "fail":
                continue
            check = CHECK_NAMES.get(log.registered_name, log.registered_name)
            message = result.error_message or check
            if log.registered_name.startswith("guardrails/"):
                message = "context_leak: answer resembles the whole system prompt"
            findings.append(Finding(check, message, dict(result.metadata or {})))
        validated = outcome.validated_output if isinstance(outcome.validated_output, str) else text
        return GuardOutcome(validated, findings)
