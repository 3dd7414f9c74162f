"""One configuration object for Twin: a TOML file plus CLI overrides.

Every section is a dataclass with documented defaults. ``load_config`` reads a TOML
file (``twin.toml`` in the data home, or ``--config``), validates every key and value
and raises :class:`ConfigError` naming the offending key and what is allowed.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

NODE_NAMES = ("analyze", "retrieve", "rerank", "rewrite", "adapter", "cad", "judge")
BACKENDS = ("local", "ollama")
ANALYZER_STRATEGIES = ("embedding", "score", "llm", "always")
RETRIEVAL_MODES = ("hybrid", "vector")


class ConfigError(ValueError):
    """A configuration problem, worded for the user (key, value, what is allowed)."""


@dataclass
class ModelConfig:
    """A chat model: which backend, which weights, which adapters."""

    backend: str = "local"  # local | ollama
    model: str = "embedded"  # "embedded", an HF model id/dir, a .gguf file, or an Ollama model
    adapters: list[str] = field(default_factory=list)  # peft adapter dirs (stacked in order)
    ollama_host: str = "http://127.0.0.1:11434"
    max_new_tokens: int = 160
    temperature: float = 0.0  # 0 = greedy decoding
    repetition_penalty: float = 1.0  # >1 penalises the reply's own repeats (never the notes in the prompt)
    context_weight: float = 1.0  # α of context-aware decoding (local backend, `cad` switch); 0 = off
    plausibility: float = 0.0  # with context_weight: keep tokens with p(token | notes) >= this * the best
    max_sentences: int = 3  # stop the answer after this many sentences; 0 = no limit
    # quote the sentence saying where the person lives/works now or their best so far (kb/life_state.py),
    # or who a name is (nodes/introductions.py)
    quote_stated: bool = True
    # a message of greetings, thanks and goodbyes only gets a fixed in-voice reply (prompts/small_talk.md)
    small_talk_replies: bool = True
    seed: int = 0
    dtype: str = "float32"
    threads: int = 0  # torch CPU threads; 0 = library default


@dataclass
class EmbeddingConfig:
    model: str = "embedded"  # "embedded" (all-MiniLM-L6-v2 from PyPI) or a sentence-transformers dir
    batch_size: int = 64


@dataclass
class AnalyzerConfig:
    strategy: str = "embedding"  # embedding | score | llm | always
    examples: str = ""  # labelled JSONL for the embedding strategy; "" = the shipped set
    threshold: float = 0.5  # P(retrieve) above which we retrieve (embedding strategy)
    min_similarity: float = 0.3  # best-note similarity needed to retrieve (score strategy)
    history_turns: int = 3  # how many earlier user turns feed query rewriting
    note_evidence: bool = True  # also retrieve when the index clearly holds the question's subject


@dataclass
class RetrievalConfig:
    k: int = 2  # notes retrieved and cited; the generator reads the notes of the first k chunks (135M: 2)
    fetch_k: int = 20  # candidates fetched from each index before fusing and reranking
    rerank_window: int = 10  # notes the rerank orders before the best k are kept (the top k do not depend on k)
    mode: str = "hybrid"  # hybrid (vectors + BM25, fused as ``fuse`` says) | vector
    rrf_k: float = 60.0  # reciprocal rank fusion constant: score = sum(w / (rrf_k + rank))
    lexical_weight: float = 1.0  # weight of the BM25 list in reciprocal rank fusion (the vector list has 1)
    convex_vector_weight: float = 0.85  # fuse = "convex": weight of the normalised cosine (BM25 gets the rest)
    fuse: str = "convex"  # "convex" (normalised scores, weighed) or reciprocal rank fusion of "chunks" / "notes"
    half_life_days: float = 730.0  # half-life of the optional global recency decay
    recency_weight: float = 0.0  # share of the score from note age (0: only same-topic conflicts use dates)
    state_recency_weight: float = 0.2  # the same decay, only for questions about the person's present state ...
    state_recency_margin: float = 0.15  # ... and only for chunks this close to the best similarity
    state_recency_alike: float = 0.3  # ... and this alike (cosine) to the first chunk by fused score, on its subject (0: any)
    min_score: float = 0.15  # sources scoring below are dropped
    chroma_url: str = ""  # http://HOST:PORT for a Chroma server; "" = embedded store
    collection: str = "notes"
    conflict_similarity: float = 0.9  # two retrieved chunks this similar (cosine) = the same text, edited: newer ranks first
    conflict_margin: float = 0.03  # ...when the newer one's query similarity is at most this much lower
    state_conflict_similarity: float = 0.6  # asked about now: the edited-text rule at this likeness, within state_recency_margin (>= conflict_similarity: off)
    whole_best_note: bool = True  # the best note's sentences compete whole, not only its retrieved chunks
    evidence_sentences: int = 3  # sentences of each top note shown to the generator; 0 = whole chunks
    same_subject_similarity: float = 0.4  # asked about now, an older top note this alike to a newer, better one is not shown; 1 = always shown
    answer_min_similarity: float = 0.3  # best note less similar than this: "I have no note about that"
    subject_margin: float = 0.1  # a newer note on the same subject (title word, tag) ranks first within this
    first_margin: float = 0.05  # asked about a first ("your first car"), an older note ranks first within this (-1: off)
    year_margin: float = 0.15  # asked about a year ("Christmas in 2021"), a note of that year ranks first within this (-1: off)
    life_state: bool = True  # asked where the person lives or works now, their best, car, boss or club: the newest note saying so first (kb/life_state.py)


@dataclass
class KBConfig:
    notes_dir: str = ""  # default notes folder for `twin ingest` and the watcher
    sources: list[str] = field(default_factory=list)  # several notes folders (used when no folder is given)
    chunk_chars: int = 1200
    max_file_bytes: int = 1_000_000


@dataclass
class JudgeConfig:
    private_leak: bool = True
    pii: bool = True
    off_limits: bool = True
    context_leak: bool = True
    injection: bool = True
    off_limits_topics: list[str] = field(default_factory=lambda: ["health", "salary", "family"])
    # (issue 4) flagged questions (injection, jailbreak, prompt extraction, secrets): "refuse"
    # in voice, or "answer" them when the answer passes every check at strict limits
    on_injection: str = "refuse"
    topics_file: str = ""  # TOML of off-limits topics; "" = nodes/guards/data/topics.toml
    topic_similarity: float = 0.52  # embedding match of a question to an off-limits topic's examples
    semantic_leak: bool = False  # also catch paraphrases by embedding similarity (needs vectors at ingest)
    leak_similarity: float = 0.82  # cosine to a private sentence that counts as a paraphrase
    grounding: bool = True  # answers to notes questions may only name what the retrieved notes name
    regenerate: bool = False  # an unsupported answer is generated once more before the extractive answer (docs/grounding.md §3)
    # a question the analyzer sent past the notes while a note was this close to it (cosine): an answer naming
    # what the question does not (a place, a number) goes to the notes after all (docs/grounding.md §3)
    reroute_similarity: float = 0.55
    quote_copies: bool = True  # a model answer that is its notes word for word gives way to the cited quote (docs/grounding.md §2, end)


@dataclass
class NodeToggles:
    analyze: bool = True
    retrieve: bool = True
    rerank: bool = True
    rewrite: bool = True
    adapter: bool = True
    cad: bool = True
    judge: bool = True

    def off(self) -> list[str]:
        return [n for n in NODE_NAMES if not getattr(self, n)]

    def with_off(self, names: list[str]) -> NodeToggles:
        unknown = [n for n in names if n not in NODE_NAMES]
        if unknown:
            raise ConfigError(
                f"unknown node {unknown[0]!r} in --off; allowed: {', '.join(NODE_NAMES)}"
            )
        return dataclasses.replace(self, **{n: False for n in names})


@dataclass
class ServeProfile:
    """A named configuration a `twin serve` client picks with the OpenAI ``model`` field."""

    description: str = ""
    off: list[str] = field(default_factory=list)  # nodes switched off for this profile
    adapters: list[str] = field(default_factory=list)  # persona adapters; [] = those of [persona]
    model: str = ""  # persona model; "" = [persona].model
    backend: str = ""  # persona backend; "" = [persona].backend
    max_new_tokens: int = 0  # 0 = [persona].max_new_tokens
    public: bool = False  # anonymous callers (public mode) may pick it


@dataclass
class ServeConfig:
    """`twin serve`: the HTTP service (see docs/serve.md)."""

    host: str = "127.0.0.1"
    port: int = 8321
    public: bool = False  # anonymous callers may use the ask endpoints (and nothing else)
    tokens_file: str = ""  # "" = <home>/serve_tokens.json
    cors_origins: list[str] = field(default_factory=list)  # origins allowed to call from a browser
    workers: int = 1  # answers computed at once (the model is one CPU-bound resource)
    queue_size: int = 16  # answers waiting for a worker; beyond that: 429 + Retry-After
    queue_timeout_s: float = 120.0  # a waiting answer not started by then gets 429
    request_timeout_s: float = 300.0  # a caller waits at most this long for its whole answer
    rate_limit_per_minute: int = 30  # requests per token (anonymous: per client address); 0 = off
    rate_limit_burst: int = 10  # requests allowed back to back before the rate applies
    max_body_bytes: int = 65536
    max_question_chars: int = 2000
    max_messages: int = 64  # messages in one chat-completions request
    toggleable: list[str] = field(default_factory=list)  # nodes a token holder may switch off per request
    checkpointer: str = "sqlite"  # "sqlite" (<home>/threads.sqlite) or a postgres://... URL
    shutdown_grace_s: float = 120.0  # on SIGTERM, running answers get this long to finish
    profiles: dict[str, ServeProfile] = field(default_factory=dict)


@dataclass
class Config:
    home: str = ""  # data home; "" = $TWIN_HOME or the user's data dir
    persona: ModelConfig = field(default_factory=ModelConfig)  # generator (with adapters)
    base: ModelConfig = field(default_factory=ModelConfig)  # analyzer / no-adapter model
    embeddings: EmbeddingConfig = field(default_factory=EmbeddingConfig)
    analyzer: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    retrieval: RetrievalConfig = field(default_factory=RetrievalConfig)
    kb: KBConfig = field(default_factory=KBConfig)
    judge: JudgeConfig = field(default_factory=JudgeConfig)
    nodes: NodeToggles = field(default_factory=NodeToggles)
    serve: ServeConfig = field(default_factory=ServeConfig)
    person: str = "Noa Lindqvist"  # whose twin this is (used in prompts)

    @property
    def home_path(self) -> Path:
        return resolve_home(self.home)

    def validate(self) -> Config:
        """Check every value (type, range, choice, URL shape, paths): see :mod:`twin.rules`."""
        from twin.rules import check_config

        check_config(self)
        _validate_serve(self.serve)
        return self


PROFILE_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")


def _validate_serve(serve: ServeConfig) -> None:
    for key, value, low in (("serve.port", serve.port, 0), ("serve.workers", serve.workers, 1),
                            ("serve.queue_size", serve.queue_size, 0), ("serve.max_body_bytes", serve.max_body_bytes, 1024),
                            ("serve.max_question_chars", serve.max_question_chars, 1),
                            ("serve.max_messages", serve.max_messages, 1),
                            ("serve.rate_limit_per_minute", serve.rate_limit_per_minute, 0),
                            ("serve.rate_limit_burst", serve.rate_limit_burst, 1)):
        if value < low:
            raise ConfigError(f"{key} = {value} is too small; it must be >= {low}")
    if serve.port > 65535:
        raise ConfigError(f"serve.port = {serve.port} is not a TCP port (0-65535)")
    for key, value in (("serve.queue_timeout_s", serve.queue_timeout_s), ("serve.request_timeout_s", serve.request_timeout_s),
                       ("serve.shutdown_grace_s", serve.shutdown_grace_s)):
        if value <= 0:
            raise ConfigError(f"{key} must be > 0 (seconds)")
    unknown = [n for n in serve.toggleable if n not in NODE_NAMES]
    if unknown:
        raise ConfigError(f"serve.toggleable: unknown node {unknown[0]!r}; allowed: {', '.join(NODE_NAMES)}")
    if serve.checkpointer != "sqlite" and not serve.checkpointer.startswith(("postgres://", "postgresql://")):
        raise ConfigError(f"serve.checkpointer = {serve.checkpointer!r} is not allowed; use \"sqlite\" "
                          "or a postgres://USER@HOST:PORT/DB URL")
    for origin in serve.cors_origins:
        if origin != "*" and not origin.startswith(("http://", "https://")):
            raise ConfigError(f"serve.cors_origins: {origin!r} must be an origin like https://example.com (or \"*\")")
    for name, profile in serve.profiles.items():
        if name == "twin" or not PROFILE_NAME.match(name):
            raise ConfigError(f"serve.profiles.{name}: a profile name is lowercase letters, digits, '.', '_' or '-' "
                              "(and not \"twin\", the default configuration's name)")
        bad = [n for n in profile.off if n not in NODE_NAMES]
        if bad:
            raise ConfigError(f"serve.profiles.{name}.off: unknown node {bad[0]!r}; allowed: {', '.join(NODE_NAMES)}")
        if profile.backend and profile.backend not in BACKENDS:
            raise ConfigError(f"serve.profiles.{name}.backend = {profile.backend!r} is not allowed; "
                              f"choose one of: {', '.join(BACKENDS)}")
        if profile.max_new_tokens < 0:
            raise ConfigError(f"serve.profiles.{name}.max_new_tokens must be >= 0 (0 = [persona]'s)")


def resolve_home(home: str | os.PathLike | None = None) -> Path:
    """The data home: explicit value, else $TWIN_HOME, else the platform's user data dir."""
    if home:
        return Path(home).expanduser().resolve()
    if os.environ.get("TWIN_HOME"):
        return Path(os.environ["TWIN_HOME"]).expanduser().resolve()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return (Path(base) / "twin").resolve()


def _coerce(key: str, value: Any, annotation: Any) -> Any:
    """Check a TOML value against a dataclass field type, converting int→float."""
    origin = get_origin(annotation)
    if origin is dict:  # a table of named tables (only an override reaches here; the file's are read whole)
        raise ConfigError(f"{key} is a table of tables; set it in the config file ([{key}.NAME])")
    if origin is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(f"{key} must be a list of strings, got {value!r}")
        return list(value)
    if annotation is float and isinstance(value, int) and not isinstance(value, bool):
        try:
            return float(value)
        except OverflowError as exc:
            raise ConfigError(f"{key} = {value} is far too large") from exc
    if annotation is bool and not isinstance(value, bool):
        raise ConfigError(f"{key} must be true or false, got {value!r}")
    if annotation is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ConfigError(f"{key} must be an integer, got {value!r}")
    if annotation in (str, float) and not isinstance(value, annotation):
        raise ConfigError(f"{key} must be a {annotation.__name__}, got {value!r}")
    return value


def _from_dict(cls: type, data: dict[str, Any], prefix: str = "") -> Any:
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    kwargs: dict[str, Any] = {}
    for key, value in data.items():
        full = f"{prefix}{key}"
        if key not in names:
            raise ConfigError(f"unknown config key {full!r}; allowed here: {', '.join(names)}")
        annotation = hints[key]
        if dataclasses.is_dataclass(annotation):
            if not isinstance(value, dict):
                raise ConfigError(f"{full} must be a table ([{full}])")
            kwargs[key] = _from_dict(annotation, value, f"{full}.")
        elif get_origin(annotation) is dict:  # a table of named tables, e.g. [serve.profiles.NAME]
            item = get_args(annotation)[1]
            if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
                raise ConfigError(f"{full} must hold tables ([{full}.NAME])")
            kwargs[key] = {name: _from_dict(item, v, f"{full}.{name}.") for name, v in value.items()}
        else:
            kwargs[key] = _coerce(full, value, annotation)
    return cls(**kwargs)


def config_from_dict(data: dict[str, Any]) -> Config:
    return _from_dict(Config, data).validate()


CONFIG_ENV = "TWIN_CONFIG"  # set by `twin --config FILE SUBCOMMAND` (and usable directly)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file as a dict; every way it can be unreadable is a ConfigError naming the file."""
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (bad byte at offset {exc.start})") from exc
    except RecursionError as exc:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config file: {exc.strerror or exc}") from exc


def load_config(path: str | os.PathLike | None = None, home: str | None = None) -> Config:
    """Load ``path`` (else $TWIN_CONFIG, else ``<home>/twin.toml`` if it exists) into a validated Config."""
    path = path or os.environ.get(CONFIG_ENV) or None
    candidate = Path(path).expanduser() if path else resolve_home(home) / "twin.toml"
    data: dict[str, Any] = {}
    if path and not candidate.exists():
        raise ConfigError(f"config file not found: {candidate}")
    if candidate.exists():
        if candidate.is_dir():
            raise ConfigError(f"{candidate} is a folder; give the config file (twin.toml)")
        data = read_toml(candidate)
    config = config_from_dict(data)
    if data:
        anchor_notes_folders(config, Path(os.path.abspath(candidate)).parent)
    if home:
        config.home = str(resolve_home(home))
    elif not config.home:
        config.home = str(resolve_home(None))
    return config


def anchor_notes_folders(config: Config, folder: Path) -> None:
    """A relative ``kb.notes_dir`` / ``kb.sources`` in a config file means next to that file,
    wherever twin runs: resolved against the current directory, `twin ingest` run from two
    places read two folders (and made two sources) of one setting. ``~`` still means home."""
    def anchored(value: str) -> str:
        return value if not value or os.path.isabs(os.path.expanduser(value)) else str(folder / value)

    config.kb.notes_dir = anchored(config.kb.notes_dir)
    config.kb.sources = [anchored(v) for v in config.kb.sources]


def apply_overrides(config: Config, overrides: dict[str, Any]) -> Config:
    """Apply dotted-key overrides (``{"retrieval.k": 6}``) from CLI flags, validated."""
    for dotted, value in overrides.items():
        if value is None:
            continue
        *parents, leaf = dotted.split(".")
        target: Any = config
        for part in parents:
            target = getattr(target, part, None)
            if not dataclasses.is_dataclass(target):
                raise ConfigError(f"unknown config key {dotted!r}")
        hints = get_type_hints(type(target))
        if leaf not in hints or dataclasses.is_dataclass(getattr(target, leaf, None)):
            raise ConfigError(f"unknown config key {dotted!r}")
        setattr(target, leaf, _coerce(dotted, value, hints[leaf]))
    return config.validate()


def to_dict(config: Config) -> dict[str, Any]:
    return dataclasses.asdict(config)


PERSON_PLACEHOLDER = "Your Name"


def example_toml(person: str | None = None) -> str:
    """The documented default config; ``person`` replaces the sample person's name
    (`twin config init` writes a neutral placeholder for the user to fill in)."""
    text = (Path(__file__).with_name("default_config.toml")).read_text(encoding="utf-8")
    if person is not None:
        text = text.replace(f'person = "{Config().person}"', f"person = {_toml_string(person)}", 1)
    return text


def _toml_string(value: str) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)  # a JSON string is a valid TOML basic string
