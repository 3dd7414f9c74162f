"""Off-limits topics (config ``judge.off_limits_topics``): spotted in questions and answers.

Questions are classified by regex (``nodes/guards/data/topics.toml``) and, when an
embeddings model is at hand, by meaning: nearest neighbour among labelled example
questions, where the ``benign`` examples (sensitive-sounding questions about public
notes) compete with the topics. The validator blocks when the question was flagged
``off_limits:<topic>`` or the answer discloses an off-limits topic on its own; in the second
case the judge keeps the rest of the answer when there is one ("I live in Hobart now. My
partner …" to "Where do you live?" loses its second sentence, not the whole answer).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from guardrails import Validator, register_validator
from guardrails.classes.validation.validation_result import FailResult, PassResult, ValidationResult

from privacy.views import fold
from twin.config import ConfigError

TOPICS_FILE = Path(__file__).with_name("data") / "topics.toml"
BENIGN = "benign"
FLAG_PREFIX = "off_limits:"
SHORT_QUESTION_WORDS = 7  # a question this short is taken to be about the person ("And her husband?")

_TO_THE_PERSON = re.compile(r"\b(?:you|your|yours|yourself|you're|you've|you'd|ya|u|ur)\b", re.I)
_WORD = re.compile(r"[\w'’-]+")
_POSSESSIVE = re.compile(r"\b(\w+)['’]s\b")  # "colin firth's wife"; after these it is "is" or "has":
_NOT_POSSESSORS = frozenset("what who where when how why which that this it there here let he she one everyone "
                            "someone anyone nobody".split())
_POSSESSIVE_END = re.compile(r"['’]s?$")
# someone's possessive right before a word, not the person's or a pronoun's ("Nell's mum", "the dog's mother")
_POSSESSOR_BEFORE = re.compile(r"\b(?!(?:your|my|his|her|their|our|its|what|who|where|when|how|why|which|that|this|it|"
                               r"there|here|let|he|she)['’\s])[^\W\d_][\w-]*['’]s\s+$", re.I)
_THIRD_PARTY = re.compile(r"\b(?:he|she|his|her|hers|him|they|their|theirs|them|he's|she's|they're)\b", re.I)

Embed = Callable[[list[str]], Any]  # texts -> (n, d) array of normalised vectors


@dataclass(frozen=True)
class Topic:
    name: str
    phrase: str
    question: tuple[re.Pattern[str], ...] = ()
    answer: tuple[re.Pattern[str], ...] = ()
    examples: tuple[str, ...] = ()
    not_before: re.Pattern[str] | None = None  # a question match followed by this is not the topic
    not_after: re.Pattern[str] | None = None  # ...or right after this ("a doubles partner"; ends with ``$``)
    animals: re.Pattern[str] | None = None  # a question naming one: "Nell's mum" is the dog's, not family
    technical_sense: re.Pattern[str] | None = None  # words of the topic that also name computing things
    technical: re.Pattern[str] | None = None  # a computing thing named in the question ("docker", "query")
    named: re.Pattern[str] | None = None  # someone of the topic asked about by name ("Dr Haldane")

    def asked_in(self, text: str) -> bool:
        """A question pattern matches ``text``, and not where ``not_before`` follows the match or
        ``not_after`` comes right before it ("Who's your carrom doubles partner?"), nor where the
        match is a word with a technical sense in a question about computing things ("shrink a
        docker image", "a health check", "diagnose a slow query"): those are left to the match by
        meaning; nor, in a question that names an animal, where the match follows someone's
        possessive ("Which dog was Nell's mum?")."""
        computing = bool(self.technical and self.technical.search(text))
        animal = bool(self.animals and self.animals.search(text))
        return any(not (self.not_before and self.not_before.match(text, m.end()))
                   and not (self.not_after and self.not_after.search(text, 0, m.start()))
                   and not (animal and _POSSESSOR_BEFORE.search(text, 0, m.start()))
                   and not (computing and self.technical_sense and self.technical_sense.search(m.group(0)))
                   for p in self.question for m in p.finditer(text))

    def names_asked(self, text: str) -> list[str]:
        """Whom ``named`` finds in ``text``, as the words to look for in the notes ("What did Dr.
        Haldane's nurse say?" → ["Dr Haldane"]: no punctuation, no possessive)."""
        if self.named is None:
            return []
        found = (_POSSESSIVE_END.sub("", m.group(0)) for m in self.named.finditer(text))
        return [" ".join(words) for name in found if (words := _WORD.findall(name))]


@lru_cache(maxsize=4)
def _load_file(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"topics file {path}: {exc}") from exc


def _pattern(path: Path | str, where: str, pattern: str) -> re.Pattern[str]:
    """``pattern`` compiled case-insensitively; a bad one is an error naming the file and key."""
    try:
        return re.compile(pattern, re.I)
    except re.error as exc:
        raise ConfigError(f"topics file {path}: {where} is not a valid regex ({exc}): {pattern!r}") from exc


def _topic(name: str, spec: dict[str, Any], path: Path | str, technical: str | None) -> Topic:
    """One topic of the file, its patterns compiled (a bad one names the file and key)."""
    key = name.lower()

    def optional(field: str) -> re.Pattern[str] | None:
        return _pattern(path, f"[{key}] {field}", spec[field]) if spec.get(field) else None

    computing = technical and spec.get("technical_sense")
    return Topic(
        name=name, phrase=spec.get("phrase", f"my {name}"),
        question=tuple(_pattern(path, f"[{key}] question", p) for p in spec.get("question", [])),
        answer=tuple(_pattern(path, f"[{key}] answer", p) for p in spec.get("answer", [])),
        examples=tuple(spec.get("examples", [])),
        not_before=optional("not_before"),
        not_after=optional("not_after"),
        animals=optional("animals"),
        technical_sense=optional("technical_sense"),
        technical=_pattern(path, "[technical] context", technical) if computing else None,
        named=optional("named"),
    )


def load_topics(names: Sequence[str], path: Path | str = TOPICS_FILE) -> tuple[list[Topic], tuple[str, ...]]:
    """The configured topics (unknown names match by their own word) and the benign examples."""
    data = _load_file(str(path))
    technical = data.get("technical", {}).get("context")
    topics = []
    for name in names:
        spec = data.get(name.lower())
        if spec is None:
            word = re.escape(name.lower())
            topics.append(Topic(name, f"my {name}", (re.compile(rf"\b{word}\w*", re.I),), ()))
        else:
            topics.append(_topic(name, _with_shared(data, name, spec, path), path, technical))
    return topics, tuple(data.get(BENIGN, {}).get("examples", []))


def _with_shared(data: dict[str, Any], name: str, spec: dict[str, Any], path: Path | str) -> dict[str, Any]:
    """``spec`` with the ``not_after`` of the topic its ``not_after_as`` names ("a doubles partner"
    is neither family nor a love life: one list of pastimes, kept in the family topic)."""
    other = spec.get("not_after_as")
    if other is None:
        return spec
    shared = data.get(other, {}).get("not_after")
    if shared is None:
        raise ConfigError(f"topics file {path}: [{name.lower()}] not_after_as = {other!r} names no topic with a not_after")
    return {**spec, "not_after": shared}


def about_the_person(question: str, person: str = "") -> bool:
    """Whether ``question`` may ask about the person's own life. It does unless it is longer than
    seven words, speaks to no one ("you", "your"), does not name the person, and speaks of a third
    party: "he", "his", "their"… or someone's possessive ("colin firth's wife"). Off-limits topics
    are the person's health, money and family: "What Saturday Night Live actor was killed by his
    wife?" is not about theirs (ConflictNQ: refused as a family question). Names are not read as
    a third party (a place or a product is capitalised too), so "Did Doug Ross have a son on ER?"
    is still refused. What an answer discloses is checked either way."""
    words = _WORD.findall(question)
    if len(words) <= SHORT_QUESTION_WORDS or _TO_THE_PERSON.search(question):
        return True
    names = {n for n in _WORD.findall(person.lower()) if len(n) >= 3}
    if any(_bare(w) in names for w in words):
        return True
    return not (_THIRD_PARTY.search(question)
                or any(_bare(w) not in _NOT_POSSESSORS for w in _POSSESSIVE.findall(question)))


def _bare(word: str) -> str:
    """A word lower-cased, without a possessive ("Noa's" → "noa")."""
    return re.split(r"['’]", word.lower())[0]


@dataclass
class TopicClassifier:
    topics: list[Topic]
    benign: tuple[str, ...] = ()
    embed: Embed | None = None
    threshold: float = 0.6
    embed_bank: Embed | None = None  # embeds the labelled examples (e.g. from a disk cache); default: embed
    person: str = ""  # the person's name: a question naming them is about them
    _bank: tuple[Any, list[str]] | None = field(default=None, repr=False)

    def by_pattern(self, text: str) -> list[str]:
        return [t.name for t in self.topics if t.asked_in(text)]

    def _examples(self) -> tuple[Any, list[str]]:
        if self._bank is None:
            import numpy as np

            texts = [e for t in self.topics for e in t.examples] + list(self.benign)
            labels = [t.name for t in self.topics for _ in t.examples] + [BENIGN] * len(self.benign)
            embed = self.embed_bank or self.embed
            vectors = np.asarray(embed(texts), dtype=np.float32) if texts else np.zeros((0, 1))
            self._bank = (vectors, labels)
        return self._bank

    def by_meaning(self, text: str) -> tuple[str, float]:
        """Nearest labelled example: (topic or 'benign', cosine similarity)."""
        if self.embed is None:
            return BENIGN, 0.0
        vectors, labels = self._examples()
        if not labels:
            return BENIGN, 0.0
        import numpy as np

        query = np.asarray(self.embed([text]), dtype=np.float32)[0]
        sims = vectors @ query
        best = int(sims.argmax())
        return labels[best], float(sims[best])

    def classify(self, question: str) -> list[str]:
        """The off-limits topics ``question`` asks about (none when it asks about someone else),
        counting those asked about by someone's name (:meth:`by_name`) whoever they are."""
        found, named = self.by_name(question)
        return found + list(named)

    def by_name(self, question: str) -> tuple[list[str], dict[str, list[str]]]:
        """The topics ``question`` asks about, and apart ``{topic: names}`` for those it asks about
        only by naming someone ("Who is Dr Haldane?": the name is what makes it look like the
        health topic, to the patterns and by meaning): the caller flags those unless the notes
        name them."""
        text = fold(question)
        if not about_the_person(text, self.person):
            return [], {}
        found = self.by_pattern(text)
        label, sim = self.by_meaning(self.unnamed(text))
        if label != BENIGN and sim >= self.threshold and label not in found:
            found.append(label)
        return found, {t.name: names for t in self.topics if t.name not in found and (names := t.names_asked(text))}

    def unnamed(self, text: str) -> str:
        """``text`` with the people the topics' ``named`` patterns find said as "someone": the match
        by meaning reads the rest ("Which pills did someone give you?" is health, 0.62;
        "Who is someone?" is not)."""
        for topic in self.topics:
            if topic.named is not None:
                text = topic.named.sub("someone", text)
        return text

    def disclosed(self, answer: str) -> list[str]:
        """The topics ``answer`` gives away, whatever the question asked: "My partner Jonah…" to
        "Who's your training partner?" (not a family question) still tells who the partner is."""
        text = fold(answer)
        return [t.name for t in self.topics if any(p.search(text) for p in t.answer)]

    def phrase(self, name: str) -> str:
        return next((t.phrase for t in self.topics if t.name == name), f"my {name}")


def topic_flags(flags: Sequence[str]) -> list[str]:
    return [f.removeprefix(FLAG_PREFIX) for f in flags if f.startswith(FLAG_PREFIX)]


@register_validator(name="twin/off_limits", data_type="string")
class OffLimits(Validator):
    """Blocks answers to off-limits questions, and answers that disclose such a topic."""

    def __init__(self, classifier: TopicClassifier, on_fail: Any = None, **kwargs: Any) -> None:
        super().__init__(on_fail=on_fail, **kwargs)
        self.classifier = classifier

    def _validate(self, value: Any, metadata: dict[str, Any]) -> ValidationResult:
        asked = topic_flags(metadata.get("input_flags", []))
        if asked:
            return FailResult(error_message=f"off_limits: question about {', '.join(asked)}",
                              metadata={"kind": "off_limits", "topic": asked[0]})
        told = self.classifier.disclosed(str(value))
        if told:
            return FailResult(error_message=f"off_limits: answer discloses {', '.join(told)}",
                              metadata={"kind": "off_limits", "topic": told[0], "droppable": True})
        return PassResult()
