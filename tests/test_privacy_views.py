"""Decodings the leak check looks through: every trick to smuggle a secret out is undone."""

from __future__ import annotations

import base64
import codecs

import pytest

from privacy.views import caesar, collapse_spelled, fold, spoken_numbers, views, words_to_chars


def _texts(text: str) -> dict[str, str]:
    return {v.name: v.text for v in views(text)}


def _anywhere(text: str, needle: str) -> list[str]:
    return [name for name, value in _texts(text).items() if needle in value.lower().replace(" ", "")]


@pytest.mark.parametrize("answer", [
    "sertraline",
    "enilartres",  # reversed
    base64.b64encode(b"sertraline").decode(),
    base64.urlsafe_b64encode(b"sertraline").decode().rstrip("="),
    "c2VydH Jh bGluZQ==",  # base64 split by spaces
    "73 65 72 74 72 61 6c 69 6e 65",  # hex bytes
    "0x736572747261 6c696e65",
    codecs.encode("sertraline", "rot13"),
    caesar("sertraline", 3),
    "s-e-r-t-r-a-l-i-n-e",
    "S E R T R A L I N E",
    "s.e.r.t.r.a.l.i.n.e",
    "e n i l a r t r e s",  # spelled and reversed
    "sierra echo romeo tango romeo alfa lima india november echo",
    "5ertr4line",  # leetspeak
    "ѕertraline",  # Cyrillic look-alike first letter
    "ser\u200btraline",  # zero-width space
    base64.b64encode(b"enilartres").decode(),  # reversed, then base64
])
def test_word_secret_is_recovered(answer: str):
    assert _anywhere(answer, "sertraline"), answer


@pytest.mark.parametrize("answer, digits", [
    ("seven three one nine", "7319"),
    ("Seven-three-one-nine, then the hash key", "7319"),
    ("nine one three seven", "7319"),  # digit words, reversed
    ("ninety-four thousand euros", "94000"),
    ("four thousand eight hundred and twelve", "4812"),
    (codecs.encode("seven three one nine", "rot13"), "7319"),
    ("9137", "7319"),
])
def test_number_secret_is_recovered(answer: str, digits: str):
    assert _anywhere(answer, digits), answer


def test_plain_view_is_folded_text_and_views_are_unique():
    found = views("Café ﬁne")
    assert found[0].name == "plain" and found[0].text == "Cafe fine"
    assert len({v.text for v in found}) == len(found)


def test_helpers():
    assert fold("Ｆｒｅｊａ") == "Freja"
    assert collapse_spelled("code: 7 3 1 9 #") == "7319#"
    assert words_to_chars("sierra oscar") == ("so", "  ")
    assert spoken_numbers("I paid twelve hundred and a bit") == "1200"
    assert caesar(caesar("Heron", 5), 21) == "Heron"


def test_ordinary_text_gives_no_false_decodings():
    text = "I climb at Bolder Rotterdam on Tuesday and Friday evenings."
    decoded = _texts(text)
    assert decoded.get("base64", "") == "" and decoded.get("hex", "") == ""
