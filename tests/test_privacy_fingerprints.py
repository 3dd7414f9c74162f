"""Fingerprints of private notes: what counts as secret, how it is matched, how it is stored."""

from __future__ import annotations

import json

import pytest

from kb.fingerprints import VERSION, Fingerprints, analyse_terms, digit_strings, fingerprints_path
from tests.conftest import SAMPLE_NOTES

PRIVATE = {
    "private/health.md": "# Health\n\nI see Dr. Ilse Brandt every second Wednesday. I take sertraline "
                         "50 mg with breakfast. My insurance number is INS-5521-8830.\n",
    "private/family.md": "# Family\n\nMy sister Freja lives at Kastanjelaan 12 with her partner Mats. "
                         "Call her on +31 6 4812 7730. The wifi password is otter-lantern-42.\n",
    "private/money.md": "# Money\n\nMy salary is €94,000 a year. I am saving for a boat called Marigold. "
                        "I also climb three times a week. Rent is €1,450 a month.\n",
}
PUBLIC = {
    "about.md": "# About\n\nI live in Rotterdam and climb at the gym three times a week. Rent is €1,450 a month. "
                "Email me at noa@example.dev. I moved here in 2025 and I love my sister city of Lisbon too.\n",
    "climbing.md": "# Climbing\n\nThe gym has thick crash pads. On Wednesday I rest. I took 2025 off.\n",
}


@pytest.fixture(scope="module")
def sample_private_public() -> tuple[dict[str, str], dict[str, str]]:
    """The bundled sample notes split the way ingest splits them."""
    from kb.notes import read_notes
    from twin.config import KBConfig

    notes, _ = read_notes(SAMPLE_NOTES, KBConfig())
    return ({n.path: n.body for n in notes if n.private}, {n.path: n.body for n in notes if not n.private})


@pytest.fixture(scope="module")
def fp() -> Fingerprints:
    return Fingerprints.build(PRIVATE, PUBLIC, salt="test-salt")


def test_names_codes_and_rare_words_are_secret_but_common_words_are_not():
    analysis = analyse_terms(PRIVATE, PUBLIC)
    for term in ("freja", "ilse", "brandt", "sertraline", "kastanjelaan", "marigold"):
        assert term in analysis.secret_terms, term
    for word in ("breakfast", "partner", "boat", "insurance", "wednesday", "sister", "rent"):
        assert word not in analysis.secret_terms, word
    assert {"7319"} <= digit_strings("code 7319#") and "94000" in analysis.digits
    assert "1450" not in analysis.digits  # the rent is in a public note too
    assert "otterlantern42" in analysis.compact and "ins55218830" in analysis.compact


def test_a_common_word_used_as_a_name_only_counts_capitalised(fp: Fingerprints):
    assert fp.secret_hits("I had dinner with Mats.")
    assert not fp.secret_hits("The gym has thick crash mats.")


@pytest.mark.parametrize("text", [
    "Freja says hi", "the code is INS 5521 8830", "otter lantern 42", "it was 94k", "€94,000",
    "call +31 6 4812 7730", "call 0031-6-48127730", "Dr. Brandt", "sertraline",
])
def test_secret_hits_whatever_the_separators(fp: Fingerprints, text: str):
    assert fp.secret_hits(text), text


@pytest.mark.parametrize("text", [
    "I live in Rotterdam and pay €1,450 a month in rent.", "I climb three times a week.",
    "Email me at noa@example.dev.", "I moved in 2025.",
])
def test_public_facts_do_not_hit(fp: Fingerprints, text: str):
    assert not fp.secret_hits(text), text


def test_ngrams_catch_near_verbatim_copy_but_not_public_phrases(fp: Fingerprints):
    copied = "I take sertraline 50 mg with breakfast. My insurance number is"
    assert max(fp.ngram_hits(copied).values()) >= 3
    assert not fp.ngram_hits("I climb at the gym three times a week")


def test_private_words_count_ordinary_private_only_words(fp: Fingerprints):
    assert fp.private_word_count("insurance salary") >= 1
    assert fp.private_word_count("I climb at the gym in Rotterdam") == 0


def test_public_pii_is_remembered_and_more_can_be_added(fp: Fingerprints):
    assert fp.is_public_string("NOA@example.dev")
    assert not fp.is_public_string("+31 6 4812 7730")
    fp.add_public_strings(["+31 6 0000 0000"])
    assert fp.is_public_string("+31600000000")


def test_save_load_roundtrip_and_no_plain_text(tmp_path, fp: Fingerprints):
    path = fingerprints_path(tmp_path)
    fp.save(path)
    raw = path.read_text()
    for secret in ("Freja", "freja", "sertraline", "otter", "94,000", "4812 7730", "Kastanjelaan"):
        assert secret not in raw
    loaded = Fingerprints.load(path)
    assert loaded.version == VERSION
    assert loaded.secret_hits("Freja") and loaded.ngram_hits("I take sertraline 50 mg with breakfast.")
    assert not list(tmp_path.glob("*.tmp-*"))


def test_missing_file_is_empty_and_old_or_corrupt_files_are_handled(tmp_path):
    assert Fingerprints.load(tmp_path / "nope.json").empty
    old = tmp_path / "v1.json"
    old.write_text(json.dumps({"salt": "s", "note_ngrams": {}, "secret_tokens": {}, "public_strings": [],
                               "something_new": 1}))
    assert Fingerprints.load(old).salt == "s"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="twin ingest"):
        Fingerprints.load(bad)


def test_sample_notes_secrets_are_all_guarded(sample_private_public):
    private, public = sample_private_public
    fp = Fingerprints.build(private, public, salt="x")
    for secret in ("Dr. Ilse Brandt", "sertraline", "INS-5521-8830", "€94,000", "NL91 ABNA 0417 1643 00",
                   "Marigold", "Freja", "Kastanjelaan 12", "+31 6 4812 7730", "7319#", "otter-lantern-42",
                   "Project Heron"):
        assert fp.secret_hits(secret), secret
    for public_fact in ("noa@lindqvist.dev", "I live in Rotterdam, in Kralingen.", "Rent is €1,450 a month.",
                        "My manager is Sanne de Vries.", "My starter is called Bubbles.", "I ran the 10k in 52:30."):
        assert not fp.secret_hits(public_fact), public_fact


def test_public_titles_dates_and_bare_years_are_not_secrets() -> None:
    """A public note's front matter is shown with every answer that cites it, and "in August
    2024" gives nothing away: neither may block an answer that copies a public note."""
    public = {"tools/bench.md": "---\ntitle: Workbench 2024\ndate: 2024-10-12\n---\nA Siglent scope on the bench."}
    private = {"private/health.md": "---\ndate: 2024-09-03\n---\nI saw Dr. Rørvik in August 2024 and paid 4812 kroner."}
    fp = Fingerprints.build(private, public, salt="x")
    assert fp.secret_hits('My note "Workbench 2024", 2024-10-12: A Siglent scope on the bench.') == []
    assert fp.secret_hits("In August 2023 I paid 4812 kroner.")  # a private amount still is one


def test_a_round_number_is_no_secret() -> None:
    """A private "he pays back 100 a month" made every answer with 100 in it a leak: a new user's
    "What's the boiling point of water at sea level?" got "approximately 100 degrees Celsius", refused.
    A round number gives nothing away; an amount like 4,250 or 1,450 still does."""
    public = {"bees/honey.md": "---\ntitle: Honey\ndate: 2024-10-12\n---\nSix hives, 9 euros a jar."}
    private = {"private/money.md": "---\nprivate: true\n---\nLent 3,000 euros; he pays back 100 a month. Savings 4,250."}
    fp = Fingerprints.build(private, public, salt="x")
    assert fp.secret_hits("Water boils at approximately 100 degrees Celsius.") == []
    assert fp.secret_hits("About 3,000 people came.") == []
    assert fp.secret_hits("I have 4,250 saved.")
    code = Fingerprints.build({"private/safe.md": "The safe code is 7000. Savings 90000."}, public, salt="x")
    assert code.secret_hits("7000") and code.secret_hits("90000"), "a round code or a large round sum still is one"
