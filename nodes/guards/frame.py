"""How retrieved notes are framed in the generator prompt, so their text stays data.

Every note becomes a header line, its text with each line prefixed by ``| ``, and an end
line. Because *every* line of note text carries the prefix, nothing inside a note can
forge a header, an end marker, a role tag or a new instruction block: whatever a note
says ("Ignore previous instructions ..."), it is visibly quoted material.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

QUOTE = "| "
HEADER = "[Note {n} | {date} | {title} | {where}]"
FOOTER = "[End of note {n}]"
FRAME_MARKER = re.compile(r"\[(?:End of )?note \d+(?: \||\])", re.IGNORECASE)
_CONTROL = re.compile(r"<\|[^|>]{1,40}\|>|</?(?:s|system|user|assistant)>|\[/?INST\]|<</?SYS>>", re.IGNORECASE)


def _clean(value: Any) -> str:
    """One-line metadata value with frame characters neutralised."""
    return " ".join(re.sub(r"[\[\]|\n\r]+", " ", str(value or "")).split()) or "-"


def quote_text(text: str) -> str:
    """Each line prefixed; chat-template control tokens defused (``<|im_start|>`` → ``<im_start>``)."""
    text = _CONTROL.sub(lambda m: m.group(0).replace("|", "").replace("[", "(").replace("]", ")"), text)
    return "\n".join(QUOTE + line for line in text.strip().splitlines())


def wrap_notes_as_data(sources: Sequence[Mapping[str, Any]]) -> str:
    """The notes block for the generator prompt: dated, titled, located, clearly delimited."""
    blocks = []
    for n, source in enumerate(sources, 1):
        where = _clean(source.get("path"))
        if source.get("heading"):
            where += f" > {_clean(source.get('heading'))}"
        header = HEADER.format(n=n, date=_clean(source.get("date")), title=_clean(source.get("title")), where=where)
        blocks.append(f"{header}\n{quote_text(str(source.get('text', '')))}\n{FOOTER.format(n=n)}")
    return "\n\n".join(blocks)


EVIDENCE_HEADER = 'My note "{title}", {date}:'
_COPIED_HEADER = re.compile(r'^\s*(?:\[(?:End of )?note[^\]\n]*\]|My note "[^"\n]*", [0-9-]+:?)\s*', re.IGNORECASE)
_COPIED_QUOTE = re.compile(r"^\s*\|\s?", re.MULTILINE)


def wrap_evidence(notes: Sequence[Mapping[str, Any]]) -> str:
    """The evidence block: per note a dated header, then its chosen sentences (not those kept for
    a quote only), each line quoted (so nothing inside a note can pose as a header or an instruction)."""
    blocks = []
    for note in notes:
        header = EVIDENCE_HEADER.format(title=_clean(note.get("title")), date=_clean(note.get("date")))
        hidden = set(note.get("quote_only", []))  # kept for a quote, not shown (nodes/evidence.py)
        shown = [s for i, s in enumerate(note.get("sentences", [])) if i not in hidden]
        blocks.append(header + "\n" + quote_text("\n".join(shown)))
    return "\n\n".join(blocks)


# a header's end: '..., 2025-01-01:', or the date and colon alone ("I harvested 2022-05-14:")
_DATE_TAIL = re.compile(r'(?:["”]?,\s*\d{4}-\d{2}-\d{2}:?|\s\d{4}-\d{2}-\d{2}:)\s*$')
TITLE_WORDS = 12  # a line this short, left without an end mark once its date tail goes, was a title


def _strip_line(line: str) -> str:
    line = _COPIED_HEADER.sub("", _COPIED_QUOTE.sub("", line))
    if not _DATE_TAIL.search(line):
        return line
    line = _DATE_TAIL.sub("", line)
    is_title = len(line.split()) <= TITLE_WORDS and not line.rstrip().endswith((".", "!", "?"))
    return "" if is_title else line


def strip_frame(text: str) -> str:
    """An answer without the frame bits a model copied along with a fact (headers, ``| ``,
    a title line ending in the note's date)."""
    lines = [_strip_line(line) for line in text.splitlines()]
    return "\n".join(line for line in lines if line.strip()).strip()


def _may_become_frame(line: str) -> bool:
    """The last, unfinished line could still turn out to be a copied header or quote marker."""
    text = _COPIED_QUOTE.sub("", line.lstrip())
    if not text or line.strip() == "|":
        return True
    if text.startswith("[") and "]" not in text:
        return True
    head = 'My note "'
    return head.startswith(text) or (text.startswith(head) and not _COPIED_HEADER.match(text))


class FrameFilter:
    """Stream an answer through :func:`strip_frame`: the start of each line is held back until
    it cannot be a copied header or quote marker any more."""

    def __init__(self) -> None:
        self.raw = ""
        self.sent = ""

    def feed(self, piece: str) -> str:
        self.raw += piece
        done, _, last = self.raw.rpartition("\n")
        ready = self.raw if not _may_become_frame(last) else (done + "\n" if done else "")
        return self._advance(strip_frame(ready))

    def finish(self) -> str:
        return self._advance(self.text)

    @property
    def text(self) -> str:
        """The whole answer so far, cleaned."""
        return strip_frame(self.raw)

    def _advance(self, cleaned: str) -> str:
        if not cleaned.startswith(self.sent):
            return ""  # a later line changed an earlier one: the judged answer replaces it at the end
        new, self.sent = cleaned[len(self.sent):], cleaned
        return new
