"""Evidence: the shortest part of the retrieved notes that answers the question.

A small model copies what it is shown. Handing it whole chunks (headings, lists, side
remarks) invites rambling and copying the wrong line; handing it the few sentences of each
top note that best match the question, each note with its date, newest first, gives it the
fact and the date it needs to say "now" correctly.

Sentences are scored by cosine similarity to the question (the embedding model the
retriever uses), minus a small penalty for a sentence that names nothing (no number, name
or rare word: "Exactly.", "Both came up."). Scoring each sentence with its heading was
tried and measured worse on the dev person: a matching heading lifted every short line
under it. What is kept instead is a bonus for the sentences under a heading that shares a
word with the question ("## The camera" for "What camera do you shoot film on?"); such a
chunk of a shown note competes even when it is not among the first ``k`` chunks (a little
lower than those). Kept sentences stay in their original order; the first kept sentence
of a section is shown after its heading when the heading names something it does not (a
café's name heading the lines about it: "Kaffe Fyrlykta: A coffee bar in an old boathouse").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from backends.decoding import not_after_abbreviation
from kb.fingerprints import stem
from kb.lexical import terms
from kb.life_state import LifeTopic
from nodes import answer_kind
from nodes.guards.grounding import content_words, unsaid
from nodes.introductions import asked_name
from twin.state import EvidenceNote

_SPLIT = re.compile(r"(?<=[.!?])" + not_after_abbreviation(r"\.") + r"[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
_MARKUP = re.compile(r"^\s*(?:[-*+]\s+(?:\[[ xX]\]\s+)?|>\s*|\d+[.)]\s+)")
_HEADING = re.compile(r"^\s*#{1,6}\s+(.+?)\s*#*\s*$")
_CELL_SPLIT = re.compile(r"(?<!\\)\|")  # a table row's cell boundary (not an escaped "\\|")
_EMPHASIS = re.compile(r"\*\*|__|`|^[*_]|[*_]$")  # of a stripped cell
_RANK = re.compile(r"[#=]?\d{1,3}(?:st|nd|rd|th|[.)])?")  # a first cell that is only a rank or number: "3", "=2", "1st"
_RULE_ROW = re.compile(r"^\s*\|?(?:\s*:?-+:?\s*\|)+(?:\s*:?-+:?)?\s*$")  # a table's |---|:--:| line
_FENCE = re.compile(r"^\s*(?:`{3,}|~{3,})[\w+.#-]*\s*$")  # a code block's ```bash / ``` line
# a long run written in lower case ("we won!! the ewe beauts are…"): its sentences start lower-case too
_LOWER_SPLIT = re.compile(r"(?<=[.!?])" + not_after_abbreviation(r"\.") + r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<!\betc\.)"
                          r"(?<!\bvs\.)(?<!\ba\.m\.)(?<!\bp\.m\.)(?<!\.\.)(?<![\"'’”])\s+(?=[(\[]?[a-z])")
LONG_WORDS = 30  # a "sentence" longer than this is read for lower-case sentence starts
MIN_CHARS = 4
SHORT_WORDS = 12  # a closest sentence this short is shown (and quoted) with the sentence after it


def sentences_of(text: str, heading: str = "") -> list[tuple[str, str]]:
    """``(heading, sentence)`` for every sentence and list item of a chunk, markdown markers
    removed. Headings are not sentences: they are the context the sentences under them are
    scored with ("Where we stayed" makes "Four nights at Pod Jelko" match "Where did you stay?")."""
    return [(h, s) for h, s, _ in sentence_paragraphs(text, heading)]


def sentence_paragraphs(text: str, heading: str = "") -> list[tuple[str, str, int]]:
    """:func:`sentences_of` with each sentence's paragraph (counted from 0 in ``text``): a blank
    line, a heading or a list item starts a new one, and a table row is one of its own, read
    with its table's header (:func:`table_row`)."""
    out, paragraph, open_, row, header = [], 0, False, False, None
    lines = (text or "").splitlines()
    for n, line in enumerate(lines):
        if _RULE_ROW.match(line) or _FENCE.match(line):  # it says nothing (a fence was quoted as "```bash.")
            continue
        found = _HEADING.match(line)
        if found:
            heading = found.group(1).strip()
        after_row, row = row, line.lstrip().startswith("|")
        if found or not line.strip() or _MARKUP.match(line) or row or after_row:  # a table row is a paragraph
            paragraph, open_ = paragraph + open_, False
        if found or not line.strip():
            continue
        if row:
            if n + 1 < len(lines) and _RULE_ROW.match(lines[n + 1]):  # a header: its row says nothing alone
                header = cells(line)
                continue
            read = table_row(cells(line), header if after_row else None)
            if len(read) >= MIN_CHARS:
                out.append((heading, read, paragraph))
                open_ = True
            continue
        header = None
        for piece in _pieces(line):
            clean = _MARKUP.sub("", piece).strip()
            if len(clean) >= MIN_CHARS:
                out.append((heading, clean, paragraph))
                open_ = True
    return out


def cells(line: str) -> list[str]:
    """A markdown table row's cells, emphasis and code marks removed ("| **total** | `34` |" →
    ["total", "34"]); an escaped pipe ("a \\| b") stays in its cell, a name_with_underscores whole."""
    inner = line.strip().removeprefix("|").removesuffix("|")
    return [_EMPHASIS.sub("", cell.strip()).replace("\\|", "|").strip() for cell in _CELL_SPLIT.split(inner)]


def table_row(values: list[str], header: list[str] | None) -> str:
    """One table row as a sentence, each value after its column's name: "| Remington | 4 | 3 |"
    under "| maker | machines | working |" reads "Remington: machines 4, working 3." (the first
    cell names the row). A row split like prose lost its meaning ("Portable No." / "2 (1926) |"),
    and a bare "| 4 | 3 |" says nothing of what was counted. Empty cells are left out."""
    names = header if header and len(header) == len(values) else [""] * len(values)
    first, *rest = values  # cells() gives at least one
    named = any(c.isalpha() for c in names[0])  # a header of years or numbers names no column of ranks
    if _RANK.fullmatch(first) and (named or names[0] == "#"):  # "| 3 | Thảo / Diệp |" under "| place | pair |"
        first = f"{names[0]}{' ' * named}{first.rstrip('.)')}"  # "place 3", "#3"
    said = ", ".join(f"{name} {value}".strip() for name, value in zip(names[1:], rest) if value)
    if not said:
        return first
    return f"{first}: {said}." if first else f"{said}."


def _pieces(line: str) -> list[str]:
    """The sentences of ``line``: split before a capital after a full stop, and a long run that
    starts in lower case (a note written all in lower case) also before a lower-case letter (not
    after "a.m.", "e.g.", an ellipsis or a closing quote: '…shouted "swap!" and…')."""
    out: list[str] = []
    for piece in _SPLIT.split(line):
        lower = piece[:1].islower() and len(piece.split()) > LONG_WORDS  # written in lower case, and long
        out.extend(_LOWER_SPLIT.split(piece) if lower else [piece])
    return out


@dataclass(frozen=True)
class SentenceWeights:
    """How a sentence's score is made (chosen on the dev person; docs/grounding.md has the grid)."""

    heading: float = 0.0  # share of the similarity measured with the heading (the rest: the sentence alone)
    empty: float = 0.05  # penalty for a sentence that names nothing (no number, name or rare word)
    kind: float = 0.1  # penalty for one that holds no answer of the kind asked (nodes/answer_kind.py)
    heading_match: float = 0.1  # bonus for one under a heading that shares a word with the question
    later_chunk: float = 0.05  # penalty for one from a chunk ranked below the first k


def sentence_scores(sentences: Sequence[str], with_heading: np.ndarray | None, alone: np.ndarray,
                    weights: SentenceWeights = SentenceWeights(), question: str = "") -> np.ndarray:
    """One score per sentence: the two similarities mixed, minus the penalties for naming
    nothing and for holding no answer of the kind ``question`` asks for."""
    scores = alone.copy() if with_heading is None else weights.heading * with_heading + (1 - weights.heading) * alone
    empty = np.array([not content_words(s) for s in sentences], dtype=bool)
    scores[empty] -= weights.empty
    if kind := answer_kind.wanted(question):
        scores[[not answer_kind.holds(kind, s, question) for s in sentences]] -= weights.kind
    return scores


STATED_BONUS = 1.0  # above any similarity: a sentence that says what was asked ranks first


@dataclass
class _Candidate:
    """A note's sentences, and the text each is scored with (its heading + itself)."""

    note: EvidenceNote
    scored: list[str] = field(default_factory=list)
    headings: list[str] = field(default_factory=list)  # each sentence's heading
    later: list[bool] = field(default_factory=list)  # each sentence: from a chunk past the first k
    places: list[tuple[int, int]] = field(default_factory=list)  # each sentence: (its chunk, its place in the chunk)
    paragraphs: list[int] = field(default_factory=list)  # each sentence: its paragraph in its chunk
    in_note: list[tuple[int, int]] = field(default_factory=list)  # each sentence: (its chunk's place in the note, its place in the chunk)

    def add(self, heading: str, sentence: str, later: bool = False, place: tuple[int, int] = (0, 0),
            paragraph: int = 0, chunk: int = 0) -> None:
        if sentence not in self.note["sentences"]:
            self.note["sentences"].append(sentence)
            self.scored.append(f"{heading}: {sentence}" if heading else sentence)
            self.headings.append(heading)
            self.later.append(later)
            self.places.append(place)
            self.paragraphs.append(paragraph)
            self.in_note.append((chunk, place[1]))


def _candidates(sources: Sequence[dict[str, Any]], k: int, first: int | None = None) -> list[_Candidate]:
    """The first ``k`` distinct notes of ``sources`` (best first), all their chunks' sentences;
    those of chunks at or past position ``first`` (None: none) marked ``later``."""
    found: dict[tuple[str, str], _Candidate] = {}
    for position, source in enumerate(sources):
        path = str(source.get("path", ""))
        key = _key(source)  # a path is unique per notes folder
        if key not in found:
            if len(found) >= k:
                continue
            found[key] = _Candidate(EvidenceNote(path=path, title=str(source.get("title", "")),
                                                  date=str(source.get("date", "")), sentences=[],
                                                  score=float(source.get("score", 0.0)), rank=len(found)))
        chunk = _chunk_place(source, position)
        for n, (heading, sentence, paragraph) in enumerate(sentence_paragraphs(str(source.get("text", "")),
                                                                              _own_heading(source))):
            found[key].add(heading, sentence, first is not None and position >= first, (position, n), paragraph, chunk)
    return list(found.values())


def _chunk_place(source: dict[str, Any], position: int) -> int:
    """The chunk's place in its note (``position``, as the index stores it), else its place in the results."""
    try:
        return int(source.get("position", position))
    except (TypeError, ValueError):
        return position


def group_by_note(sources: Sequence[dict[str, Any]], k: int) -> list[EvidenceNote]:
    """The first ``k`` distinct notes of ``sources`` (best first), all their chunks' sentences."""
    return [c.note for c in _candidates(sources, k)]


def shown_notes(sources: Sequence[dict[str, Any]], k: int, question: str = "") -> list[_Candidate]:
    """The notes the generator reads: those of the first ``k`` *chunks* (the retriever returns
    every chunk of its first ``k`` notes). A note that also holds the second-best chunk is
    shown alone: a second note and the rest of the first one's chunks are only distractors to
    a small model (measured on the dev people, docs/grounding.md). One kind of later chunk of a
    shown note joins them, marked ``later``: one under a heading that shares a word with
    ``question`` ("## The bike" is the fourth chunk of the bike-fit note for "What bike do you
    ride now?"), and the chunks of the best note the retriever did not return (``rest_of_note``:
    the retrieve node adds them with ``retrieval.whole_best_note``: nodes/retrieve.rest_of_best_note)."""
    shown = {_key(s) for s in sources[:k]}
    asked = _Asked.of(question)
    chosen = [s for i, s in enumerate(sources) if _key(s) in shown
              and (i < k or s.get("rest_of_note") or _names(_own_heading(s), asked))]
    return [c for c in _candidates(chosen, k, first=k) if c.note["sentences"]]


def lacks_the_kind(sources: Sequence[dict[str, Any]], question: str) -> bool:
    """The best note's retrieved chunks hold no answer of the kind ``question`` asks for (a
    number for "How heavy…?", a name for "Where…?"): the rest of that note may
    (``retrieval.whole_best_note``). False when the question wants no kind in particular."""
    kind = answer_kind.wanted(question)
    if kind is None or not sources:
        return False
    first = _key(sources[0])
    said = [sentence for s in sources if _key(s) == first
            for _, sentence in sentences_of(str(s.get("text", "")), _own_heading(s))]
    return not any(answer_kind.holds(kind, sentence, question) for sentence in said)


def as_evidence(sources: Sequence[dict[str, Any]]) -> list[EvidenceNote]:
    """Every source as evidence, whole and in the given order (training prompts, fixed evals)."""
    return [n for n in group_by_note(sources, len(sources)) if n["sentences"]]


def _select(candidate: _Candidate, scores: np.ndarray, per_note: int,
            stating: Callable[[str], bool] | None = None, reasons: np.ndarray | None = None) -> EvidenceNote:
    """The note with its ``per_note`` sentences closest to the question (``scores``, one per
    sentence; kept in note order; 0 = all), ``order`` ranking the kept ones, closest first;
    and, for the quote only (``quote_only``: not shown to the model), the short paragraph around
    the closest one (:func:`_passage`) or the sentence after it when that one is short
    (:func:`_told_after`), or the sentences back to the one that names whom its pronoun means
    (:func:`_referent_before`). A sentence that ``stating`` finds says what was asked on its own
    ("Kiprono Langat, the tower supervisor."): not its paragraph, only the sentence after.
    ``reasons`` (one per sentence, :func:`reasons_given`): the closest one opens a "Why…" section
    (the note is marked ``reason``)."""
    sentences = candidate.note["sentences"]
    ranked = [int(i) for i in np.argsort(-scores, kind="stable")]
    keep = sorted(ranked[:per_note]) if per_note > 0 else list(range(len(sentences)))
    stated = stating is not None and stating(sentences[ranked[0]])
    passage = _passage(candidate, ranked[0]) if per_note > 0 and not stated else []
    if not passage and per_note > 0 and not stated and (lead := _lead_in(candidate, ranked[0])):
        passage = [*lead, ranked[0]]
    if not passage:
        after = _told_after(candidate, ranked[0]) if per_note > 0 else None
        passage = [] if after is None else [after]
        before = _measure_before(candidate, ranked[0]) if per_note > 0 and stated else None
        if before is not None:
            passage = [before, ranked[0], *passage]
    runner = _runner_passage(candidate, ranked, passage) if per_note > 0 else []
    extra = list(dict.fromkeys(i for i in [*passage, *runner] if i not in keep))
    keep = sorted([*keep, *extra])  # the extra ones for the quote only: shown, they moved the model's answers
    order = [keep.index(i) for i in ranked if i in keep]
    note: EvidenceNote = {**candidate.note, "sentences": headed(candidate, keep), "order": order}
    if extra:
        note["quote_only"] = [keep.index(i) for i in extra]
    if len(passage) > 1:
        note["passage"] = [keep.index(i) for i in passage]
    if runner:
        note["runner_passage"] = [keep.index(i) for i in runner]
    if stated:
        note["stated"] = True
    if reasons is not None and reasons[ranked[0]] > 0 and _opens_why(candidate.headings[ranked[0]]):
        note["reason"] = True
    return note


def _runner_passage(candidate: _Candidate, ranked: list[int], passage: list[int]) -> list[int]:
    """The second-closest sentence with the one before it in its paragraph, when it is short and
    neither is the closest one or in its passage: "Three days in a row." is close to "What did
    you eat three days running on Islay?", and what it says is in the sentence before it
    ("Scallops at the oyster hut…"); the quote takes both beside the closest sentence
    (nodes/extractive.py). A runner-up too long for that which points back with a pronoun comes with
    the sentences back to the one that names whom it means (:func:`_referent_before`). [] otherwise."""
    if len(ranked) < 2 or (runner := ranked[1]) == 0:
        return []
    if not _short(candidate, runner):
        before = _referent_before(candidate, runner)
        return [] if not before or {*before, runner} & {ranked[0], *passage} else [*before, runner]
    before = runner - 1
    if not _next_in_paragraph(candidate, before, runner):
        return []
    return [] if {before, runner} & {ranked[0], *passage} else [before, runner]


# a sentence that opens with a pronoun, or whose first words point at someone with one ("The other
# trainees call him…"): who or what it speaks of is named before it
_POINTS_BACK = re.compile(r"^\W*(?:he|she|they|it|his|her|their|its)\b"
                         r"|^\W*(?:the|a|my|our|his|her|their)\s+(?:[a-z]+\s+){0,3}(?:him|her|them)\b", re.I)
REFERENT_STEPS = 2  # sentences a quote goes back for the one a pronoun points at


def _referent_before(candidate: _Candidate, i: int) -> list[int]:
    """The sentences before ``i`` back to the one that names whom or what its pronoun means, when
    ``i`` opens with one ("Deng, from Juba." / "He sequences six arrivals in his head…" / "The
    other trainees call him…"; tuning people dev4, dev5, dev6); [] when it does not, or that
    sentence is not within ``REFERENT_STEPS`` in the same paragraph and chunk."""
    chain: list[int] = []
    at = i
    sentences = candidate.note["sentences"]
    while _POINTS_BACK.search(sentences[at]):
        before = at - 1
        if len(chain) == REFERENT_STEPS or before < 0 or not _next_in_paragraph(candidate, before, at):
            return []
        chain.insert(0, before)
        at = before
    return chain


def _opens_why(heading: str) -> bool:
    return _wh(_HEADING_WH.match(heading)) == ("why", "")


PASSAGE_WORDS = 45  # a paragraph this short is quoted whole around its closest sentence


def _passage(candidate: _Candidate, best: int) -> list[int]:
    """The sentences of ``best``'s paragraph (same chunk, in order) when there are several and
    they fit in ``PASSAGE_WORDS``: the closest sentence often names the occasion and the one
    beside it what happened ("A family of warthogs on the grass by runway 14…" / "Stopped
    departures for eleven minutes."); [] otherwise. Not past a repeated sentence left out."""
    sentences = candidate.note["sentences"]
    if not _short(candidate, best):
        return []
    start = end = best
    while start > 0 and _next_in_paragraph(candidate, start - 1, start):
        start -= 1
    while end + 1 < len(sentences) and _next_in_paragraph(candidate, end, end + 1):
        end += 1
    words = sum(len(sentences[i].split()) for i in range(start, end + 1))
    return list(range(start, end + 1)) if end > start and words <= PASSAGE_WORDS else []


def _told_after(candidate: _Candidate, best: int) -> int | None:
    """The sentence right after ``best`` in its chunk and section, when ``best`` is short as
    shown: a short closest sentence often sets the scene and the next one tells what happened
    ("Radio died in a storm for about four minutes." / "Used the light gun for the first
    time…"); the quote takes the sentence after a short one (nodes/extractive.py), so it must be
    the note's next, not the next one kept. Not from another chunk (chunks come best first, not
    in note order), nor past a repeated sentence left out."""
    after = best + 1
    if after >= len(candidate.note["sentences"]) or not _next_in_chunk(candidate, best, after) \
            or candidate.headings[after] != candidate.headings[best]:
        return None
    return after if _short(candidate, best) else None


def _closing_line(candidate: _Candidate, best: int) -> int | None:
    """The sentence before ``best`` when ``best`` is short and closes its paragraph, which goes on
    in another: such a line sums up the one before it ("…the 5:55 train to Galle shakes the
    glasses on my shelf every morning." / "I no longer need an alarm."; tuning person dev9), and
    the next paragraph's first sentence speaks of something else. None otherwise."""
    before, after = best - 1, best + 1
    if before < 0 or not _short(candidate, best) or not _next_in_paragraph(candidate, before, best):
        return None
    closes = after >= len(candidate.note["sentences"]) or not _next_in_paragraph(candidate, best, after)
    return before if closes else None


def _lead_in(candidate: _Candidate, best: int) -> list[int]:
    """The sentences a quote of ``best`` starts from before it: the one a short closing line sums
    up (:func:`_closing_line`), else those back to the one that names whom its pronoun means
    (:func:`_referent_before`); [] when neither."""
    before = _closing_line(candidate, best)
    return [before] if before is not None else _referent_before(candidate, best)


_DIGIT = re.compile(r"\d")
# a line with a number and fewer words than this, right before the sentence that says a best, is its measure:
# "All told, 118 kg, across spring flowers, chestnut and a little heather." (12 words) before "The best year
# I've had…" (tuning person dev5; the quote's short line, under 12, left it out)
MEASURE_LINE_WORDS = 16


def _measure_before(candidate: _Candidate, stated: int) -> int | None:
    """The short line right before a sentence that says what was asked but gives no number,
    when that line gives one: "22.84." before "New official best single, by a long way."
    (tuning person dev7), "4.4 kg on the net scale." before "The biggest trout I've ever
    landed" (dev6). None otherwise (not from another chunk or section)."""
    before = stated - 1
    sentences = candidate.note["sentences"]
    if before < 0 or _DIGIT.search(sentences[stated]) or not _DIGIT.search(sentences[before]) \
            or not _next_in_chunk(candidate, before, stated) or candidate.headings[before] != candidate.headings[stated]:
        return None
    return before if len(sentences[before].split()) < MEASURE_LINE_WORDS else None


def _short(candidate: _Candidate, i: int) -> bool:
    """Whether sentence ``i`` is short as shown (after its heading, when that is shown with it)."""
    shown = with_heading(candidate.note["sentences"][i], candidate.headings[i], candidate.note["title"])
    return len(shown.split()) < SHORT_WORDS


def _next_in_chunk(candidate: _Candidate, i: int, j: int) -> bool:
    """Whether sentence ``j`` comes right after ``i`` in the same chunk (not the next one kept:
    a repeated sentence is left out of the note, and chunks come best first, not in note order)."""
    chunk, place = candidate.places[i]
    return candidate.places[j] == (chunk, place + 1)


def _next_in_paragraph(candidate: _Candidate, i: int, j: int) -> bool:
    """Whether sentence ``j`` comes right after ``i`` in the same chunk and paragraph."""
    return _next_in_chunk(candidate, i, j) and candidate.paragraphs[i] == candidate.paragraphs[j]


def headed(candidate: _Candidate, keep: list[int]) -> list[str]:
    """The kept sentences as shown: the first of each run under one heading after that heading,
    when it names something the sentence does not (:func:`with_heading`)."""
    sentences, headings, title = candidate.note["sentences"], candidate.headings, candidate.note["title"]
    shown = []
    for n, i in enumerate(keep):
        same_section = n > 0 and headings[keep[n - 1]] == headings[i]
        shown.append(sentences[i] if same_section else with_heading(sentences[i], headings[i], title))
    return shown


def with_heading(sentence: str, heading: str, title: str = "") -> str:
    """``sentence`` as shown, after its section heading when the heading names something the
    sentence does not ("Kaffe Fyrlykta: A coffee bar in an old boathouse on Bakklandet." for
    "Where do you go for coffee on Friday afternoons?"; "Why Kongowea: It's the biggest market
    on the coast…"): the sentence is about that name, and without it neither the model nor a
    quote can say it. A heading that is the note's title, or names nothing new ("The house",
    "Rules I've learned"), is left out."""
    if not heading or heading.strip().lower() == title.strip().lower():
        return sentence
    return f"{heading.rstrip(' :.')}: {sentence}" if unsaid(heading, sentence) else sentence


def newest_first(notes: list[EvidenceNote]) -> list[EvidenceNote]:
    """Newest note first (ISO dates sort as text); equal dates keep retrieval order."""
    return sorted(notes, key=lambda n: n["date"], reverse=True)


def sentence_vectors(candidates: Sequence[_Candidate], embed: Callable[[list[str]], Any],
                     weights: SentenceWeights) -> tuple[np.ndarray, np.ndarray | None]:
    """Every sentence's vector alone and, when weighed, with its heading (one embedding call)."""
    alone = [s for c in candidates for s in c.note["sentences"]]
    with_heading = [t for c in candidates for t in c.scored] if weights.heading > 0 else []
    vectors = np.asarray(embed(alone + with_heading), dtype=np.float32)
    n = len(alone)
    return vectors[:n], (vectors[n:] if with_heading else None)


def _parts(values: np.ndarray, candidates: Sequence[_Candidate]) -> list[np.ndarray]:
    """``values`` (one row per sentence, all candidates in order) split per candidate."""
    return np.split(values, np.cumsum([len(c.note["sentences"]) for c in candidates])[:-1])


def superseded(candidates: Sequence[_Candidate], vectors: np.ndarray, same_subject: float) -> set[int]:
    """The candidates (indexes, best first) that a better-ranked, newer candidate on the same
    subject replaces: their sentences' mean vectors at least ``same_subject`` alike (cosine).
    Asked about now ("How much rent are you paying?"), the older rent note is the stale answer;
    the retriever already put the newer one first."""
    means = [part.mean(axis=0) for part in _parts(vectors, candidates)]
    means = [m / (np.linalg.norm(m) or 1.0) for m in means]
    dropped: set[int] = set()
    for i, older in enumerate(candidates):
        if any(j not in dropped and candidates[j].note["date"] > older.note["date"]
               and float(means[i] @ means[j]) >= same_subject for j in range(i)):
            dropped.add(i)
    return dropped


def without_superseded(candidates: Sequence[_Candidate], vectors: np.ndarray, with_heading: np.ndarray | None,
                       alone: np.ndarray, same_subject: float | None,
                       ) -> tuple[list[_Candidate], np.ndarray | None, np.ndarray]:
    """The candidates and their sentence scores (``with_heading``, ``alone``: one per sentence)
    less the notes :func:`superseded` drops; ``same_subject`` None drops none."""
    dropped = superseded(candidates, vectors, same_subject) if same_subject is not None else set()
    if not dropped:
        return list(candidates), with_heading, alone
    kept = [i for i in range(len(candidates)) if i not in dropped]

    def keep(values: np.ndarray) -> np.ndarray:
        parts = _parts(values, candidates)
        return np.concatenate([parts[i] for i in kept])

    return [candidates[i] for i in kept], None if with_heading is None else keep(with_heading), keep(alone)


def ruled_source(sources: Sequence[dict[str, Any]]) -> int | None:
    """Where in ``sources`` the one a rule put there is (its ``why``, kb/life_state.py); None: none."""
    return next((i for i, s in enumerate(sources) if s.get("why")), None)


def stated_evidence(sources: Sequence[dict[str, Any]], topic: LifeTopic | None) -> list[dict[str, Any]]:
    """Asked where the person lives or works now, with the newest note that says so among the
    sources (the retriever marks it, kb/life_state.py), the notes shown are that note and any
    ranked above it (a note saying it renames the place); the others, newer notes on other things
    ("I run the repair café in Grangetown now") and older ones saying it too ("I live in Bristol",
    2018), are what the model copied instead (tuning person dev3)."""
    ruled = ruled_source(sources)
    if topic is None or ruled is None:
        return list(sources)
    keep = {_key(s) for s in sources[:ruled + 1]}
    return [s for s in sources if _key(s) in keep]


def _own_heading(source: dict[str, Any]) -> str:
    """The chunk's own heading: the last of its heading path ("Trip > Where we stayed")."""
    return str(source.get("heading", "")).split(" > ")[-1]


def _key(source: dict[str, Any]) -> tuple[str, str]:
    return str(source.get("source", "")), str(source.get("path", ""))


def gather(sources: Sequence[dict[str, Any]], query_vector: Sequence[float],
           embed: Callable[[list[str]], Any], k: int, per_note: int,
           weights: SentenceWeights = SentenceWeights(), same_subject: float | None = None,
           stating: Callable[[str], bool] | None = None, question: str = "") -> list[EvidenceNote]:
    """The evidence handed to the generator: the notes of the top ``k`` chunks, best sentences, newest first.
    With ``same_subject`` (a question about the present state), a note that a better-ranked,
    newer note on the same subject replaces is left out (:func:`superseded`). ``stating``: the
    sentences it holds true say what was asked ("We moved to Utrecht in March", for where the
    person lives; kb/life_state.py) and come before every other, however unlike the question."""
    candidates = shown_notes(sources, k, question)
    if not candidates:
        return []
    alone, with_heading = sentence_vectors(candidates, embed, weights)
    query = np.asarray(query_vector, dtype=np.float32)
    shown, headed, scores = without_superseded(candidates, alone, None if with_heading is None else with_heading @ query,
                                               alone @ query, same_subject)
    return pick(shown, headed, scores, per_note, weights, stating, question)


def pick(candidates: Sequence[_Candidate], with_heading: np.ndarray | None, alone: np.ndarray, per_note: int,
         weights: SentenceWeights, stating: Callable[[str], bool] | None = None,
         question: str = "") -> list[EvidenceNote]:
    """Score every candidate's sentences, keep each note's best ``per_note``, newest note first."""
    sentences = [s for c in candidates for s in c.note["sentences"]]
    scores = sentence_scores(sentences, with_heading, alone, weights, question) + placement(candidates, weights, question)
    if stating is not None:
        scores = scores + np.asarray([STATED_BONUS if stating(s) else 0.0 for s in sentences])
    reasons = reasons_given(candidates, question)
    scores = scores + STATED_BONUS * reasons
    return newest_first([_select(c, part, per_note, stating, given)
                         for c, part, given in zip(candidates, _parts(scores, candidates), _parts(reasons, candidates))])


def _stems(text: str) -> set[str]:
    return {stem(w) for w in terms(text) if len(w) > 2}


# a question's or a heading's opening question word, with the measure "how" asks for ("How long")
_LEAD = r"^\W*(?:(?:so|and|but|ok|okay|well)\W+)?"
_WH = r"(why|where|who|whom|whose|when|how)(?:['’]s)?\b(?:\s+(long|much|many|far|big|heavy|often|old|tall))?"
_ASKED_WH = re.compile(_LEAD + _WH, re.I)
_HEADING_WH = re.compile(r"^\W*" + _WH + r"(?!\s+to\b)", re.I)  # not a how-to ("## How to brew")


@dataclass(frozen=True)
class _Asked:
    """What of a question a heading may name: its word stems and its opening question word."""

    stems: set[str]
    wh: tuple[str, str] | None  # ("how", "long"), ("why", ""); None: no question word opens it

    @classmethod
    def of(cls, question: str) -> _Asked:
        return cls(_stems(question), _wh(_ASKED_WH.match(question)))


def _wh(found: re.Match[str] | None) -> tuple[str, str] | None:
    return None if found is None else (found.group(1).lower(), (found.group(2) or "").lower())


def _names(heading: str, asked: _Asked) -> bool:
    """Whether ``heading`` shares a word stem with the question (``asked``), or opens with its
    question word: "## Why" holds the answer to "Why did you start learning Gaelic?", "## Where
    we slept" to "Where did you sleep in Brittany?", "## How long" to "How long did the braids
    take?" (not "## How", which tells the way, nor "## How long" for "How did you get there?").
    Not "who": "## Who they are" lists a group ("Eleven trainees: six from Kenya…") and lifted
    it above the one asked about ("Who's the standout trainee?", a tuning person)."""
    if not heading:
        return False
    if asked.stems & _stems(heading):
        return True
    return asked.wh is not None and asked.wh[0] not in _NOT_BY_WORD and asked.wh == _wh(_HEADING_WH.match(heading))


_NOT_BY_WORD = frozenset({"who", "whom", "whose"})


def reasons_given(candidates: Sequence[_Candidate], question: str) -> np.ndarray:
    """Per sentence (all candidates in order): 1.0 for the first sentence of a section whose
    heading says it answers ``question`` (:func:`_answers`), else 0. Asked why, a "## Why"
    section opens with the reason ("Because of the station signs.", "A job, mostly.", "Two
    reasons."), which is nothing like the question by meaning: the sentence closest to it restates
    what was done ("I've started learning Scottish Gaelic."). Asked who or what a name is, the
    note named for it says so under "## What she is" ("A leopard tortoise, about four years old"
    for "Who's Bahati?"), in words that neither name her nor match the question."""
    asked, name = _Asked.of(question), asked_name(question)
    out: list[float] = []
    for c in candidates:
        first: dict[str, int] = {}  # each heading's first sentence in note order (a section may span chunks)
        for i in sorted(range(len(c.headings)), key=lambda i: c.in_note[i]):
            first.setdefault(c.headings[i], i)
        out.extend(float(first[h] == i and _answers(h, c.note, asked, name)) for i, h in enumerate(c.headings))
    return np.asarray(out, dtype=np.float32)


_SAYS_WHAT_IT_IS = re.compile(r"^\W*(?:who|what)\s+(?:s?he|it|they)\s+(?:is|are|was|were)\W*$", re.I)


def _answers(heading: str, note: EvidenceNote, asked: _Asked, name: str | None) -> bool:
    """Whether the section under ``heading`` in ``note`` answers the question (``asked``; ``name``:
    the name it asks about, :func:`nodes.introductions.asked_name`): asked why, a "Why…" section of
    the best-ranked note when its heading names nothing else ("## Why", "## Why now"), or one whose
    heading names a word of the question ("## Why Zephyr"; not "## Why Rotterdam" for "Why did you
    leave Tidewater?");
    asked who or what a name is, a "## What she is" section of the note whose title names it."""
    if asked.wh == ("why", "") and _opens_why(heading):
        named = _stems(heading) - _WHEN_WORDS  # "## Why" or "## Why now" name nothing: the best-ranked note's reason,
        own = bool(_WHY_OWN.match(heading))  # nor does "## Why I took it": the person's own doing, as asked
        return bool(asked.stems & named) or ((own or not named) and note.get("rank", 0) == 0)
    return bool(name) and bool(_SAYS_WHAT_IT_IS.match(heading)) and _title_names(note["title"], name)


_WHEN_WORDS = frozenset({"now", "then", "still", "again", "today"})
_WHY_OWN = re.compile(r"^\W*why\s+(?:i|we|i've|we've|i'm|we're)\b", re.I)


def _title_names(title: str, name: str) -> bool:
    """Whether ``title`` holds ``name`` as whole words ("Bahati", not "Bram" in "Brambles")."""
    return re.search(rf"(?<!\w){re.escape(name)}(?!\w)", title, re.I) is not None


def placement(candidates: Sequence[_Candidate], weights: SentenceWeights, question: str) -> np.ndarray:
    """Per sentence (all candidates in order): ``weights.heading_match`` when its heading names
    something of ``question`` (:func:`_names`), less ``weights.later_chunk`` when its chunk was
    ranked past the first k."""
    asked = _Asked.of(question)
    out = [weights.heading_match * _names(heading, asked) - weights.later_chunk * past
           for c in candidates for heading, past in zip(c.headings, c.later)]
    return np.asarray(out, dtype=np.float32)


def best_note(notes: Sequence[EvidenceNote], by_rank: bool = False) -> EvidenceNote | None:
    """The note the retriever scored highest (the retry's and the extractive answer's note, unless a
    note scored nearly as well holds the amount asked: nodes/extractive._holding_kind). Of
    notes scored alike the newest (``notes`` come newest first), or with ``by_rank`` the one the
    retriever ranked first: asked about the past or a first, a newer note is no better ("What milk
    did you use when you made halloumi?" is not answered by a later note on feta)."""
    if not notes:
        return None
    return max(notes, key=lambda n: (n["score"], -n.get("rank", 0))) if by_rank else max(notes, key=lambda n: n["score"])
