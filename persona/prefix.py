"""Skip the frozen lower layers after their first pass over an example.

LoRA sits on the top share of the decoder layers (``--layer-share``); the layers below it are frozen
and deterministic, so they map an example to the same hidden states in every epoch. The first time an
example is seen, the lower layers run once (no grad) and the hidden states entering the first trainable
layer are kept in RAM; later epochs (and later eval-loss passes) start the decoder there. The result is
the same loss and the same gradients; the lower half's forward pass is paid once instead of per epoch.

The split run reuses the model's own decoder by swapping its layer list for the lower or upper slice,
so nothing architecture-specific is re-implemented. It is checked against the normal forward pass on
real examples before it is used; a model whose decoder does more than "embed, layers, norm" (one that
scales the embeddings, say) fails that check and trains without the cache.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from persona.model import causal_lm

MATCH_TOLERANCE = 1e-3  # relative max difference between the split and the normal forward pass


@dataclass
class CacheStats:
    boundary: int = 0  # index of the first trainable decoder layer (layers below it are skipped)
    enabled: bool = False
    reason: str = ""  # why it is off, when it is
    examples: int = 0
    bytes: int = 0
    hits: int = 0
    full_budget: bool = False  # True once examples stopped being stored for lack of budget


def decoder_of(model: Any) -> Any:
    return causal_lm(model).get_decoder()


@contextmanager
def layer_slice(decoder: Any, start: int, stop: int | None, norm: bool) -> Iterator[None]:
    """Temporarily make ``decoder`` run only ``layers[start:stop]`` (and its final norm only if ``norm``)."""
    import torch

    layers, final_norm = decoder.layers, decoder.norm
    decoder.layers = torch.nn.ModuleList(list(layers)[start:stop])
    if not norm:
        decoder.norm = torch.nn.Identity()
    try:
        yield
    finally:
        decoder.layers, decoder.norm = layers, final_norm


class PrefixCache:
    """Per-example hidden states at ``boundary``, kept on the CPU up to ``budget`` bytes."""

    def __init__(self, decoder: Any, boundary: int, budget: int) -> None:
        self.decoder, self.budget = decoder, budget
        self.store: dict[Hashable, Any] = {}
        self.stats = CacheStats(boundary=boundary)

    # -- the two halves ------------------------------------------------------------------------------
    def lower(self, input_ids: Any) -> Any:
        import torch

        with torch.no_grad(), layer_slice(self.decoder, 0, self.stats.boundary, norm=False):
            return self.decoder(input_ids=input_ids, use_cache=False).last_hidden_state

    def upper(self, hidden: Any) -> Any:
        with layer_slice(self.decoder, self.stats.boundary, None, norm=True):
            return self.decoder(inputs_embeds=hidden, use_cache=False).last_hidden_state

    # -- the cache -----------------------------------------------------------------------------------
    def starts(self, keys: list[Hashable], input_ids: Any) -> Any:
        """Hidden states entering the boundary layer for a right-padded batch, from the cache if all are in it."""
        import torch

        if all(k in self.store for k in keys):
            self.stats.hits += len(keys)
            width = input_ids.shape[1]
            first = self.store[keys[0]]
            out = torch.zeros((len(keys), width, first.shape[-1]), dtype=first.dtype)
            for row, key in enumerate(keys):
                kept = self.store[key]
                out[row, : kept.shape[0]] = kept
            return out.to(input_ids.device)
        return self.lower(input_ids)

    def keep(self, keys: list[Hashable], hidden: Any, lengths: list[int]) -> None:
        for row, key in enumerate(keys):
            if key in self.store:
                continue
            piece = hidden[row, : lengths[row]].detach().to("cpu").clone()
            size = piece.numel() * piece.element_size()
            if self.stats.bytes + size > self.budget:
                self.stats.full_budget = True
                return
            self.store[key] = piece
            self.stats.bytes += size
            self.stats.examples += 1

    def decode(self, keys: list[Hashable], input_ids: Any, lengths: list[int]) -> Any:
        """The decoder's last hidden state for the batch (grads flow through the upper layers only)."""
        hidden = self.starts(keys, input_ids)
        self.keep(keys, hidden, lengths)
        return self.upper(hidden)


def split_matches(cache: PrefixCache, input_ids: Any) -> bool:
    """Does lower-then-upper give the normal forward pass's output on this batch?"""
    import torch

    with torch.no_grad():
        normal = cache.decoder(input_ids=input_ids, use_cache=False).last_hidden_state
        split = cache.upper(cache.lower(input_ids))
    scale = float(normal.abs().max()) or 1.0
    return float((normal - split).abs().max()) <= MATCH_TOLERANCE * scale


def make_cache(model: Any, boundary: int, budget: int, probe_ids: Any) -> PrefixCache:
    """A cache for ``model`` split at ``boundary``; ``stats.enabled`` says whether it may be used."""
    decoder = decoder_of(model)
    cache = PrefixCache(decoder, boundary, budget)
    if boundary <= 0:
        cache.stats.reason = "LoRA is on every layer: no frozen layers below it"
    elif budget <= 0:
        cache.stats.reason = "no memory budget for it"
    elif not (hasattr(decoder, "layers") and hasattr(decoder, "norm")):
        cache.stats.reason = "this model's decoder has no layers/norm to split"
    elif not split_matches(cache, probe_ids):
        cache.stats.reason = "a split forward pass does not match the normal one for this architecture"
    else:
        cache.stats.enabled = True
    return cache
