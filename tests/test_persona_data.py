"""Persona data: extractive facts, conflicts resolved to the newest note, privacy, split, transcripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin import offline

offline.apply()

from persona.dataset import DataOptions, build, save  # noqa: E402
from persona.transcripts import parse_transcript, windows  # noqa: E402
from twin.config import Config  # noqa: E402

NOTES = {
    "about-me.md": "---\ntitle: About me\ndate: 2025-06-10\n---\n# About me\n\nHi, I'm Ada Berg. I'm a baker.\n\n"
                   "## The short version\n\nI was born in 1990 in Tromso. My starter is called Gunnar.\n",
    "life/oslo.md": "---\ntitle: Moving to Oslo\ndate: 2021-03-01\n---\n# Moving to Oslo\n\nI live in Oslo now. "
                    "The flat is small.\n\n## Why\n\nI wanted snow. My bike is a Brompton.\n",
    "life/bergen.md": "---\ntitle: Moving to Bergen\ndate: 2024-09-01\n---\n# Moving to Bergen\n\nI moved to Bergen. "
                      "It rains a lot.\n\n## Where I swim\n\nI swim at Nordnes sjobad every morning.\n",
    "tools.md": "---\ntitle: Tools\ndate: 2024-01-01\n---\n# Tools\n\n## Editor\n\nI use Helix, and have since 2022.\n",
    "private/health.md": "---\ntitle: Health\ndate: 2024-01-01\n---\n# Health\n\nMy doctor is Dr. Zorblax Quint.\n",
    "diary.md": "---\ntitle: Diary\ndate: 2024-02-01\nprivate: true\n---\n# Diary\n\nMy door code is 5521#.\n",
}


@pytest.fixture(scope="module")
def notes_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("notes")
    for rel, text in NOTES.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def built(notes_dir: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    config = Config(person="Ada Berg", home=str(tmp_path_factory.mktemp("home")))
    opts = DataOptions(paraphrases=4, held_out=2, context_share=0.4, counterfactual_share=0.3, test_share=0.2)
    return build(config, notes_dir, opts)


def _target(ex) -> str:  # noqa: ANN001
    return ex.messages[-1]["content"]


def test_private_notes_never_reach_the_data(built) -> None:  # noqa: ANN001
    text = json.dumps([ex.messages for ex in built.train + built.test])
    assert "Zorblax" not in text and "5521#" not in text
    assert built.card["stats"]["private_notes_excluded"] == 2


def test_the_newest_note_wins_and_older_ones_become_conflict_examples(built) -> None:  # noqa: ANN001
    live = [ex for ex in built.train if ex.kind in ("qa", "context") and ex.fact_key == "live"]
    assert live and all("Bergen" in _target(ex) for ex in live)
    conflicts = [ex for ex in built.train if ex.kind == "conflict"]
    assert conflicts, "the Oslo → Bergen update must give conflict examples"
    for ex in conflicts:
        prompt = "\n".join(m["content"] for m in ex.messages[:-1])
        assert "I live in Oslo now" in prompt and "I moved to Bergen" in prompt
        assert "Bergen" in _target(ex) and "Oslo" not in _target(ex)


def test_prompts_match_the_generator(built) -> None:  # noqa: ANN001
    from langchain_core.messages import HumanMessage

    import prompts
    from nodes.generate import build_messages

    ex = next(e for e in built.train if e.kind == "qa")
    assert ex.messages[0] == {"role": "system", "content": prompts.render("persona_system", person="Ada Berg")}
    expected = build_messages("Ada Berg", ex.meta["question"], [], [])[-1]
    assert isinstance(expected, HumanMessage) and ex.messages[-2]["content"] == expected.content
    with_notes = next(e for e in built.train if e.kind == "context")
    fact = next(f for f in built.facts if f.key == with_notes.fact_key)
    from nodes.evidence import as_evidence
    from persona.context import fact_source

    expected = build_messages("Ada Berg", with_notes.meta["question"], as_evidence([fact_source(fact, 500)]), [])
    assert with_notes.messages[0]["content"].startswith(expected[0].content.split('My note "')[0])
    assert fact.answer.split(".")[0] in with_notes.messages[0]["content"]


def test_held_out_phrasings_are_never_trained(built) -> None:  # noqa: ANN001
    trained = {ex.meta.get("question") for ex in built.train}
    held = [q for fact in built.facts for q in fact.held_out]
    assert held and not trained & set(held)
    test_notes = set(built.card["test_notes"])
    assert not any(ex.note in test_notes for ex in built.train if ex.kind == "qa")


def test_counterfactual_targets_follow_the_newer_note(built) -> None:  # noqa: ANN001
    cfs = [ex for ex in built.train + built.test if ex.kind == "counterfactual"]
    assert cfs
    for ex in cfs:
        assert ex.fact in _target(ex)
        if ex.meta["altered_newer"]:
            assert ex.meta["memory"] not in _target(ex)


def test_save_writes_jsonl_and_a_data_card(built, tmp_path: Path) -> None:  # noqa: ANN001
    paths = save(built, tmp_path)
    rows = [json.loads(line) for line in paths["train"].read_text().splitlines()]
    assert len(rows) == len(built.train) and rows[0]["messages"][-1]["role"] == "assistant"
    assert "Data card" in paths["card_md"].read_text()


def test_empty_notes_give_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "notes").mkdir()
    with pytest.raises(ValueError, match="no training examples"):
        build(Config(home=str(tmp_path / "home")), tmp_path / "notes", DataOptions())


def test_transcript_windows_end_on_the_persons_turn() -> None:
    text = "# comment\nHost: Hi Ada.\nAda: Hello!\nHost: Where do you live?\nAda: In Bergen.\nand it rains\n"
    convs = windows(parse_transcript(text), "Ada Berg", window=10)
    assert len(convs) == 2
    last = convs[-1]
    assert [m["role"] for m in last] == ["user", "assistant", "user", "assistant"]
    assert last[-1]["content"] == "In Bergen. and it rains"
    assert len(windows(parse_transcript(text), "Ada Berg", window=1)[-1]) == 2
