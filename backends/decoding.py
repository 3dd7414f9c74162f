"""Decoding that lets a small model copy its notes (local transformers backend).

Three pieces, all plugged into ``model.generate`` as transformers processors/criteria:

- **Reply-only repetition penalty**: transformers' ``RepetitionPenaltyLogitsProcessor`` with
  ``prompt_ignore_length`` set to the prompt's length, so only the reply's own repeats are
  penalised. A penalty on the prompt (the default behaviour) pushes the model away from every
  word of its notes.
- **Context-aware decoding** (Shi et al. 2023, "Trusting Your Evidence"): next-token scores
  ``(1+α)·log p(y | notes, question) − α·log p(y | question)``. The prompt with the notes and
  the same chat without them run as one batch of two left-padded rows; at every step both rows
  get the same combined scores, so they pick the same token and stay in step. An optional
  plausibility floor (Li et al. 2023) keeps only tokens the notes-conditioned model itself finds
  plausible (``p ≥ β · max p``), so the contrast cannot promote junk.
- **Sentence stop**: generation ends once ``max_sentences`` sentences are complete.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

# a sentence does not end after an initial ("J. R. R. Tolkien"; not "I": "So did I. Then…") or a title
# ("Dr. Haldane", "St. Davids"; and the titles of other languages a note in English keeps: "Ing. Baltazar
# Ocampo", "Dra. Ek", "Sra. Boscardin", "Mtra. Irigoyen", "Hr. Olsen"): the answers' splitter here and the
# notes' (nodes/evidence.py) both use not_after_abbreviation
TITLES = ("Dr", "Mr", "Mrs", "Ms", "Mx", "St", "Mt", "Prof", "Rev", "Capt", "Sgt", "Lt", "Col", "Hon", "Fr",
          "Dra", "Drs", "Sr", "Sra", "Srta", "Ing", "Lic", "Arq", "Mtro", "Mtra", "Profa", "Mme", "Mlle", "Hr",
          "Dott", "Sig", "Avv")
# ... nor after a currency or a reference that a number follows ("Rs. 72,000 a month", "No. 5", "Vol. 3")
BEFORE_NUMBER = ("Rs", "Re", "Ksh", "Kshs", "Tk", "No", "Nos", "Vol", "Fig", "Ch", "Art", "Ref", "approx", "ca")


def not_after_abbreviation(then: str = "") -> str:
    """Regex lookbehinds: the position is not right after an initial or a title (followed by ``then``,
    e.g. ``\\.``), nor after a :data:`BEFORE_NUMBER` abbreviation whose number follows."""
    rest = "" if then else r"\."  # ``then`` empty: the position is before the full stop
    return (rf"(?<!\b[A-HJ-Z]{then})" + "".join(rf"(?<!\b{title}{then})" for title in TITLES)
            + "".join(rf"(?!(?<=\b{word}{then}){rest}\s+\d)" for word in BEFORE_NUMBER))


SENTENCE_END = re.compile(not_after_abbreviation() + r"[.!?…]+[\"')\]]*(?=\s)|\n")


@dataclass(frozen=True)
class DecodingOptions:
    """How one reply is decoded (from ``[persona]``; per-call overrides allowed)."""

    max_new_tokens: int = 160
    temperature: float = 0.0  # 0 = greedy
    top_p: float = 0.95
    repetition_penalty: float = 1.0  # on the reply's own tokens only; 1.0 = off
    context_weight: float = 0.0  # α of context-aware decoding; 0 = off
    plausibility: float = 0.0  # β: keep tokens with p(y | notes) ≥ β · max; 0 = off
    max_sentences: int = 0  # stop after this many complete sentences; 0 = no limit
    seed: int = 0


def sentence_ends(text: str) -> list[int]:
    """Offsets just past each complete sentence of ``text`` (a sentence is complete once the
    text goes on after its final punctuation; a line break also ends one)."""
    ends = []
    for found in SENTENCE_END.finditer(text):
        end = found.end()
        if text[:end].strip() and (not ends or text[ends[-1]:end].strip()):
            ends.append(end)
    return ends


def sentences(text: str) -> list[str]:
    """``text`` cut into its sentences (each with its punctuation and the space before it; the last
    may be unfinished), as :func:`sentence_ends` sees them."""
    ends = sentence_ends(text + " ")
    starts = [0, *ends[:-1]]
    pieces = [text[a:b] for a, b in zip(starts, ends)] + ([text[ends[-1]:]] if ends and ends[-1] < len(text) else [])
    return pieces or ([text] if text else [])


def trim_to_sentences(text: str, max_sentences: int) -> str:
    """``text`` cut after its ``max_sentences``-th sentence, or after its last complete one when
    it stopped mid-sentence (at the token limit); unchanged when it has no complete sentence."""
    text = text.strip()
    ends = sentence_ends(text + " ")
    if not ends:
        return text
    if max_sentences and len(ends) > max_sentences:
        return text[: ends[max_sentences - 1]].strip()
    last = ends[-1]
    return text[:last].strip() if last < len(text) else text


REPEAT_OVERLAP = 0.8  # a sentence sharing this share of its words with an earlier one is a repeat


_WORD = re.compile(r"[^\W_]+")


def _words(sentence: str) -> set[str]:
    return set(_WORD.findall(sentence.lower()))


LOOP_WORDS = 4  # a run of this many words said again inside one sentence is a loop
# words a sentence cut short cannot end on ("…railway terminology, and", "…a girdle, so she")
# (lower case only, and not "I" or "is": "…taller than I", "…what it is", "vitamin A" end sentences)
_DANGLING = re.compile(r"(?:[\s,;:–—-]+(?:and|or|but|so|because|which|that|who|a|an|the|of|to|in|on|at|for|with|"
                       r"from|by|my|your|our|their|his|she|he|they|we))+[\s,;:–—-]*$")


def without_loop(sentence: str) -> str:
    """``sentence`` cut where it starts saying a run of ``LOOP_WORDS`` words again ("…owned by
    the pub owner, the owner of the pub, the owner of the pub, the owner" → "…owned by the pub
    owner, the owner of the pub."), less the words it cannot end on ("Gran doesn't have a girdle,
    so she, so she…" → "Gran doesn't have a girdle."); unchanged when nothing repeats."""
    spans = [(m.group(0).lower(), m.start()) for m in _WORD.finditer(sentence)]
    seen: set[tuple[str, ...]] = set()
    for i in range(len(spans) - LOOP_WORDS + 1):
        run = tuple(word for word, _ in spans[i : i + LOOP_WORDS])
        if run in seen:
            head = sentence[: spans[i][1]].rstrip(" ,;:-–—")
            trimmed = _DANGLING.sub("", head)
            head = trimmed if len(trimmed.split()) > 1 else head
            return head + ("" if head.endswith((".", "!", "?")) else ".") + (" " if sentence.endswith(" ") else "")
        seen.add(run)
    return sentence


def without_repeats(text: str) -> str:
    """``text`` without sentences that repeat an earlier one ("I play in The Mollymawks. I play
    in The Mollymawks now."): a sentence whose words are mostly (``REPEAT_OVERLAP``) those of
    an earlier sentence is dropped, and a sentence that loops is cut where the loop starts
    (:func:`without_loop`). A small model loops; the reader should not see it."""
    pieces = [without_loop(piece) for piece in sentences(text)]
    if len(pieces) < 2:
        return "".join(pieces)
    kept: list[str] = []
    seen: list[set[str]] = []
    for piece in pieces:
        words = _words(piece)
        if words and any(len(words & earlier) >= REPEAT_OVERLAP * len(words) for earlier in seen):
            continue
        kept.append(piece)
        seen.append(words)
    return "".join(kept).strip()


def processors(opts: DecodingOptions, prompt_len: int, paired: bool) -> list[Any]:
    """The logits processors for one ``generate`` call (penalty first, then the contrast)."""
    from transformers import RepetitionPenaltyLogitsProcessor

    found: list[Any] = []
    if opts.repetition_penalty and opts.repetition_penalty != 1.0:
        found.append(RepetitionPenaltyLogitsProcessor(opts.repetition_penalty, prompt_ignore_length=prompt_len))
    if paired:
        found.append(PairedContrast(opts))
    return found


class PairedContrast:
    """Row 0 = the prompt with notes, row 1 = without; both rows get the contrasted scores.

    With sampling on, the token is drawn here (from the contrasted distribution) and forced on
    both rows, so ``generate`` runs greedy and the rows never diverge.
    """

    def __init__(self, opts: DecodingOptions) -> None:
        import torch

        self.alpha = opts.context_weight
        self.floor = math.log(opts.plausibility) if opts.plausibility > 0 else None
        self.temperature = opts.temperature
        self.top_p = opts.top_p
        self.rng = torch.Generator().manual_seed(opts.seed)

    def __call__(self, input_ids: Any, scores: Any) -> Any:
        import torch

        logp = torch.log_softmax(scores.float(), dim=-1)
        cond, plain = logp[0], logp[1]
        combined = (1.0 + self.alpha) * cond - self.alpha * plain
        if self.floor is not None:
            combined = combined.masked_fill(cond < cond.max() + self.floor, -math.inf)
        if self.temperature > 0:
            combined = self._forced(combined)
        return combined.unsqueeze(0).expand(scores.shape[0], -1).to(scores.dtype)

    def _forced(self, combined: Any) -> Any:
        """Sample one token from the contrasted scores; all other tokens get -inf."""
        import torch

        probs = torch.softmax(combined / self.temperature, dim=-1)
        ordered, index = probs.sort(descending=True)
        keep = ordered.cumsum(-1) - ordered < self.top_p
        ordered = ordered * keep
        token = index[torch.multinomial(ordered / ordered.sum(), 1, generator=self.rng)]
        forced = torch.full_like(combined, -math.inf)
        forced[token] = 0.0
        return forced


class SentenceStop:
    """Stop once the reply (row 0) holds ``max_sentences`` complete sentences."""

    def __init__(self, tokenizer: Any, prompt_len: int, max_sentences: int) -> None:
        self.tokenizer = tokenizer
        self.prompt_len = prompt_len
        self.max_sentences = max_sentences

    def __call__(self, input_ids: Any, scores: Any, **kwargs: Any) -> Any:
        import torch

        text = self.tokenizer.decode(input_ids[0, self.prompt_len:], skip_special_tokens=True)
        done = len(sentence_ends(text)) >= self.max_sentences
        return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)


def paired_inputs(tokenizer: Any, texts: list[str]) -> dict[str, Any]:
    """Tokenise prompts as one left-padded batch (``attention_mask`` marks the padding)."""
    side = tokenizer.padding_side
    tokenizer.padding_side = "left"
    try:
        return dict(tokenizer(texts, return_tensors="pt", padding=True, add_special_tokens=False))
    finally:
        tokenizer.padding_side = side
