"""Local chat model: Hugging Face transformers on CPU (or GPU), as a langchain-core chat model."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models.chat_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from llm.messages import to_role_dicts
from llm.sources import WeightsSource
from llm.weights import LoadedWeights, load_weights


class LocalChatModel(BaseChatModel):
    """transformers model (HF dir/id or GGUF) with optional stacked peft adapters."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    source: WeightsSource
    home: Path
    adapters: list[str] = []  # adapter dirs, all active together; [] = the base model
    dtype: str = "float32"
    max_new_tokens: int = 160
    temperature: float = 0.0
    repetition_penalty: float = 1.15
    seed: int = 0
    threads: int = 0

    @property
    def _llm_type(self) -> str:
        return "twin-local"

    @property
    def name_for_trace(self) -> str:
        return self.source.label + (f" + {len(self.adapters)} adapter(s)" if self.adapters else "")

    def weights(self) -> LoadedWeights:
        return load_weights(self.source, self.home, self.dtype, self.threads)

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

    def prompt_ids(self, messages: list[BaseMessage], tokenizer: Any) -> Any:
        text = tokenizer.apply_chat_template(to_role_dicts(messages), add_generation_prompt=True, tokenize=False)
        return tokenizer(text, return_tensors="pt", add_special_tokens=False)

    def _gen_kwargs(self, tokenizer: Any, **overrides: Any) -> dict[str, Any]:
        import torch

        torch.manual_seed(self.seed)
        kwargs: dict[str, Any] = {
            "max_new_tokens": overrides.get("max_new_tokens", self.max_new_tokens),
            "repetition_penalty": self.repetition_penalty,
            "pad_token_id": tokenizer.pad_token_id,
        }
        if self.temperature > 0:
            kwargs.update(do_sample=True, temperature=self.temperature, top_p=0.95)
        else:
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
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        from transformers import TextIteratorStreamer

        with self._active() as loaded:
            tok = loaded.tokenizer
            inputs = self.prompt_ids(messages, tok)
            streamer = TextIteratorStreamer(tok, skip_prompt=True, skip_special_tokens=True)
            gen_kwargs = {**inputs, **self._gen_kwargs(tok, **kwargs), "streamer": streamer}
            errors: list[BaseException] = []

            def work() -> None:
                try:
                    loaded.model.generate(**gen_kwargs)
                except BaseException as exc:  # surfaced in the caller's thread
                    errors.append(exc)
                    streamer.end()

            thread = threading.Thread(target=work, daemon=True)
            thread.start()
            for piece in streamer:
                if not piece:
                    continue
                if run_manager:
                    run_manager.on_llm_new_token(piece)
                yield ChatGenerationChunk(message=AIMessageChunk(content=piece))
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
