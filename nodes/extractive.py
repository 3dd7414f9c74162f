"""The extractive answer: the note's own sentences, cited, when the model's answer was unsupported.

Personal notes are written in the first person, so quoting them stays in voice:
'From my note "Moving to Rotterdam" of 30 Aug 2022: I moved to Rotterdam in June.' The title
often names the thing asked about ("Skerry Wren", the kayak). The best note is the one the
retriever scored highest (asked for an amount or a number, one scored nearly as well that holds one);
its sentence closest to the question is quoted, with the next one when the first is short, and
with its second-closest sentence when both fit in a short answer (80 words; the sentence closest
by meaning is often the one *about* the thing asked, the answer the one beside it: docs/grounding.md
§3); a note shown in three sentences or fewer that fit in those 80 words is quoted whole. Asked who
or what a name is, the note is the best one whose
shown sentences introduce it ("Kiprono Langat, the tower supervisor."; nodes/introductions.py).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import prompts
from kb.cues import without_behind
from kb.retrieve import asks_about_a_first, asks_about_past
from nodes.answer_kind import MONEY, NUMBER, holds, wanted
from nodes.evidence import SHORT_WORDS, best_note
from nodes.introductions import introducing
from twin.state import EvidenceNote

MAX_WORDS = 45
QUOTE_WORDS = 80  # the closest sentences quoted together fit in this many words (60 cut a long answering sentence: docs/grounding.md)


def readable_date(value: str) -> str:
    """"2022-08-30" → "30 Aug 2022" (unchanged when it is not an ISO date)."""
    try:
        when = date.fromisoformat(value[:10])
    except ValueError:
        return value
    return f"{when.day} {when.strftime('%b')} {when.year}"


def quote_order(note: EvidenceNote) -> list[int]:
    """The note's sentences a quote may start from, closest to the question first (in note
    order when the note has no ranking)."""
    order = [i for i in note.get("order", []) if 0 <= i < len(note["sentences"])]
    return order or list(range(len(note["sentences"])))


def quoted_indexes(note: EvidenceNote, first: int | None = None) -> list[int]:
    """Where in the note the sentences of a quote are: the one it starts from (the closest to
    the question unless ``first`` is given), with the next one when it is short; from the closest,
    the note's ``passage`` when it has one (its short paragraph, nodes/evidence._passage)."""
    sentences = note["sentences"]
    if first is None and note.get("passage"):
        return list(note["passage"])
    best = quote_order(note)[0] if first is None else first
    chosen = [best]
    following = sentences[best + 1] if best + 1 < len(sentences) else ""
    if following and len(sentences[best].split()) < SHORT_WORDS and len(f"{sentences[best]} {following}".split()) <= MAX_WORDS:
        chosen.append(best + 1)
    return chosen


def quoted_sentences(note: EvidenceNote, first: int | None = None) -> list[str]:
    """The sentences of :func:`quoted_indexes`, in note order."""
    return [note["sentences"][i] for i in quoted_indexes(note, first)]


def with_runner_up(note: EvidenceNote, chosen: list[int]) -> list[int]:
    """``chosen`` and the note's second-closest sentence (with its short paragraph when it is
    short: ``runner_passage``, nodes/evidence._runner_passage), in note order, when it is not
    among them and all fit in ``QUOTE_WORDS``."""
    order = quote_order(note)
    if len(order) < 2 or order[1] in chosen:
        return chosen
    both = sorted({*chosen, *(note.get("runner_passage") or [order[1]])})
    fits = len(" ".join(note["sentences"][i] for i in both).split()) <= QUOTE_WORDS
    return both if fits else chosen


QUOTE_SENTENCES = 3  # a note shown in this many sentences or fewer is quoted whole when they fit in QUOTE_WORDS


def shown_whole(note: EvidenceNote, chosen: list[int]) -> list[int]:
    """Every sentence kept of the note (those shown to the model and any kept for the quote only,
    ``quote_only``), when there are at most ``QUOTE_SENTENCES`` and they fit in ``QUOTE_WORDS``;
    else ``chosen``. The answer is often the shown sentence the
    closeness order put third: "…then the CalMac ferry from Kennacraig…" beside the two sentences
    on the ride for "Which port did the Islay ferry leave from?" (tuning person dev2; the
    forty-second session: tuning 8 quotes fixed, 0 broken, docs/grounding.md)."""
    sentences = note["sentences"]
    if note.get("stated") or len(sentences) > QUOTE_SENTENCES or len(" ".join(sentences).split()) > QUOTE_WORDS:
        return chosen  # a sentence that says what was asked on its own is quoted as itself (nodes/evidence._select)
    return list(range(len(sentences)))


def with_kind(note: EvidenceNote, chosen: list[int], question: str) -> list[int]:
    """``chosen``, or, when none of its sentences holds the kind of answer ``question`` wants (an
    amount for "What did you pay…", a number for "How many…": nodes/answer_kind.py) and another
    ranked sentence of the note does, the closest one with that sentence (that sentence alone, when
    both do not fit in ``QUOTE_WORDS``). The closest sentence describes the thing asked about ("an
    Olivetti Lettera 32, blue-grey, in the original zip case…"), the next one says what it cost
    ("I got her for $900 and a lecture…"): tuning person dev7."""
    kind = wanted(question)
    sentences = note["sentences"]
    if kind is None or introducing(question) is not None or any(holds_now(kind, sentences[i], question) for i in chosen):
        return chosen  # "Who's Bahati?" wants "a leopard tortoise", not a sentence with a name in it
    holding = [i for i in quote_order(note) if i not in chosen and holds_now(kind, sentences[i], question)]
    if not holding:
        return chosen
    both = sorted({quote_order(note)[0], holding[0]})
    return both if len(" ".join(sentences[i] for i in both).split()) <= QUOTE_WORDS else quoted_indexes(note, holding[0])


def holds_now(kind: str, sentence: str, question: str) -> bool:
    """``sentence`` holds an answer of ``kind`` besides what it says is behind the person ("I no
    longer use TinyLetter" holds no service they use: tuning person dev2)."""
    return holds(kind, without_behind(sentence), question)


def quoted_note(notes: list[EvidenceNote], question: str = "", by_kind: bool = True) -> EvidenceNote | None:
    """The note a quote comes from: asked who or what a name is, the best-scored one whose
    sentences introduce it; otherwise (or when none does) the best-scored one that has sentences,
    or, with ``by_kind``, a note scored nearly as well that holds the amount or number asked for
    when that one holds none (:func:`_holding_kind`: "What are you paying in rent?" is not quoted
    from the donkey note)."""
    said = [n for n in notes if n["sentences"]]
    best = best_note(said, by_rank=older_may_answer(question))
    return introduction_note(notes, question) or (_holding_kind(said, best, question) if by_kind else best)


PEER_SCORE_MARGIN = 0.05  # a note this close to the best one's retrieval score is as good (here; and, as new, in nodes/judge.equal_peers)


def _holding_kind(notes: list[EvidenceNote], best: EvidenceNote | None, question: str) -> EvidenceNote | None:
    """``best``, unless none of its sentences holds the amount or number ``question`` asks for
    (nodes/answer_kind.py; not one it says is behind the person, :func:`holds_now`) and a note
    scored within ``PEER_SCORE_MARGIN`` of it does: then the best-scored of those. Not for a
    date (the note's own date may say when), nor past the margin: an answer in other words ("a
    bottle of rakija" for what something cost) is not traded for a less relevant note's number."""
    kind = wanted(question)
    if best is None or kind not in (MONEY, NUMBER) or any(holds_now(kind, s, question) for s in best["sentences"]):
        return best
    holding = [n for n in notes if n["score"] >= best["score"] - PEER_SCORE_MARGIN
               and any(holds_now(kind, s, question) for s in n["sentences"])]
    return best_note(holding, by_rank=older_may_answer(question)) or best


def older_may_answer(question: str) -> bool:
    """Asked about the past or about a first, a newer note is no better than the one the
    retriever ranked first (which a rule may have put there: kb/retrieve.earliest_first)."""
    return asks_about_past(question) or asks_about_a_first(question)


def introduction_note(notes: list[EvidenceNote], question: str) -> EvidenceNote | None:
    """The best-scored note whose sentences introduce the name ``question`` asks about (None: none does)."""
    test = introducing(question)
    return None if test is None else best_note([n for n in notes if any(test(s) for s in n["sentences"])],
                                               by_rank=older_may_answer(question))


def extractive_answers(notes: list[EvidenceNote], question: str = "") -> Iterator[str]:
    """Cited quotes from the best note (:func:`quoted_note`): all of it as shown when that is
    short (:func:`shown_whole`), its two sentences closest to the question, then one from each
    sentence in order of closeness (the judge takes the first it can show: a sentence that speaks
    of an off-limits topic need not end the turn)."""
    note = quoted_note(notes, question)
    if note is None:
        return
    title = f' "{note["title"].strip()}"' if note["title"].strip() else ""
    closest = with_kind(note, with_runner_up(note, quoted_indexes(note)), question)
    quotes = [shown_whole(note, closest), closest, *(quoted_indexes(note, i) for i in quote_order(note))]
    for indexes in dict.fromkeys(tuple(q) for q in quotes):
        quote = " ".join(s if s[-1] in ".!?…\"')" else s + "." for s in (note["sentences"][i] for i in indexes))
        yield prompts.render("extractive", title=title, date=readable_date(note["date"]), quote=quote)


def quoted_text(answer: str) -> str:
    """What an extractive ``answer`` quotes of the note, its citation ("From my note … of 14 May 2023: ") left out."""
    return answer.split(": ", 1)[-1]


def quote_words(answer: str) -> int:
    """How many words of the note an extractive ``answer`` quotes (its citation left out)."""
    return len(quoted_text(answer).split())


def extractive_answer(notes: list[EvidenceNote], question: str = "") -> str:
    """A cited quote from the best note's sentence closest to the question ("" when there is no evidence)."""
    return next(extractive_answers(notes, question), "")
