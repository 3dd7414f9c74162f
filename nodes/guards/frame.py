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
