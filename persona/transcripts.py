"""Dialogue transcripts (``Speaker: text`` lines) → sliding-window chat examples.

The person is one speaker; everyone else is the user. Each of the person's turns becomes a
target, with up to ``window`` earlier turns as the prompt (history), so the adapter learns
how the person actually talks in conversation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_LINE = re.compile(r"^\s*(?P<speaker>[^:\n]{1,40}?)\s*:\s+(?P<text>\S.*)$")


@dataclass
class Turn:
    speaker: str
    text: str


def parse_transcript(text: str) -> list[Turn]:
    """``Speaker: text`` lines; an unlabelled line continues the previous turn; ``#`` lines are comments."""
    turns: list[Turn] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        if match:
            turns.append(Turn(match.group("speaker").strip(), match.group("text").strip()))
        elif turns:
            turns[-1].text += " " + line
    return turns


def is_person(speaker: str, person: str) -> bool:
    names = {person.lower(), person.split()[0].lower()}
    return speaker.lower() in names


def windows(turns: list[Turn], person: str, window: int = 10) -> list[list[dict[str, str]]]:
    """Role/content conversations ending in one of the person's turns (the target)."""
    out = []
    speakers = {t.speaker for t in turns if not is_person(t.speaker, person)}
    for i, turn in enumerate(turns):
        if i == 0 or not is_person(turn.speaker, person):
            continue
        history = _as_messages(turns[max(0, i - window) : i], person, multi=len(speakers) > 1)
        while history and history[0]["role"] == "assistant":
            history.pop(0)
        if history:
            out.append(history + [{"role": "assistant", "content": turn.text}])
    return out


def _as_messages(turns: list[Turn], person: str, multi: bool) -> list[dict[str, str]]:
    messages: list[dict[str, str]] = []
    for turn in turns:
        mine = is_person(turn.speaker, person)
        role = "assistant" if mine else "user"
        content = turn.text if mine or not multi else f"{turn.speaker}: {turn.text}"
        if messages and messages[-1]["role"] == role:
            messages[-1]["content"] += "\n" + content
        else:
            messages.append({"role": role, "content": content})
    return messages


def transcript_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"transcripts not found: {path}")
    return sorted(p for p in path.rglob("*") if p.suffix in (".txt", ".md") and p.is_file())
