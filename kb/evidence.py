"""What the index says about a question: evidence that the person's notes hold its subject.

The analyzer's classifier judges a question by its form ("Where do you live?" is
personal, "How do I squash commits?" looks general); it cannot know that *these* notes
are TILs about git, or that "Bubbles" is the name of this person's sourdough starter.
:func:`note_evidence` looks at the notes themselves:

- **note terms**: words of the question that occur in the notes and are rare in general
  English (outside the ~30k most frequent words of the embedding model's vocabulary:
  "tmux", "psql", "Kralingen"), unless the question uses them as a common noun ("what is
  *a* CRDT"); or a name the question capitalises mid-sentence ("What goes into Bubbles?"),
  uncommon (past ``NAME_RANK``), found in the notes, with the notes at least loosely about
  the question (cosine >= ``NAME_SIMILARITY``);
- **your thing**: a thing of the person's the question asks about ("What colour is *your cat*?",
  "What can you see from *your house*?") that a note's title, heading or tags name (a note
  tagged ``cat``, a note titled "Top house"): the notes are about it, however plainly it is
  asked. Small talk is not a thing ("How's your day going?", "What's your name?");
- **title match**: a note whose title's content words all occur in the question
  ("What goes into your Ghost Pepper Haze?" names the note "Ghost Pepper Haze");
- **close match**: a chunk very close to the question (cosine >= ``CLOSE_SIMILARITY``), or
  the two searches agree on a note and the best vector match is fairly close (cosine >=
  ``AGREE_SIMILARITY``): the best note of one search is among the best ``AGREE_TOP`` of the
  other. Two independent searches found one note about it ("How do you find email addresses
  that show up more than once in a mailing list table?": the vector search's first note is
  BM25's second; requiring both first missed it).

The thresholds were set on the dev data only (the sample notes' routing sets and the dev
half of the til questions, bench/bench_kb_routing.py); general chat measured on the same
notes stays below them.

Any of these is enough to retrieve (nodes/routing.py adds them to the classifier: they
can turn NO_RETRIEVE into RETRIEVE, never the reverse). Costs one BM25 query, one
document-frequency lookup per rare word and the vector query the retriever caches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from kb.lexical import STOPWORDS, terms
from privacy.lexicon import frequency_rank

NAME_RANK = 10000  # a capitalised word rarer than this, found in the notes, names something in them
NAME_SIMILARITY = 0.3  # ...when the notes are at least this close to the question
CLOSE_SIMILARITY = 0.62  # a chunk this close to the question is about it
AGREE_SIMILARITY = 0.45  # both searches' best note, at least this close to the question
AGREE_TOP = 2  # "the same note": first in one search and among this many of the other
MIN_TITLE_TERMS = 2  # title matches need this many content words (or one rare word)
_CAPITAL = re.compile(r"(?<=[a-z0-9,;:()\"'] )([A-Z][\w'-]+)")
_ARTICLE = re.compile(r"\b(?:a|an)\s+([^\W_]+)(?:\s+([^\W_]+))?", re.IGNORECASE)
# what "your" leads to in small talk or in questions about the twin itself, not a thing the notes are about
SMALL_TALK = frozenset("""day days morning afternoon evening night week weekend today tonight now again name names time
    mood opinion opinions thoughts view views advice help question questions answer answers guess going doing looking
    life plans model prompt system instructions rules creator maker purpose data context knowledge cutoff
    limitations""".split())
_MODIFIERS = frozenset("favourite favorite first last own".split())  # "your favourite cheese": the thing comes next
_YOUR_THING = re.compile(r"\byour\s+([^\W\d_][\w-]*)(?:['’]s)?(?:\s+([^\W\d_][\w-]*))?", re.IGNORECASE)
INTERJECTIONS = frozenset("oops haha hah hmm hmmm wow lol ok okay yeah yep nope ugh meh huh aha ahh".split())


@dataclass
class Evidence:
    note_terms: list[str] = field(default_factory=list)  # rare or named question words found in the notes
    your_things: list[str] = field(default_factory=list)  # "your <thing>" that a note's title, heading or tags name
    title: str = ""  # a note title fully named by the question
    agree_path: str = ""  # a note close to the question (very close, or first in both searches)
    best_similarity: float = 0.0  # top cosine between the question and any chunk
    lexical_top: str = ""  # the best BM25 note (for the trace)

    @property
    def strong(self) -> bool:
        return bool(self.note_terms or self.title or self.agree_path or self.your_things)

    @property
    def reason(self) -> str:
        if self.title:
            return f"names the note {self.title!r}"
        if self.note_terms:
            return "notes mention " + ", ".join(self.note_terms)
        if self.agree_path:
            return f"close match: {self.agree_path} ({self.best_similarity:.2f})"
        if self.your_things:
            return "notes are about your " + ", ".join(self.your_things)
        return ""

    def to_dict(self) -> dict[str, Any]:
        return {"note_terms": self.note_terms, "your_things": self.your_things, "title": self.title, "agree": self.agree_path,
                "best_similarity": round(self.best_similarity, 4), "lexical_top": self.lexical_top}


def _rank(word: str) -> int | None:
    return frequency_rank(word)


def is_rare(word: str) -> bool:
    """Rare in general English: not among the ~30k most frequent words of the embedding
    model's vocabulary (jargon, names, product words). Numbers are not words here."""
    if not word.isalpha() or len(word) < 3 or word in INTERJECTIONS:
        return False
    return _rank(word) is None


def is_uncommon_name(word: str, past: int = NAME_RANK) -> bool:
    """Rarer than the ``past`` commonest English words (a name, or a thing's own word)."""
    rank = _rank(word)
    return word.isalpha() and word not in INTERJECTIONS and (rank is None or rank > past)


def common_nouns(question: str) -> set[str]:
    """Words the question puts after "a"/"an": a kind of thing, not a name ("what is a CRDT"),
    unless another content word follows, which the first then names ("a vim substitution":
    vim is the thing the notes are about, substitution the kind)."""
    return {m.group(1).lower() for m in _ARTICLE.finditer(question)
            if not m.group(2) or m.group(2).lower() in STOPWORDS}


def capitalised_names(question: str) -> set[str]:
    """Lower-cased words the question capitalises mid-sentence ("What goes into Bubbles?"),
    a hyphenated name also by its parts, as the index splits it ("the Murmur-3": murmur)."""
    names = set()
    for m in _CAPITAL.finditer(question):
        name = m.group(1).lower().strip("'")
        names.add(name)
        names.update(p for p in re.split(r"[-']", name) if p)
    return names


def _words(text: str) -> set[str]:
    out = set()
    for w in terms(text):
        out.add(w)
        if w.endswith("s") and len(w) > 3:
            out.add(w[:-1])
    return out


def your_things(question: str) -> list[str]:
    """The thing(s) "your" leads to in ``question``, lower-cased: the word after it (without a
    possessive: "your dog's name" → dog), and the next one ("your quiz team"; "your first car":
    a modifier is not a thing); none after a stop word or small talk (:data:`SMALL_TALK`)."""
    out: list[str] = []
    for m in _YOUR_THING.finditer(question):
        for word in (w.lower() for w in m.groups() if w):
            if word in STOPWORDS or word in SMALL_TALK:
                break  # "your day today", "your week looking": nothing after small talk is a thing either
            if word not in _MODIFIERS and len(word) > 2:
                out.append(word)
    return list(dict.fromkeys(out))


_NOT_THING = frozenset("now today tonight currently right again anymore still lately nowadays these days".split())
# a verb after the thing ("What's your cat called?", "What does your van weigh?"): not part of its name
_AFTER_THING = frozenset("called named like look looks weigh weighs cost costs mean means doing going been ever".split())
_YOUR_PHRASE = re.compile(r"(?:^\W*[Yy]our|\byour)\s+([^\W\d_][\w-]*)(['’]s)?(?:\s+([^\W\d_][\w-]*))?")


def your_phrases(question: str) -> list[str]:
    """What "your" leads to in ``question``, as the words a note would put after "my": up to two
    words, cut at a stop word or a word of time ("Who's your boss now?" → "boss", "What's your
    middle name?" → "middle name"); a possessive with what it owns ("your mother's maiden name" →
    "mother's maiden"); none for small talk ("your opinion"), a modifier alone ("your favourite?")
    or a title ("Your Money or Your Life", not lower-case and not the question's first word)."""
    out: list[str] = []
    for m in _YOUR_PHRASE.finditer(question):
        first, owned, second = m.group(1).lower(), m.group(2), (m.group(3) or "").lower()
        if first in STOPWORDS or first in _NOT_THING or first in SMALL_TALK:
            continue
        words = [first + "'s" if owned else first]
        if second and second not in STOPWORDS and second not in _NOT_THING and second not in _AFTER_THING:
            words.append(second)
        if (owned or first in _MODIFIERS) and len(words) < 2:
            continue  # "your dog's?", "your favourite?": not yet the thing asked
        out.append(" ".join(words))
    return list(dict.fromkeys(out))


def said_as_mine(question: str, texts: list[str]) -> str:
    """The first of :func:`your_phrases` that one of ``texts`` says with "my" ("She is my boss"
    for "Who's your boss now?"; up to two words between: "Biscuit, my ginger cat" for "What's
    your cat called?"), else "": the note speaks of the very thing asked, however unlike the
    question its whole chunk is."""
    for phrase in your_phrases(question):
        words = r"\s+".join(re.escape(w).replace("'", "['’]") for w in phrase.split())
        said = _said_with_my(words)
        if any(said.search(text) for text in texts):
            return phrase
    return ""


def title_named(question: str, titles: list[str]) -> str:
    """A title whose content words all occur in the question (the longest such title)."""
    asked = _words(question)
    best = ""
    for title in titles:
        words = terms(title)
        if not words or not all(w in asked or w.rstrip("s") in asked for w in words):
            continue
        if len(words) >= MIN_TITLE_TERMS or any(is_rare(w) for w in words):
            best = max(best, title, key=lambda t: len(terms(t)))
    return best


def searches_agree(dense: list[dict[str, Any]], hits: list[Any]) -> bool:
    """The best vector note is among the best BM25 notes, or the best BM25 note among the best vector notes."""
    vector = [(d.get("source", ""), d["path"]) for d in dense[:AGREE_TOP]]
    lexical = [(h.row.source, h.row.path) for h in hits[:AGREE_TOP]]
    return vector[0] in lexical or lexical[0] in vector


def note_evidence(retriever: Any, question: str) -> Evidence:
    """The evidence above for ``question`` against ``retriever``'s indexes."""
    lexical = retriever.lexical
    ev = Evidence()
    hits = lexical.search(question, AGREE_TOP)
    if not hits:  # no word of the question is in the notes
        return ev
    ev.lexical_top = hits[0].row.path
    dense = retriever.search_vector(retriever.embed(question), k=AGREE_TOP, rerank=False)
    if dense:
        ev.best_similarity = float(dense[0]["similarity"])
        if ev.best_similarity >= CLOSE_SIMILARITY or (ev.best_similarity >= AGREE_SIMILARITY and searches_agree(dense, hits)):
            ev.agree_path = dense[0]["path"]
    generic = common_nouns(question)
    names = capitalised_names(question) if ev.best_similarity >= NAME_SIMILARITY else set()
    candidates = [w for w in terms(question)
                  if w not in generic and (is_rare(w) or (w in names and is_uncommon_name(w)))]
    if candidates:
        df = lexical.document_frequency(candidates)
        ev.note_terms = [w for w in candidates if df.get(w, 0) > 0]
    ev.title = title_named(question, retriever.note_titles())
    if not ev.strong and (things := your_things(question)):
        ev.your_things = lexical.named_in_headings(things) or said_with_my(lexical, things)
    return ev


@lru_cache(maxsize=256)
def _said_with_my(words: str) -> re.Pattern[str]:
    """"my" and then ``words`` (a regex), up to two words between: "my ginger cat"."""
    return re.compile(rf"\bmy\s+(?:[\w'’-]+\s+){{0,2}}?{words}\b", re.IGNORECASE)


def said_with_my(lexical: Any, things: list[str]) -> list[str]:
    """Those of ``things`` that some note says with "my" ("Biscuit, my ginger cat" for "What's
    your cat called?", twenty-ninth session: a never-seen person's notes named her cat only so,
    and the question went past them), up to two words between ("my old road bike")."""
    found = []
    for thing in things:
        mine = _said_with_my(re.escape(thing) + "(?:e?s)?")
        if lexical.newest_where([thing], lambda row, mine=mine: bool(mine.search(row.text))) is not None:
            found.append(thing)
    return found
