"""The deterministic teacher: facts from a note's title, headings and sentences, in the note's own words.

A 135M teacher writes poor pairs, so this one needs no model: regular first-person patterns
("I live in X", "My starter is called Bubbles", "I joined X in 2025") and section headings
become questions (from ``templates.toml``), and the note's sentences are the answers.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

from persona.records import Fact
from persona.text import normalise, salient_span, second_person, sentences, truncate_sentences

TEMPLATES = Path(__file__).with_name("templates.toml")
ANSWER_CHARS = 280
_MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
_WHEN = rf"(?P<when>(?:\d{{1,2}} )?(?:(?:{_MONTHS}) )?(?:19|20)\d\d)"
_VERBS = {
    "joined": "join", "left": "leave", "moved to": "move to", "started": "start", "began": "begin",
    "built": "build", "wrote": "write", "made": "make", "finished": "finish", "ran": "run", "gave": "give",
    "signed up for": "sign up for", "picked": "pick", "tracked": "track",
}
_WH = ("what", "where", "why", "how", "when", "who", "which")
_PRONOUNS = {"it", "this", "that", "them", "her", "him", "there", "here"}


class ChunkLike(Protocol):
    heading: str
    text: str


class NoteLike(Protocol):
    path: str
    title: str
    date: str
    body: str


@dataclass
class Match:
    intent: str  # template family in templates.toml
    key: str  # what makes two facts "the same question" across notes ("live", "name:starter")
    slots: dict[str, str]
    fact: str


@cache
def templates() -> dict[str, Any]:
    return tomllib.loads(TEMPLATES.read_text(encoding="utf-8"))


def phrasings(intent: str, slots: dict[str, str]) -> list[str]:
    out = []
    for template in templates()["intents"][intent]["q"]:
        text = template.format(**slots).replace("  ", " ").strip()
        out.append(text[0].upper() + text[1:])
    return list(dict.fromkeys(out))


# -- sentence patterns ------------------------------------------------------------
def _cap_name(text: str) -> str:
    match = re.match(r"((?:[A-Z][\w'’-]*)(?:\s+[A-Z][\w'’-]*)*)", text)
    return match.group(1) if match else ""


def _live(s: str, _: str) -> Match | None:
    m = re.search(r"\bI (?:live|moved|am based|'m based|’m based)(?: now)? (?:in|to) (?P<x>[A-Z][\w-]+)", s)
    return Match("live", "live", {}, m.group("x")) if m else None


def _work(s: str, _: str) -> list[Match]:
    m = re.search(r"\bI (?:work at|joined|work for) (?P<org>[A-Z][\w&-]*(?: [A-Z][\w&-]*)*) as (?:an? )?(?P<role>[\w -]+?)(?: on | in |[.,]|$)", s)
    if not m:
        return []
    return [Match("work", "work", {}, m.group("org")), Match("role", "role", {}, m.group("role").strip())]


def _name(s: str, _: str) -> Match | None:
    m = re.search(r"\b[Mm]y (?P<x>[a-z][\w -]{1,30}?) (?:is|was) (?:called|named) (?P<name>[A-Z][\w'’-]*)", s)
    return Match("name", f"name:{m.group('x')}", {"x": m.group("x")}, m.group("name")) if m else None


def _my(s: str, _: str) -> Match | None:
    m = re.match(r"(?:Honestly, )?My (?P<x>[a-z][\w -]{1,30}?) (?:is|was) (?:an? |the )?(?P<val>.+?)[.,;]?$", s)
    if not m or " called " in s or " named " in s:
        return None
    fact = salient_span(m.group("val"), m.group("x")) or " ".join(m.group("val").split()[:3])
    return Match("my", f"my:{m.group('x')}", {"x": m.group("x")}, fact)


def _x_is_my(s: str, _: str) -> Match | None:
    m = re.match(r"(?P<name>[A-Z][\w'’-]*(?: [A-Z][\w'’-]*)*) is (?:now )?my (?P<x>[a-z][\w -]{1,30}?)[:.,]", s)
    return Match("my", f"my:{m.group('x')}", {"x": m.group("x")}, m.group("name")) if m else None


def _when(s: str, _: str) -> Match | None:
    verbs = "|".join(sorted(_VERBS, key=len, reverse=True))
    m = re.match(rf"(?:Honestly, )?I (?P<vp>{verbs}) (?P<o>.+?),? (?:in|on) {_WHEN}\b", s)
    if not m or len(m.group("o")) > 60:
        return None
    obj = second_person(m.group("o")).strip(" ,")
    if obj.lower() in _PRONOUNS or obj.split()[0].lower() in _PRONOUNS:
        return None
    slots = {"v": _VERBS[m.group("vp")], "vp": m.group("vp"), "o": obj}
    return Match("when", f"when:{m.group('vp')} {normalise(obj)}", slots, m.group("when"))


def _born(s: str, _: str) -> list[Match]:
    m = re.search(r"\bI was born in (?P<year>(?:19|20)\d\d) in (?P<place>[A-Z][\w-]+)", s)
    if not m:
        return []
    return [Match("born_when", "born_when", {}, m.group("year")), Match("born_where", "born_where", {}, m.group("place"))]


def _study(s: str, _: str) -> Match | None:
    m = re.search(r"\bI studied (?P<what>[a-z][\w ]+?) at (?P<where>[A-Z][\w-]+)", s)
    return Match("study", "study", {}, m.group("where")) if m else None


def _choice(s: str, heading: str) -> Match | None:
    m = re.match(r"(?:Honestly, )?I (?P<v>use|prefer|dislike|like|avoid|read|pick) (?P<val>[A-Z0-9].+)", s)
    if not m or not heading or heading.lower().startswith(_WH):
        return None
    x = second_person(heading.lower())
    fact = _cap_name(m.group("val")) or m.group("val").split()[0]
    return Match("choice", f"choice:{m.group('v')} {normalise(x)}", {"x": x, "v": m.group("v")}, fact.strip(" ,."))


RULES: list[Callable[[str, str], Any]] = [_live, _work, _name, _x_is_my, _my, _when, _born, _study, _choice]


def sentence_matches(sentence: str, heading: str) -> list[Match]:
    out: list[Match] = []
    for rule in RULES:
        found = rule(sentence, heading)
        out.extend(found if isinstance(found, list) else [found] if found else [])
    return out


# -- headings ---------------------------------------------------------------------
def heading_question(heading: str, title: str) -> tuple[str, dict[str, str]] | None:
    """A section heading as a question: "Where I climb" → ("wh", "Where do you climb?")."""
    words = heading.strip().rstrip("?").split()
    if len(words) < 2:
        return None
    first = words[0].lower()
    if first in _WH and words[1] in ("I", "I'd", "I'm", "I’d", "I’m"):
        rest = second_person(" ".join(words[2:]))
        if len(title.split()) <= 3:
            rest = re.sub(r"\bit\b", title.lower(), rest)
        if rest.startswith(("don't", "don’t")):
            q = f"{words[0]} don't you{rest[5:]}?"
        elif words[1] in ("I'd", "I’d"):
            q = f"{words[0]} would you {rest}?"
        elif words[1] in ("I'm", "I’m"):
            q = f"{words[0]} are you {rest}?"
        else:
            q = f"{words[0]} do you {rest}?"
        return "wh", {"q": q, "ql": q[0].lower() + q[1:], "t": title.lower()}
    return None


def topic_phrase(heading: str, title: str) -> str:
    """What a "tell me about ..." question names: the heading in second person, with its note."""
    phrase = second_person(heading.strip().rstrip(":?."))
    phrase = phrase[0].lower() + phrase[1:] if phrase[:2] != phrase[:2].upper() else phrase
    if heading.strip().lower() == title.strip().lower():
        return phrase
    if not phrase.lower().startswith(("your ", "the ", "a ")):
        phrase = f"{phrase} ({title})"
    return phrase


# -- facts --------------------------------------------------------------------------
def facts_from_chunks(note: NoteLike, chunks: list[ChunkLike], person: str) -> list[Fact]:
    """Every fact the extractive teacher can read from one (public) note."""
    facts: dict[str, Fact] = {}
    for chunk in chunks:
        heading = chunk.heading.split(" > ")[-1].strip() if chunk.heading else ""
        sents = sentences(chunk.text)
        if not sents:
            continue
        for i, sentence in enumerate(sents):
            for match in sentence_matches(sentence, heading):
                answer = truncate_sentences(sents[i : i + 2], ANSWER_CHARS)
                _add(facts, note, chunk, match.intent, match.key, phrasings(match.intent, match.slots), answer, match.fact)
        _add_section(facts, note, chunk, heading, sents, person)
    return list(facts.values())


def _add_section(facts: dict[str, Fact], note: NoteLike, chunk: ChunkLike, heading: str,
                 sents: list[str], person: str) -> None:
    answer = truncate_sentences(sents, ANSWER_CHARS)
    first = person.split()[0]
    if heading.lower() in ("about me", "the short version") or first in sents[0] and " I'm " in f" {sents[0]} ":
        _add(facts, note, chunk, "identity", "identity", phrasings("identity", {}), answer, first)
        return
    wh = heading_question(heading, note.title) if heading else None
    if wh:
        intent, slots = wh
        _add(facts, note, chunk, intent, f"wh:{note.path}:{normalise(heading)}", phrasings(intent, slots), answer,
             salient_span(answer, slots["q"]))
        return
    topic = topic_phrase(heading or note.title, note.title)
    _add(facts, note, chunk, "topic", f"topic:{note.path}:{normalise(heading or note.title)}",
         phrasings("topic", {"x": topic}), answer, salient_span(answer, topic))


def _add(facts: dict[str, Fact], note: NoteLike, chunk: ChunkLike, intent: str, key: str,
         questions: list[str], answer: str, fact: str) -> None:
    if key in facts or not answer:
        return
    facts[key] = Fact(
        key=key, note=note.path, date=str(note.date), intent=intent, questions=questions, answer=answer,
        fact=fact.strip(), source_text=chunk.text.strip(), heading=chunk.heading, title=note.title,
        teacher="extractive", grounding=10, style=_style_score(answer),
    )


def _style_score(answer: str) -> int:
    """First person and short reads like the person; third person or fragments less so."""
    words = f" {answer} ".replace("’", "'")
    score = 5 + 3 * any(w in words for w in (" I ", " I'm ", " I've ", " my ", " My ", " me "))
    score += 1 if answer.endswith((".", "!", "?")) else -1
    score += 1 if 40 <= len(answer) <= ANSWER_CHARS else 0
    return max(1, min(10, score))
