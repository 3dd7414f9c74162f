"""Config: TOML + flags, validated with messages that name the key and the allowed values."""

from __future__ import annotations

from pathlib import Path

import pytest

from twin.config import Config, ConfigError, apply_overrides, config_from_dict, example_toml, load_config


def test_defaults_are_valid_and_documented_file_matches() -> None:
    import tomllib

    from_file = config_from_dict(tomllib.loads(example_toml()))
    assert from_file == Config()


def test_documented_file_names_every_key() -> None:
    """`twin config init` writes "the documented defaults": every key a section takes is in the
    file ([base] is the analyzer's model: backend and model; serve profiles are a commented example)."""
    import dataclasses
    import tomllib

    written = tomllib.loads(example_toml())
    not_written = {"base": {f.name for f in dataclasses.fields(Config().base)} - {"backend", "model"},
                   "serve": {"profiles"}}
    for section in dataclasses.fields(Config()):
        value = getattr(Config(), section.name)
        if not dataclasses.is_dataclass(value):
            continue
        keys = {f.name for f in dataclasses.fields(value)} - not_written.get(section.name, set())
        missing = sorted(keys - set(written.get(section.name, {})))
        assert not missing, f"[{section.name}] keys missing from twin/default_config.toml: {missing}"


def test_unknown_key_names_key_and_allowed() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.kk.*allowed here: k, fetch_k"):
        config_from_dict({"retrieval": {"kk": 3}})


def test_bad_enum_lists_choices() -> None:
    with pytest.raises(ConfigError, match=r"persona\.backend = 'gpt'.*local, ollama"):
        config_from_dict({"persona": {"backend": "gpt"}})
    with pytest.raises(ConfigError, match=r"analyzer\.strategy.*embedding, score, llm, always"):
        config_from_dict({"analyzer": {"strategy": "vibes"}})


def test_bad_types_and_ranges() -> None:
    with pytest.raises(ConfigError, match=r"retrieval\.k must be an integer"):
        config_from_dict({"retrieval": {"k": "four"}})
    with pytest.raises(ConfigError, match=r"nodes\.judge must be true or false"):
        config_from_dict({"nodes": {"judge": "no"}})
    with pytest.raises(ConfigError, match=r"retrieval\.k = 0 is too small"):
        config_from_dict({"retrieval": {"k": 0}})
    with pytest.raises(ConfigError, match=r"chroma_url must look like"):
        config_from_dict({"retrieval": {"chroma_url": "localhost:8000"}})


def test_toml_file_and_overrides(tmp_path) -> None:
    path = tmp_path / "twin.toml"
    path.write_text('[retrieval]\nk = 6\nhalf_life_days = 90\n[nodes]\njudge = false\n')
    config = load_config(path, str(tmp_path))
    assert config.retrieval.k == 6 and config.retrieval.half_life_days == 90.0
    assert config.nodes.off() == ["judge"]
    assert config.home_path == tmp_path.resolve()
    apply_overrides(config, {"retrieval.k": 2, "persona.model": None})
    assert config.retrieval.k == 2 and config.persona.model == "embedded"


def test_broken_toml_and_missing_file(tmp_path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[retrieval\nk=1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.toml")


def test_off_names_are_checked() -> None:
    toggles = Config().nodes.with_off(["retrieve", "judge"])
    assert toggles.off() == ["retrieve", "judge"]
    with pytest.raises(ConfigError, match="unknown node 'retriever'.*analyze, retrieve, rerank"):
        Config().nodes.with_off(["retriever"])


def test_relative_notes_folders_are_next_to_the_config_file(tmp_path, monkeypatch) -> None:
    """A relative kb.notes_dir / kb.sources was resolved against the current directory, so
    `twin ingest` from two places read two different folders for one setting."""
    from kb.cli import resolve_notes_dirs

    conf = tmp_path / "conf"
    conf.mkdir()
    (conf / "twin.toml").write_text('[kb]\nnotes_dir = "notes"\nsources = ["a", "../b", "~/c", "/abs/d"]\n',
                                    encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    config = load_config("../conf/twin.toml")
    assert config.kb.notes_dir == str(conf / "notes")
    assert config.kb.sources == [str(conf / "a"), str(conf / "../b"), "~/c", "/abs/d"]
    assert [p.resolve() for p in resolve_notes_dirs(config, None)][:2] == [conf / "a", tmp_path / "b"]
    config.kb.sources = []
    assert resolve_notes_dirs(config, None) == [conf / "notes"]
    assert resolve_notes_dirs(config, [Path("x")]) == [Path("x")], \
        "a folder given on the command line is still relative to where twin runs"
