"""Sentences the model made up, left out of its answer.

The grounding check holds an answer's names, numbers and rare words to the notes; ordinary words
are free, so the twin may phrase things its own way. That lets a sentence made of ordinary words
through whatever it claims: asked "Who is Dr Haldane?", where the note says only that she weighed
the cat, the embedded model answered "Dr Haldane is a veterinarian who treats cats. He's a renowned
vet who specializes in feline health. He's also a vegetarian and has a vegan diet." (a tuning
person, eighteenth session). A sentence of a model answer whose own words (three letters or more,
not stopwords, not the question's) are less than half in what the model was shown (the notes'
sentences, titles and dates, the question, the person's name) is left out, unless it is the first:
the lead sentence is the answer (the judge holds its names to the notes, and sends back an answer
that says nothing the notes say); the model rambles after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from backends.decoding import sentences
from nodes.guards.grounding import own_words, support, supported

MIN_SHARE = 0.5  # a sentence with fewer of its own words in what was shown is left out


def shown_share(sentence: str, vocab: frozenset[str], question: str) -> float:
    """The share of ``sentence``'s own words that ``vocab`` holds (1.0 when it has none)."""
    own = own_words(sentence, question)
    return sum(supported(w, vocab) for w in own) / len(own) if own else 1.0


def without_invented(answer: str, texts: Sequence[str], dates: Sequence[str], question: str) -> tuple[str, list[str]]:
    """``answer`` without the sentences after its first that are under ``MIN_SHARE``
    (:func:`shown_share` against ``texts`` and ``dates``), and those sentences. The first stays:
    it is the answer's lead, and the judge reads what it names."""
    vocab = support(list(texts), list(dates))
    parts = sentences(answer)
    keep = [n == 0 or shown_share(s, vocab, question) >= MIN_SHARE for n, s in enumerate(parts)]
    if all(keep):
        return answer, []
    return ("".join(s for s, k in zip(parts, keep) if k).strip(),
            [s.strip() for s, k in zip(parts, keep) if not k])
