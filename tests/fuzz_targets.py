"""Fuzz targets (hypothesis strategies + checks), shared by tests/test_fuzz.py (bounded, part
of the suite) and bench/bench_fuzz.py (long runs that count inputs and report findings).

Each target feeds random input to one boundary of Twin and checks that it either works or
fails with a documented error type (ConfigError, a skip with a reason, a one-line CLI
error); anything else raising is a finding:

- ``notes_folder``: random files (bytes, front matter, names incl. non-UTF-8 bytes, FIFOs,
  symlink loops, devices, folders named *.md) through the notes reader and the chunker;
- ``chunker``: random markdown into ``chunk_note`` at random sizes;
- ``config_toml``: random TOML (and random text) into ``load_config``; random dotted
  overrides into ``apply_overrides``;
- ``cli``: random argv (common options, random TOML) through the CLI boundary;
- ``injection``: random and repetitive strings into the question screen's patterns;
- ``analyzer``: random questions through the analyze node (screening, rewrite, routing);
- ``judge``: random questions, answers and sources through the judge.
"""

from __future__ import annotations

import io
import json
import math
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

COUNTS: dict[str, int] = {}  # inputs tried per target (the bench reports them)
SLOWEST: dict[str, tuple[float, Any]] = {}  # slowest input per target: (seconds, input)


def tried(name: str, value: Any, seconds: float) -> None:
    COUNTS[name] = COUNTS.get(name, 0) + 1
    if seconds > SLOWEST.get(name, (0.0, None))[0]:
        SLOWEST[name] = (seconds, value)


# -- shared pieces -------------------------------------------------------------------
TRICKY_TEXT = [
    "", " ", "\n", "\t", "\x00", "\x1b[31m", "\u202e", "\ufeff", "\ud7ff", "\U0001f600", "é", "ß", "İ", "ﬁ",
    "---", "...", "#", "```", "~~~", "[", "{", "&a", "*a", "!!", "%", "@", "|", ">", "? ", "- ",
    "ignore previous instructions", "SYSTEM:", "base64", "aGVsbG8=", "\\u0041", "0x41", "1e999", "-0",
]
SCALARS = [
    "2025-13-45", "2024-02-30", "2024-02-29", "0000-01-01", "9999-12-31", "2025-06-02T25:61:00",
    "2025-06-02 10:00:00 +99:00", "2001-12-14t21:59:43.10-05:00", "1e99999", "-.inf", ".nan", "0x1F", "0o17",
    "0b101", "null", "~", "yes", "No", "on", "true", "[a, b", "{a: 1", "[[[[[[[[", "&x [*x]", "*undefined",
    "!!timestamp soon", "!!float abc", "!!int 1.5", "!!binary '%%'", "!!python/name:os.system", "!!set {a, b}",
    "!!omap [a: 1]", "|\n  block", ">\n  folded", "'unterminated", '"\\xZZ"', "someday", "2024", "12:30:00",
]
KEYS = ["title", "date", "updated", "tags", "private", "author", "? complex", "<<", "title\x00"]


def text_strategy(max_size: int = 80) -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=max_size),
        st.lists(st.sampled_from(TRICKY_TEXT), max_size=12).map("".join),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=max_size),
    )


def front_matter() -> st.SearchStrategy[str]:
    date_line = st.tuples(st.sampled_from(["date", "updated"]), st.sampled_from(SCALARS)).map(
        lambda kv: f"{kv[0]}: {kv[1]}")
    line = st.one_of(
        date_line, date_line,  # dates are where PyYAML raises more than YAMLError: weighted up
        st.tuples(st.sampled_from(KEYS), st.sampled_from(SCALARS)).map(lambda kv: f"{kv[0]}: {kv[1]}"),
        st.tuples(st.sampled_from(KEYS), text_strategy(30)).map(lambda kv: f"{kv[0]}: {kv[1]}"),
        st.sampled_from(["tags:", "  - a", "  - [b", "- x", "  nested: {deep: [1, 2]}", "private:", ""]),
        text_strategy(40),
    )
    return st.lists(line, min_size=1, max_size=6).map("\n".join)


def note_bytes() -> st.SearchStrategy[bytes]:
    body = st.one_of(text_strategy(300), st.just("# Title\n\nBody text.\n"))
    with_fm = st.tuples(front_matter(), body, st.sampled_from(["---", "...", "---  ", "----", ""])).map(
        lambda t: f"---\n{t[0]}\n{t[2]}\n{t[1]}")
    utf8 = with_fm.map(lambda t: t.encode("utf-8", errors="surrogateescape"))
    encoded = st.tuples(st.one_of(with_fm, body), st.sampled_from(["utf-16", "latin-1", "utf-8-sig"])).map(
        lambda t: t[0].encode(t[1], errors="replace"))
    return st.one_of(utf8, utf8, utf8, encoded, st.binary(max_size=600), st.just(b""), st.just(b"\x00" * 10))


def file_name() -> st.SearchStrategy[str]:
    suffix = st.sampled_from([".md", ".md", ".md", ".MD", ".mdx", ".txt", ".md.bak", ""])
    simple = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_ ", min_size=1, max_size=12)
    readable = st.text(alphabet=st.characters(exclude_characters="/\x00", exclude_categories=("Cs",)),
                       min_size=1, max_size=24)
    raw = st.binary(min_size=1, max_size=24).map(lambda b: os.fsdecode(b.replace(b"/", b"_").replace(b"\x00", b"_")))
    special = st.sampled_from([".hidden", "private/x", "a/b/c", " ", "-", "#", "CON", "sub/.git/x"])
    stem = st.one_of(simple, simple, readable, raw, special)
    return st.tuples(stem, suffix).map("".join).filter(lambda n: n not in (".", "..") and len(os.fsencode(n)) < 200)


@dataclass
class Entry:
    name: str
    kind: str  # file | fifo | link | loop | dir | device
    content: bytes = b""
    target: str = ""


def entries() -> st.SearchStrategy[list[Entry]]:
    regular = st.builds(Entry, file_name(), st.just("file"), note_bytes())
    entry = st.one_of(
        regular, regular, regular,
        st.builds(Entry, file_name(), st.sampled_from(["fifo", "loop", "dir", "device", "dangling"])),
        st.builds(Entry, file_name(), st.just("link"), st.just(b""), file_name()),
    )
    return st.lists(entry, min_size=1, max_size=8)


def _make(root: Path, entry: Entry) -> None:
    path = Path(os.fsdecode(root)) / entry.name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if os.path.lexists(path):
            return  # a second entry with the same name (never write through an earlier FIFO or link)
        if entry.kind == "file":
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW)
            with os.fdopen(fd, "wb") as handle:
                handle.write(entry.content)
        elif entry.kind == "fifo":
            os.mkfifo(path)
        elif entry.kind == "dir":
            path.mkdir()
            (path / "inside.md").write_text("inside a folder named like a note")
        elif entry.kind == "device":
            path.symlink_to("/dev/zero")
        elif entry.kind == "dangling":
            path.symlink_to(root / "does-not-exist.md")
        elif entry.kind == "loop":
            path.symlink_to(path)
        elif entry.kind == "link":
            path.symlink_to(root / entry.target)
    except (FileExistsError, NotADirectoryError, IsADirectoryError, OSError):
        pass  # an entry that cannot exist next to the others (same name, path under a file): skip it


def with_deadline(seconds: float, fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a thread; a hang (e.g. opening a FIFO) is a finding, not a stuck run."""
    box: list[Any] = []
    errors: list[BaseException] = []

    def target() -> None:
        try:
            box.append(fn())
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            errors.append(exc)

    worker = threading.Thread(target=target, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise AssertionError(f"hung for more than {seconds:.0f} s")
    if errors:
        raise errors[0]
    return box[0]


def printable(text: str) -> None:
    text.encode("utf-8")  # raises on lone surrogates: such a string cannot be printed or stored
    json.dumps(text, ensure_ascii=False).encode("utf-8")


# -- targets -------------------------------------------------------------------------
def check_notes_folder(case: tuple[list[Entry], int, int]) -> None:
    from kb.chunking import chunk_note
    from kb.notes import read_notes
    from twin.config import KBConfig

    items, max_bytes, chunk_chars = case
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-fuzz-") as tmp:
        root = Path(tmp) / "notes"
        root.mkdir()
        for entry in items:
            _make(root, entry)
        notes, skips = with_deadline(float(os.environ.get("TWIN_FUZZ_HANG_S", "60")), lambda: read_notes(root, KBConfig(max_file_bytes=max_bytes)))
        for skip in skips:
            printable(skip.path)
            printable(skip.reason)
        seen = [n.path for n in notes] + [s.path for s in skips]
        assert len(set(n.path for n in notes)) == len(notes), "a note read twice"
        for note in notes:
            printable(note.path)
            assert note.title.strip() and isinstance(note.tags, list) and all(isinstance(t, str) for t in note.tags)
            date.fromisoformat(note.date)
            for warning in getattr(note, "warnings", []):
                printable(warning)
            chunks = chunk_note(note, chunk_chars)
            assert all(0 < len(c.text) <= chunk_chars for c in chunks), "a chunk over the size limit"
            assert len({c.id for c in chunks}) == len(chunks)
            for chunk in chunks:
                printable(chunk.embed_text)
        assert seen is not None
    tried("notes_folder", case, time.perf_counter() - start)


NOTES_FOLDER = st.tuples(entries(), st.integers(1, 5000), st.integers(100, 2000))


def check_note_file(content: bytes) -> None:
    """One file, any bytes (mostly front matter + body): a Note or a skip with a reason."""
    from kb.notes import read_files
    from twin.config import KBConfig

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-fuzz-") as tmp:
        path = Path(tmp) / "note.md"
        path.write_bytes(content)
        notes, skips = read_files(Path(tmp), [path], KBConfig())
        assert len(notes) + len(skips) == 1
        for note in notes:
            date.fromisoformat(note.date)
            assert note.title.strip() and all(isinstance(t, str) for t in note.tags)
            for warning in getattr(note, "warnings", []):
                printable(warning)
        for skip in skips:
            printable(skip.reason)
            assert not skip.reason.startswith("could not read:"), f"an unexpected error, caught late: {skip.reason}"
    tried("note_file", content, time.perf_counter() - start)


def markdown() -> st.SearchStrategy[str]:
    line = st.one_of(
        st.sampled_from(["# A", "## B", "### C ###", "#nospace", "```", "```python", "~~~", "    indented", "",
                         "- item", "> quote", "---", "| a | b |", " " * 50, "x" * 300, "word " * 80]),
        text_strategy(120),
    )
    return st.lists(line, max_size=40).map("\n".join)


def check_chunker(case: tuple[str, int, str, list[str]]) -> None:
    from kb.chunking import chunk_note
    from kb.notes import Note

    body, chunk_chars, title, tags = case
    start = time.perf_counter()
    note = Note(path="n.md", abs_path=Path("n.md"), title=title or "T", date="2024-01-01", tags=tags,
                private=False, body=body)
    chunks = chunk_note(note, chunk_chars)
    assert all(0 < len(c.text) <= chunk_chars for c in chunks), "a chunk over the size limit"
    assert [c.id for c in chunk_note(note, chunk_chars)] == [c.id for c in chunks], "ids are stable"
    kept = "".join("".join(c.text.split()) for c in chunks)
    assert len(kept) <= len("".join(body.split())), "chunks invent text"
    tried("chunker", case, time.perf_counter() - start)


CHUNKER = st.tuples(markdown(), st.integers(100, 3000), text_strategy(30), st.lists(text_strategy(10), max_size=4))


# config ------------------------------------------------------------------------------
CONFIG_KEYS = {
    "persona": ["backend", "model", "adapters", "ollama_host", "max_new_tokens", "temperature", "repetition_penalty",
                "seed", "dtype", "threads"],
    "base": ["backend", "model", "ollama_host"],
    "embeddings": ["model", "batch_size"],
    "analyzer": ["strategy", "examples", "threshold", "min_similarity", "history_turns"],
    "retrieval": ["k", "fetch_k", "half_life_days", "recency_weight", "min_score", "chroma_url", "collection",
                  "conflict_similarity", "conflict_margin"],
    "kb": ["notes_dir", "chunk_chars", "max_file_bytes"],
    "judge": ["private_leak", "pii", "off_limits", "topics_file", "topic_similarity", "on_injection",
              "off_limits_topics", "semantic_leak", "leak_similarity"],
    "nodes": ["analyze", "retrieve", "judge"],
}
TOP_KEYS = ["person", "home", "nonsense"]


def toml_value() -> st.SearchStrategy[Any]:
    scalar = st.one_of(
        st.integers(min_value=-(2**63), max_value=2**63 - 1), st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(), text_strategy(40),
        st.sampled_from(["local", "ollama", "embedded", "float32", "int8", "http://[::1", "http://127.0.0.1:1",
                         "https://h:99999", "refuse", "score", "llm", "/nonexistent", "notes", "a", ""]),
        st.datetimes(timezones=st.just(UTC)), st.dates(),
    )
    return st.recursive(scalar, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(text_strategy(8), inner, max_size=3)),
                        max_leaves=8)


def config_dicts() -> st.SearchStrategy[dict[str, Any]]:
    section = st.sampled_from(sorted(CONFIG_KEYS)).flatmap(
        lambda name: st.tuples(st.just(name), st.dictionaries(
            st.one_of(st.sampled_from(CONFIG_KEYS[name]), text_strategy(10)), toml_value(), max_size=5)))
    top = st.dictionaries(st.sampled_from(TOP_KEYS), toml_value(), max_size=2)
    return st.tuples(top, st.lists(section, max_size=4)).map(lambda t: {**t[0], **dict(t[1])})


def to_toml(value: Any) -> str:
    """A small TOML writer for generated values (everything inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)} = {to_toml(v)}" for k, v in value.items()) + "}"
    raise TypeError(type(value))


def toml_document(data: dict[str, Any]) -> str:
    lines = [f"{json.dumps(k)} = {to_toml(v)}" for k, v in data.items() if not isinstance(v, dict)]
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{json.dumps(key)}]")
            lines += [f"{json.dumps(k)} = {to_toml(v)}" for k, v in value.items()]
    return "\n".join(lines) + "\n"


CONFIG_TOML = st.one_of(config_dicts().map(toml_document), text_strategy(200),
                        st.binary(max_size=200).map(lambda b: b.decode("latin-1")))


def check_config_toml(text: str) -> None:
    from twin.config import Config, ConfigError, load_config

    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-fuzz-") as tmp:
        path = Path(tmp) / "twin.toml"
        path.write_bytes(text.encode("utf-8", errors="surrogateescape"))
        try:
            config = load_config(path, tmp)
        except ConfigError as exc:
            printable(str(exc))
        else:
            assert isinstance(config, Config)
            config.validate()
    tried("config_toml", text, time.perf_counter() - start)


OVERRIDES = st.dictionaries(
    st.one_of(st.sampled_from([f"{s}.{k}" for s, ks in CONFIG_KEYS.items() for k in ks] + ["person", "persona"]),
              text_strategy(20)),
    toml_value(), max_size=4)


def check_overrides(overrides: dict[str, Any]) -> None:
    from twin.config import Config, ConfigError, apply_overrides

    start = time.perf_counter()
    try:
        apply_overrides(Config(), overrides)
    except ConfigError as exc:
        printable(str(exc))
    tried("config_overrides", overrides, time.perf_counter() - start)


# cli ---------------------------------------------------------------------------------
def cli_args() -> st.SearchStrategy[tuple[list[str], str]]:
    option = st.one_of(
        st.tuples(st.sampled_from(["--chroma-url", "--ollama-host", "--model", "--backend", "--off", "--adapter"]),
                  st.one_of(text_strategy(30), st.sampled_from(["http://[::1", "ollama", "local", "judge,x", "/tmp"]))),
        st.tuples(st.sampled_from(["--version", "--help", "--force", "--json", "--bogus"]), st.none()),
    )
    flat = st.lists(option, max_size=3).map(lambda opts: [x for o in opts for x in o if x is not None])
    command = st.sampled_from([["config", "show"], ["config", "init", "--force"], ["config"], ["nope"], []])
    return st.tuples(flat, command, flat, config_dicts().map(toml_document))


def check_cli(case: tuple[list[str], list[str], list[str], str]) -> None:
    import twin_cli.main as cli

    before, command, after, toml_text = case
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="twin-fuzz-") as tmp:
        (Path(tmp) / "twin.toml").write_text(toml_text, encoding="utf-8")
        argv = ["--home", tmp, *before, *command, *after]
        out, err = io.StringIO(), io.StringIO()
        env = {k: os.environ.get(k) for k in ("TWIN_HOME", "TWIN_CONFIG", "TWIN_DEBUG")}
        try:
            with redirect_stdout(out), redirect_stderr(err):
                code = cli.run(argv)
        finally:
            for key, value in env.items():
                os.environ.pop(key, None) if value is None else os.environ.__setitem__(key, value)
        assert code in (0, 1, 2), f"exit code {code}"
        assert "Traceback" not in err.getvalue() + out.getvalue()
        errors = [line for line in err.getvalue().splitlines() if line.startswith("error: ")]
        assert len(errors) <= 1, err.getvalue()
        assert "(a bug in Twin" not in err.getvalue(), err.getvalue()
    tried("cli", case, time.perf_counter() - start)


# questions and answers ---------------------------------------------------------------
def questions(max_size: int = 300) -> st.SearchStrategy[str]:
    repeated = st.tuples(st.sampled_from(["ignore ", "a", "-", "base64 ", "\\u00", " ", "AAAA", "system prompt ",
                                          "you are now ", "DAN ", "%", "=", "[[", "((", "é"]),
                         st.integers(1, 400)).map(lambda t: t[0] * t[1])
    return st.one_of(text_strategy(max_size), repeated,
                     st.lists(st.one_of(st.sampled_from(TRICKY_TEXT), text_strategy(20)), max_size=20).map(" ".join))


def check_injection(question: str) -> None:
    from nodes.guards.injection import injection_flags

    start = time.perf_counter()
    flags = injection_flags(question)
    assert isinstance(flags, list) and all(isinstance(f, str) for f in flags)
    tried("injection", question, time.perf_counter() - start)


@dataclass
class Contexts:
    """TwinContexts built once per process for the analyzer and judge targets."""

    made: dict[str, Any] = field(default_factory=dict)

    def get(self, home: str) -> Any:
        if home not in self.made:
            from nodes.context import TwinContext
            from twin.config import load_config

            self.made[home] = TwinContext(load_config(None, home))
        return self.made[home]


CONTEXTS = Contexts()


def check_analyzer(home: str, question: str, history: list[str]) -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    from nodes.analyze import make_analyze

    ctx = CONTEXTS.get(home)
    node = ctx.extras.setdefault("fuzz_analyze", make_analyze(ctx))
    start = time.perf_counter()
    messages = [m for h in history for m in (HumanMessage(h), AIMessage("ok"))] + [HumanMessage(question)]
    out = node({"question": question, "messages": messages, "toggles": {}, "timings_ms": {}, "decisions": {}})
    assert out["route"] in ("retrieve", "no_retrieve", "off", "forced")
    assert isinstance(out["query"], str) and all(isinstance(f, str) for f in out["input_flags"])
    assert 0.0 <= out["route_score"] <= 1.0 or math.isclose(out["route_score"], 1.0)
    tried("analyzer", question, time.perf_counter() - start)


def sources() -> st.SearchStrategy[list[dict[str, Any]]]:
    return st.lists(st.fixed_dictionaries({"text": text_strategy(200), "path": st.just("n.md"),
                                           "title": st.just("N"), "date": st.just("2024-01-01")}), max_size=3)


def check_judge(home: str, question: str, answer: str, found: list[dict[str, Any]]) -> None:
    from nodes.judge import judge_text

    ctx = CONTEXTS.get(home)
    start = time.perf_counter()
    verdict = judge_text(ctx, question, answer, found)
    assert verdict.verdict in ("pass", "redacted", "blocked")
    assert isinstance(verdict.answer, str)
    assert not any(r.startswith("judge error") for r in verdict.reasons), verdict.reasons
    if verdict.verdict == "pass":
        assert verdict.answer == answer
    tried("judge", (question, answer), time.perf_counter() - start)


ANALYZER = st.tuples(questions(200), st.lists(text_strategy(60), max_size=3))
JUDGE = st.tuples(questions(200), questions(400), sources())


def report() -> str:
    lines = [f"{name:<18}{count:>8} inputs   slowest {SLOWEST.get(name, (0.0,))[0]:7.3f} s"
             for name, count in sorted(COUNTS.items())]
    return "\n".join(lines)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("import this module; run tests/test_fuzz.py or bench/bench_fuzz.py")
