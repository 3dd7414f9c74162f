"""Split a note along its markdown structure: headings first, then paragraphs to a size limit.

Each chunk carries the note title and its heading path ("A > B"). Fenced code blocks are
never split by the heading parser (a ``#`` comment inside code is not a heading) and are
kept whole when they fit. Chunk ids are stable: a hash of path, position and content, so
re-ingesting an unchanged note produces the same ids. A chunk also carries its source
(the label of the notes folder it came from), part of its id: the same relative path in
two folders gives two notes.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from kb.notes import Note

_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")


@dataclass
class Chunk:
    id: str
    note_path: str
    title: str
    date: str
    heading: str  # "A > B"
    position: int
    text: str
    tags: list[str] = field(default_factory=list)  # the note's tags (embedded with the text)
    source: str = ""  # label of the notes folder (kb.state.registered_sources)

    @property
    def embed_text(self) -> str:
        """What gets embedded: title, heading path and tags give the text its context
        (measured on the sample notes: hit@1 15/20 -> 17/20 with them)."""
        context = self.heading if self.heading.startswith(self.title) else f"{self.title} > {self.heading}"
        lines = [context.rstrip(" >")]
        if self.tags:
            lines.append("Tags: " + ", ".join(self.tags))
        return "\n".join(lines) + "\n\n" + self.text


@dataclass
class Section:
    heading: str
    lines: list[str]


def content_hash(text: str) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def chunk_id(path: str, position: int, digest: str, source: str = "") -> str:
    key = f"{source}\x01{path}" if source else path
    return hashlib.sha1(f"{key}\x00{position}\x00{digest}".encode()).hexdigest()[:24]


def sections(body: str) -> list[Section]:
    """Cut the body at ATX headings outside code fences, tracking the heading path."""
    stack: list[tuple[int, str]] = []
    out = [Section("", [])]
    fence: str | None = None
    for line in body.split("\n"):
        opener = _FENCE.match(line)
        if opener:
            fence = None if fence == opener.group(1) else (fence or opener.group(1))
        match = None if fence or opener else _HEADING.match(line)
        if match:
            level, name = len(match.group(1)), match.group(2).strip()
            stack = [(lv, n) for lv, n in stack if lv < level] + [(level, name)]
            out.append(Section(" > ".join(n for _, n in stack), []))
        else:
            out[-1].lines.append(line)
    return [s for s in out if "\n".join(s.lines).strip()]


def blocks(lines: list[str]) -> list[str]:
    """Paragraphs (blank-line separated), with each fenced code block kept as one block."""
    out: list[str] = []
    current: list[str] = []
    fence: str | None = None
    for line in lines:
        opener = _FENCE.match(line)
        if opener:
            fence = None if fence == opener.group(1) else (fence or opener.group(1))
        if not line.strip() and fence is None:
            if current:
                out.append("\n".join(current).strip("\n"))
            current = []
        else:
            current.append(line)
    if current:
        out.append("\n".join(current).strip("\n"))
    return [b for b in out if b.strip()]


def split_long(block: str, max_chars: int) -> list[str]:
    """A block over the limit: cut at line ends, then at spaces, then hard."""
    pieces: list[str] = []
    current = ""
    for line in block.split("\n"):
        while len(line) > max_chars:
            cut = line.rfind(" ", 0, max_chars)
            cut = cut if cut > max_chars // 2 else max_chars
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:cut].rstrip())
            line = line[cut:].lstrip()
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > max_chars and current:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current.strip():
        pieces.append(current)
    return [p for p in pieces if p.strip()]


def pack(parts: list[str], max_chars: int) -> list[str]:
    """Greedily join paragraphs into chunks of at most ``max_chars``."""
    chunks: list[str] = []
    current = ""
    for part in parts:
        for piece in split_long(part, max_chars) if len(part) > max_chars else [part]:
            candidate = f"{current}\n\n{piece}" if current else piece
            if len(candidate) > max_chars and current:
                chunks.append(current)
                current = piece
            else:
                current = candidate
    if current.strip():
        chunks.append(current)
    return chunks


def chunk_note(note: Note, max_chars: int, source: str = "") -> list[Chunk]:
    out: list[Chunk] = []
    for section in sections(note.body):
        for text in pack(blocks(section.lines), max_chars):
            out.append(_make(note, section.heading, len(out), text, source))
    return out


def _make(note: Note, heading: str, position: int, text: str, source: str) -> Chunk:
    chunk = Chunk("", note.path, note.title, note.date, heading, position, text.strip(), list(note.tags), source)
    chunk.id = chunk_id(note.path, position, content_hash(chunk.embed_text), source)
    return chunk
