"""Stream behind the judge: release generated text only once the judge has passed it.

With the judge on, tokens are buffered and released a sentence at a time after the
judge's cheap incremental check (``nodes.judge.judge_text``) passes the text so far.
Anything the check would redact or block stays held; the final, fully judged answer is
then released by :meth:`JudgedRelease.finish` (as a continuation when it extends what was
shown, else as a ``replace`` marker followed by the whole judged answer).
"""

from __future__ import annotations

import re
from typing import Any

from nodes.context import TwinContext

SENTENCE_END = re.compile(r"[.!?…](?:[\"')\]]*)\s+|\n")
REPLACE = "\x00replace\x00"  # marker: drop what was shown, the judged answer follows


class JudgedRelease:
    def __init__(self, ctx: TwinContext, question: str, judged: bool) -> None:
        self.ctx = ctx
        self.question = question
        self.judged = judged
        self.sources: list[dict[str, Any]] = []
        self.grounded = False  # the question went to the notes: partial text is held to them too
        self.skipped_notes = False  # the analyzer sent it past the notes: no fact about the person
        self.note_similarity = 0.0  # ...though its best note was this close to the question
        self.buffer = ""  # all generated text so far
        self.released = ""  # what the caller has been given
        self.held = False  # the judge objected to the text so far: release nothing more

    def _passes(self, text: str) -> bool:
        from nodes.judge import judge_text

        return judge_text(self.ctx, self.question, text, self.sources, grounded=self.grounded,
                          skipped_notes=self.skipped_notes, note_similarity=self.note_similarity)["verdict"] == "pass"

    def restart(self) -> None:
        """A second generation attempt starts: its text replaces the first one's. Whatever was
        released already stays on screen until ``finish`` continues or replaces it."""
        self.buffer = ""
        if self.released.strip():
            self.held = True

    def feed(self, token: str) -> list[str]:
        self.buffer += token
        if not self.judged:
            self.released += token
            return [token]
        if self.held:
            return []
        ends = list(SENTENCE_END.finditer(self.buffer))
        if not ends:
            return []
        upto = ends[-1].end()
        if upto <= len(self.released):
            return []
        candidate = self.buffer[:upto]
        if not self._passes(candidate):
            self.held = True
            return []
        new = candidate[len(self.released):]
        self.released = candidate
        return [new]

    def finish(self, answer: str) -> list[str]:
        """Release the judged final answer (continuing or replacing what was shown)."""
        if not self.judged:
            return []
        shown = self.released.lstrip()
        self.released = answer
        if not shown.strip():
            return [answer] if answer else []
        if answer.startswith(shown):
            rest = answer[len(shown):]
        elif answer.startswith(shown.rstrip()):
            rest = answer[len(shown.rstrip()):].lstrip()
        else:
            return [REPLACE, answer]
        return [rest] if rest else []
