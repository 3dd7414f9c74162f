"""Read a source note for the preview pane, refusing anything private or outside the notes folder.

Private notes are never indexed, so they are never sources; this is a second line of
defence in case a path in the index is stale, crafted, or points through a symlink.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kb.notes import NoteError, front_matter_private, path_is_private, read_text, split_front_matter, title_of


class PreviewRefused(ValueError):
    """The note cannot be shown; the message says why (and what to do)."""


@dataclass
class NotePreview:
    path: str  # relative to the notes folder
    title: str
    text: str  # the note's body (front matter removed)


def resolve_public(notes_dir: Path | None, rel: str) -> Path:
    if notes_dir is None:
        raise PreviewRefused("the notes folder is unknown; run `twin ingest NOTES_DIR` first")
    root = Path(notes_dir).resolve()
    target = (root / rel).resolve()
    try:
        inside = target.relative_to(root).as_posix()
    except ValueError as exc:
        raise PreviewRefused(f"{rel} is outside the notes folder; not shown") from exc
    if path_is_private(rel) or path_is_private(inside):
        raise PreviewRefused(f"{rel} is a private note; not shown")
    return target


def load_preview(notes_dir: Path | None, rel: str, max_bytes: int = 1_000_000) -> NotePreview:
    """The note's public text, or :class:`PreviewRefused`."""
    target = resolve_public(notes_dir, rel)
    try:
        text, _ = read_text(target, max_bytes)
    except NoteError as exc:
        raise PreviewRefused(f"{rel}: {exc}") from exc
    meta, body = split_front_matter(text)
    if front_matter_private(meta):
        raise PreviewRefused(f"{rel} is marked private: true; not shown")
    return NotePreview(path=rel, title=title_of(meta, body, target), text=body)
