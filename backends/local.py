"""Local chat model: Hugging Face transformers on CPU (or GPU), as a langchain-core chat model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict
from transformers import TextIteratorStreamer

from backends.decoding import DecodingOptions, SentenceStop, paired_inputs, processors
from backends.messages import to_role_dicts
from backends.sources import WeightsSource
from backends.stopping import EventStop, reply_chunks
from backends.weights import LoadedWeights, cached_weights, load_weights


class LocalChatModel(BaseChatModel):
    """transformers model (HF dir/id or GGUF) with optional stacked peft adapters."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: WeightsSource
    home: Path
    adapters: list[str] = []  # adapter dirs, all active together; [] = the base model
    dtype: str = "float32"
    max_new_tokens: int = 160
    temperature: float = 0.0
    repetition_penalty: float = 1.0  # the reply's own repeats only (never the prompt's notes)
    context_weight: float = 0.0  # α of context-aware decoding (needs negative_messages)
    plausibility: float = 0.0
    max_sentences: int = 0
    seed: int = 0
    threads: int = 0
    supports_context_weight: ClassVar[bool] = True  # context-aware decoding is possible here

    @property
    def _llm_type(self) -> str:
        return "twin-local"

    @property
    def name_for_trace(self) -> str:
        return self.source.label + (f" + {len(self.adapters)} adapter(s)" if self.adapters else "")

    def weights(self) -> LoadedWeights:
        return load_weights(self.source, self.home, self.dtype, self.threads)

    def loaded_tokenizer(self) -> Any | None:
        """This model's tokenizer if its weights are already in memory, else None (never loads them)."""
        loaded = cached_weights(self.source, self.dtype)
        return loaded.tokenizer if loaded is not None else None

    @contextmanager
    def _active(self) -> Iterator[LoadedWeights]:
        """Hold the weights' lock with exactly this model's adapters active."""
        loaded = self.weights()
        names = loaded.ensure_adapters(self.adapters) if self.adapters else []
        with loaded.lock:
            model = loaded.model
            if names:
                model.base_model.set_adapter(names, inference_mode=True)
                ctx = nullcontext()
            else:
                ctx = model.disable_adapter() if hasattr(model, "disable_adapter") and loaded.adapters else nullcontext()
            with ctx:
                yield loaded

    def prompt_text(self, messages: list[BaseMessage], tokenizer: Any) -> str:
        return tokenizer.apply_chat_template(to_role_dicts(messages), add_generation_prompt=True, tokenize=False)

    def prompt_ids(self, messages: list[BaseMessage], tokenizer: Any) -> Any:
        return tokenizer(self.prompt_text(messages, tokenizer), return_tensors="pt", add_special_tokens=False)

    def options(self, **overrides: Any) -> DecodingOptions:
        """This model's decoding options, with per-call overrides (``None`` = keep)."""
        base = DecodingOptions(
            max_new_tokens=self.max_new_tokens, temperature=self.temperature,
            repetition_penalty=self.repetition_penalty, context_weight=self.context_weight,
            plausibility=self.plausibility, max_sentences=self.max_sentences, seed=self.seed,
        )
        known = {k: v for k, v in overrides.items() if k in DecodingOptions.__dataclass_fields__ and v is not None}
        return replace(base, **known)

    def _inputs(self, messages: list[BaseMessage], negative: list[BaseMessage] | None, tok: Any,
                opts: DecodingOptions) -> tuple[dict[str, Any], bool]:
        """Model inputs: one prompt, or (context-aware decoding) the prompt and its no-notes twin
        as one left-padded batch of two."""
        if negative is None or opts.context_weight <= 0:
            return dict(self.prompt_ids(messages, tok)), False
        return paired_inputs(tok, [self.prompt_text(messages, tok), self.prompt_text(negative, tok)]), True

    def _gen_kwargs(self, tok: Any, inputs: dict[str, Any], opts: DecodingOptions, paired: bool,
                    halt: EventStop) -> dict[str, Any]:
        import torch

        torch.manual_seed(opts.seed)
        prompt_len = int(inputs["input_ids"].shape[1])
        kwargs: dict[str, Any] = {
            **inputs, "max_new_tokens": opts.max_new_tokens, "pad_token_id": tok.pad_token_id,
            "logits_processor": processors(opts, prompt_len, paired), "stopping_criteria": [halt],
        }
        if opts.max_sentences:
            kwargs["stopping_criteria"].append(SentenceStop(tok, prompt_len, opts.max_sentences))
        if opts.temperature > 0 and not paired:
            kwargs.update(do_sample=True, temperature=opts.temperature, top_p=opts.top_p)
        else:  # greedy; a paired contrast samples by itself (see PairedContrast)
            kwargs.update(do_sample=False, temperature=None, top_p=None, top_k=None)
        return kwargs

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        text = "".join(chunk.message.content for chunk in self._stream(messages, stop, run_manager, **kwargs))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(content=text))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        negative_messages: list[BaseMessage] | None = None,
        cancel: threading.Event | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        """Stream the reply. ``negative_messages`` (the same chat without the notes) turns on
        context-aware decoding when ``context_weight`` > 0.

        Generation stops within a token once ``cancel`` is set, or once the consumer closes this
        stream; either way the weights' lock is held until ``generate`` has really ended."""
        opts = self.options(**kwargs)
        return reply_chunks(lambda: self._pieces(messages, negative_messages, cancel, opts), cancel, run_manager)

    def _pieces(self, messages: list[BaseMessage], negative: list[BaseMessage] | None,
                cancel: threading.Event | None, opts: DecodingOptions) -> Iterator[str]:
        """The reply's text as ``generate`` (in its own thread) produces it."""
        with self._active() as loaded:
            tok = loaded.tokenizer
            inputs, paired = self._inputs(messages, negative, tok, opts)
            streamer = FirstRowStreamer(tok, skip_prompt=True, skip_special_tokens=True)
            closed = threading.Event()  # the consumer stopped reading
            halt = EventStop(cancel, closed)
            gen_kwargs = {**self._gen_kwargs(tok, inputs, opts, paired, halt), "streamer": streamer}
            errors: list[BaseException] = []

            def work() -> None:
                try:
                    loaded.model.generate(**gen_kwargs)
                except BaseException as exc:  # surfaced in the caller's thread
                    errors.append(exc)
                    streamer.end()

            thread = threading.Thread(target=work, name="twin-generate", daemon=True)
            thread.start()
            try:
                yield from (piece for piece in streamer if piece)
            finally:
                closed.set()  # a no-op after a full reply; after a close, generate ends at its next token
                thread.join()
            if errors:
                raise errors[0]

    def label_logprobs(self, messages: list[BaseMessage], labels: list[str]) -> dict[str, float]:
        """Total log-probability of each label as the assistant's reply (for classification).

        Summed, not averaged: a mean per token favours longer labels ("NO_RETRIEVE")."""
        import torch

        with self._active() as loaded:
            tok = loaded.tokenizer
            prompt = self.prompt_ids(messages, tok)["input_ids"]
            scores: dict[str, float] = {}
            for label in labels:
                label_ids = tok(label, return_tensors="pt", add_special_tokens=False)["input_ids"]
                ids = torch.cat([prompt, label_ids], dim=1)
                with torch.no_grad():
                    logits = loaded.model(input_ids=ids).logits[0, prompt.shape[1] - 1 : -1]
                logp = torch.log_softmax(logits.float(), dim=-1)
                picked = logp.gather(1, label_ids[0].unsqueeze(1)).squeeze(1)
                scores[label] = float(picked.sum())
            return scores


class FirstRowStreamer(TextIteratorStreamer):
    """A text streamer for the reply in row 0 (context-aware decoding runs two rows in step)."""

    def put(self, value: Any) -> None:
        if value.dim() > 1:  # the prompt: (rows, length)
            value = value[:1]
        elif not self.next_tokens_are_prompt:  # one step: one new token per row
            value = value[:1]
        super().put(value)
