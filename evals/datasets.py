"""Load and validate eval data files; every problem names the file, the line and the fix."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any, TypedDict

from twin.jsonl import iter_jsonl

DATA_DIR = Path(__file__).parent / "data"
ROUTING_LABELS = ("retrieve", "no_retrieve")


class DataError(ValueError):
    """A data file the eval cannot use; worded for the user."""


class ConflictCase(TypedDict):
    id: str
    question: str
    real: str  # real_short_answer
    fake: str  # fake_short_answer
    real_long: str  # real_answer (the long form; "" when absent)
    fake_long: str  # fake_answer
    passages: list[dict[str, str]]  # fake_passages: {"passage", "summary"}


class UpdateCase(TypedDict):
    id: str
    text: str
    expect_any: list[str]
    stale: list[str]
    history: list[str]  # earlier user turns asked first, in the same thread


PERSON_KINDS = ("update", "everyday", "named", "unanswerable", "general")


class PersonCase(TypedDict):
    id: str
    kind: str  # update | everyday | named | unanswerable | general
    text: str
    expect_any: list[str]  # the answer must contain one (update: the newer fact)
    stale: list[str]  # update: the older fact
    note: str  # the note that answers ("" for unanswerable and general)


class RoutingCase(TypedDict):
    id: str
    text: str
    label: str
    history: list[str]


class RetrievalCase(TypedDict):
    id: str
    question: str
    source: str
    answer_keywords: list[str]


def read_jsonl(path: Path | str, limit: int | None = None) -> list[tuple[int, dict[str, Any]]]:
    """``(line number, object)`` pairs; blank lines skipped; ``limit`` keeps the first N."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    if limit is not None and limit < 1:
        raise DataError(f"--limit must be >= 1, got {limit}")
    rows: list[tuple[int, dict[str, Any]]] = []
    for n, obj in iter_jsonl(path, error=DataError):
        rows.append((n, obj))
        if limit is not None and len(rows) >= limit:
            break
    if not rows:
        raise DataError(f"{path}: no cases (the file is empty)")
    return rows


def _text(path: Path | str, n: int, obj: dict[str, Any], key: str) -> str:
    value = obj.get(key)
    if not isinstance(value, str) or not value.strip():
        raise DataError(f"{path}:{n}: {key!r} must be a non-empty string")
    return value.strip()


def _strings(path: Path | str, n: int, obj: dict[str, Any], key: str, required: bool = True) -> list[str]:
    value = obj.get(key, None if required else [])
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise DataError(f"{path}:{n}: {key!r} must be a list of non-empty strings")
    if required and not value:
        raise DataError(f"{path}:{n}: {key!r} must not be empty")
    return [v.strip() for v in value]


def _case_id(obj: dict[str, Any], n: int) -> str:
    return str(obj.get("id") or f"line-{n}")


def load_conflict(path: Path | str, limit: int | None = None) -> list[ConflictCase]:
    """ConflictNQ rows: question, real_short_answer, fake_short_answer, fake_passages[].passage."""
    cases: list[ConflictCase] = []
    for n, obj in read_jsonl(path, limit):
        passages = obj.get("fake_passages")
        if not isinstance(passages, list) or not passages:
            raise DataError(f"{path}:{n}: 'fake_passages' must be a non-empty list of {{\"passage\": ...}}")
        clean = []
        for p in passages:
            if not isinstance(p, dict) or not isinstance(p.get("passage"), str) or not p["passage"].strip():
                raise DataError(f"{path}:{n}: every fake_passages item needs a non-empty 'passage' string")
            clean.append({"passage": p["passage"].strip(), "summary": str(p.get("summary") or "").strip()})
        cases.append(ConflictCase(
            id=_case_id(obj, n), question=_text(path, n, obj, "question"),
            real=_text(path, n, obj, "real_short_answer"), fake=_text(path, n, obj, "fake_short_answer"),
            real_long=str(obj.get("real_answer") or ""), fake_long=str(obj.get("fake_answer") or ""),
            passages=clean,
        ))
    return _unique(cases, path)


def load_updates(path: Path | str, limit: int | None = None) -> list[UpdateCase]:
    cases: list[UpdateCase] = []
    for n, obj in read_jsonl(path, limit):
        cases.append(UpdateCase(
            id=_case_id(obj, n), text=_text(path, n, obj, "text"),
            expect_any=_strings(path, n, obj, "expect_any"), stale=_strings(path, n, obj, "stale", required=False),
            history=_strings(path, n, obj, "history", required=False),
        ))
    return _unique(cases, path)


def load_person_cases(path: Path | str, limit: int | None = None) -> list[PersonCase]:
    """An invented person's questions (``evals/data/people/*/questions.jsonl``)."""
    cases: list[PersonCase] = []
    for n, obj in read_jsonl(path, limit):
        kind = obj.get("kind")
        if kind not in PERSON_KINDS:
            raise DataError(f"{path}:{n}: 'kind' must be one of {', '.join(PERSON_KINDS)}, got {kind!r}")
        answerable = kind in ("update", "everyday", "named")
        cases.append(PersonCase(
            id=_case_id(obj, n), kind=kind, text=_text(path, n, obj, "text"),
            expect_any=_strings(path, n, obj, "expect_any", required=answerable),
            stale=_strings(path, n, obj, "stale", required=False), note=str(obj.get("note") or ""),
        ))
    return _unique(cases, path)


def load_routing(path: Path | str, limit: int | None = None) -> list[RoutingCase]:
    cases: list[RoutingCase] = []
    for n, obj in read_jsonl(path, limit):
        label = obj.get("label")
        if label not in ROUTING_LABELS:
            raise DataError(f"{path}:{n}: 'label' must be \"retrieve\" or \"no_retrieve\", got {label!r}")
        cases.append(RoutingCase(
            id=_case_id(obj, n), text=_text(path, n, obj, "text"), label=label,
            history=_strings(path, n, obj, "history", required=False),
        ))
    return _unique(cases, path)


def load_retrieval(path: Path | str, limit: int | None = None, notes_dir: Path | None = None) -> list[RetrievalCase]:
    cases: list[RetrievalCase] = []
    for n, obj in read_jsonl(path, limit):
        source = _text(path, n, obj, "source").replace("\\", "/").removeprefix("./")
        if notes_dir is not None and not (Path(notes_dir) / source).is_file():
            raise DataError(f"{path}:{n}: source {source!r} is not a file under {notes_dir}")
        cases.append(RetrievalCase(
            id=_case_id(obj, n), question=_text(path, n, obj, "question"), source=source,
            answer_keywords=_strings(path, n, obj, "answer_keywords"),
        ))
    return _unique(cases, path)


def load_dates(path: Path | str) -> dict[str, tuple[str, str]]:
    """A TSV with a header ``path<TAB>created<TAB>updated`` → ``{path: (created, updated)}``."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise DataError(f"dates file not found: {path}")
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh, delimiter="\t")
        missing = {"path", "created", "updated"} - set(reader.fieldnames or [])
        if missing:
            raise DataError(f"{path}: the header must name path, created, updated (missing: {', '.join(sorted(missing))})")
        out: dict[str, tuple[str, str]] = {}
        for n, row in enumerate(reader, 2):
            if not row.get("path") or not (row.get("updated") or row.get("created")):
                raise DataError(f"{path}:{n}: each row needs a path and a created or updated date")
            out[row["path"].strip()] = (row["created"].strip(), (row["updated"] or row["created"]).strip())
    return out


SPLITS = ("dev", "test")


def split_half(cases: list[Any], which: str) -> list[Any]:
    """A fixed half of ``cases``: ``dev`` (tune on it) or ``test`` (report on it). Membership
    depends only on each case's id (sha1 parity), so it never changes with order or limit."""
    import hashlib

    if which not in SPLITS:
        raise DataError(f"--split {which!r}: choose dev or test")
    parity = SPLITS.index(which)
    return [c for c in cases if int(hashlib.sha1(str(c["id"]).encode()).hexdigest(), 16) % 2 == parity]


def _unique(cases: list[Any], path: Path | str) -> list[Any]:
    seen: set[str] = set()
    for case in cases:
        if case["id"] in seen:
            raise DataError(f"{path}: duplicate case id {case['id']!r}; ids must be unique")
        seen.add(case["id"])
    return cases
