"""Many folders, one twin: list the registered sources and remove one with its chunks.

Each notes folder ingested into a home is a **source** (kb.state): its chunks carry its
label in both indexes, so one folder's notes are listed, kept and removed only with that
folder. ``kb list`` counts what the indexes actually hold per source (the vector store is
the reference; the lexical index is checked against it).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from kb.lexical import LexicalIndex
from kb.notes import IGNORE_FILE, walks_into
from kb.state import forget_source, has_index, ingest_lock, registered_sources, repoint_source
from twin.config import Config


class SourceError(ValueError):
    """Unknown source label and the like; worded for the user."""


@dataclass
class SourceInfo:
    label: str
    path: str
    notes: int  # distinct notes in the vector store
    chunks: int  # chunks in the vector store
    lexical_chunks: int  # rows in the lexical index (equal to chunks after a finished ingest)
    ingested_at: str
    exists: bool  # the folder is still there

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def require_index(home: Path) -> None:
    """Stop a command that only reads or trims the index when ``home`` holds none (a
    mistyped ``--home``): opening the indexes there would create an empty data home."""
    if not has_index(home):
        where = "no such folder" if not Path(home).exists() else "nothing has been ingested there"
        raise SourceError(f"no index at {home} ({where}); check --home / TWIN_HOME, "
                          "or run `twin ingest NOTES_DIR` to make one")


def list_sources(config: Config) -> list[SourceInfo]:
    """Every registered source with what the indexes hold for it (plus, under the label
    "(unlabelled)", chunks stored without a source by an older Twin, if any)."""
    from kb.store import NoteStore

    require_index(config.home_path)
    registered = registered_sources(config.home_path)
    per: dict[str, tuple[set[str], int]] = {}
    for chunk in NoteStore.from_config(config).manifest():
        paths, n = per.get(chunk.source, (set(), 0))
        paths.add(chunk.path)
        per[chunk.source] = (paths, n + 1)
    legacy = next((k for k, v in registered.items() if v.get("legacy")), None)
    if legacy and "" in per:  # an old index: its unlabelled chunks are that folder's
        per[legacy] = per.pop("")
    lexical = LexicalIndex.from_config(config).sources()
    out = []
    for label, info in sorted(registered.items()):
        paths, chunks = per.pop(label, (set(), 0))
        out.append(SourceInfo(label, info["path"], len(paths), chunks, lexical.get(label, (0, 0))[1],
                              str(info.get("ingested_at", "")), Path(info["path"]).is_dir()))
    for label, (paths, chunks) in sorted(per.items()):  # in the index but not registered
        out.append(SourceInfo(label or "(unlabelled)", "", len(paths), chunks, lexical.get(label, (0, 0))[1], "", False))
    return out


def folder_conflict(registered: dict[str, dict[str, Any]], folder: Path) -> str | None:
    """Why ``folder`` (resolved) must not become a new source, worded with the way out, or
    None. A folder inside or around a source would index its notes twice (:func:`nesting_conflict`);
    a folder named like a source whose folder is gone is most likely that folder moved: as a
    second source it would hold every note twice (and re-embed them all)."""
    folder = Path(folder)
    if any(Path(info["path"]) == folder for info in registered.values()):
        return None  # already a source: ingesting it again is a sync
    nested = nesting_conflict(registered, folder)
    if nested:
        return nested
    for label, info in sorted(registered.items()):
        old = Path(info["path"])
        if old.name == folder.name and not old.is_dir():
            return (f"{folder} looks like source {label!r} moved (its folder {old} is gone); as a new source "
                    f"every note would be indexed twice. Reattach it: `twin kb move {label} {folder}` "
                    f"(nothing is re-embedded), or drop the old one first: `twin kb remove {label}`")
    return None


def nesting_conflict(registered: dict[str, dict[str, Any]], folder: Path) -> str | None:
    """Why ``folder`` must not be a source beside ``registered``: it lies inside one, or holds
    one, and the walk would read the same notes for both (indexed twice; a watcher updates
    only one copy). None when a hidden folder or a ``.twinignore`` pattern keeps them apart."""
    folder = Path(folder)
    for label, info in sorted(registered.items()):
        other = Path(info["path"])
        if other == folder or not other.is_dir():
            continue
        if folder.is_relative_to(other) and walks_into(other, folder):
            rel = folder.relative_to(other).as_posix()
            return (f"{folder} is inside source {label!r} ({other}): its notes are indexed there already. To make "
                    f"it a source of its own, add `{rel}/` to {other / IGNORE_FILE} and run `twin ingest {other}` first")
        if other.is_relative_to(folder) and walks_into(folder, other):
            rel = other.relative_to(folder).as_posix()
            return (f"{folder} holds source {label!r} ({other}): its notes would be indexed twice. Drop that "
                    f"source first (`twin kb remove {label}`; its notes come back with {folder}), "
                    f"or add `{rel}/` to {folder / IGNORE_FILE}")
    return None


def move_source(config: Config, label: str, folder: Path) -> Path:
    """Point source ``label`` at ``folder`` (its notes moved there); returns the folder. Only
    the registry changes: the chunks keep their ids and vectors, and the next ingest of the
    folder syncs what differs (notes missing there leave the index then)."""
    home = config.home_path
    require_index(home)
    target = Path(folder).expanduser()
    if not target.is_dir():
        raise SourceError(f"not a folder: {target.absolute()} (give the folder the notes are in now)")
    target = target.resolve()
    with ingest_lock(home):
        registered = registered_sources(home)
        if label not in registered:
            known = ", ".join(sorted(registered)) or "none"
            raise SourceError(f"no source named {label!r} (registered: {known}); see `twin kb list`")
        owner = next((k for k, v in registered.items() if Path(v["path"]) == target), label)
        if owner != label:
            raise SourceError(f"{target} is already source {owner!r}; keep one of them: "
                              f"`twin kb remove {label}` (or `twin kb remove {owner}`, then move {label!r} again)")
        nested = nesting_conflict({k: v for k, v in registered.items() if k != label}, target)
        if nested:
            raise SourceError(nested)
        repoint_source(home, label, target)
    return target


def remove_source(config: Config, label: str) -> int:
    """Delete ``label``'s chunks from both indexes and forget it; returns the chunks removed.
    A label that is only in the indexes (a first ingest stopped before it registered the
    folder: `twin kb list` shows it without a folder) can be removed too. The private
    fingerprints are rebuilt from the remaining sources."""
    from kb.fpsync import build_and_save
    from kb.ingest import other_sources_texts
    from kb.store import NoteStore

    home = config.home_path
    require_index(home)
    with ingest_lock(home):
        registered = registered_sources(home)
        store = NoteStore.from_config(config)
        ids = [c.id for c in store.manifest(where={"source": label})]  # registered, or left by a stopped first ingest
        lexical = LexicalIndex.from_config(config)
        if label not in registered and not ids and label not in lexical.sources():
            known = ", ".join(sorted(registered)) or "none"
            raise SourceError(f"no source named {label!r} (registered: {known}); see `twin kb list`")
        if registered.get(label, {}).get("legacy"):
            ids += [c.id for c in store.manifest() if not c.source]
        lexical.delete_source(label)  # lexical first: lexical ⊆ vectors
        store.delete(ids)
        forget_source(home, label)
        texts = other_sources_texts(config, source="")
        if len(set(registered) - {label}) == 1:  # one source left: its fingerprints use plain note paths
            texts = {k.split(":", 1)[1]: v for k, v in texts.items()}
        private = {p: t.text for p, t in texts.items() if t.private}
        public = {p: t.text for p, t in texts.items() if not t.private}
        semantic = None
        if config.judge.semantic_leak and private:
            from backends.factory import embeddings_model

            semantic = embeddings_model(config.embeddings)
        build_and_save(home, private, public, semantic)
    return len(ids)
