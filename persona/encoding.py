"""Chat examples → token ids with labels: loss on the final assistant reply only.

The prompt (system, history, user turn, and the assistant header) is rendered with the model's
own chat template and ``add_generation_prompt=True``; the full conversation is rendered the
same way and must start with exactly those prompt tokens. Everything up to that point gets the
label -100, so no loss is taken on prompt or history tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

IGNORE = -100


@dataclass
class Encoded:
    input_ids: list[int]
    labels: list[int]

    @property
    def target_tokens(self) -> int:
        return sum(1 for x in self.labels if x != IGNORE)


def _ids(tokenizer: Any, text: str) -> list[int]:
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def encode(tokenizer: Any, messages: list[dict[str, str]], max_tokens: int) -> Encoded | None:
    """Token ids and masked labels; None when the example does not fit ``max_tokens``."""
    prompt_text = tokenizer.apply_chat_template(messages[:-1], add_generation_prompt=True, tokenize=False)
    full_text = tokenizer.apply_chat_template(messages, tokenize=False).rstrip("\n")
    if not full_text.startswith(prompt_text):
        raise ValueError("the chat template does not render the prompt as a prefix of the conversation; "
                         "this model's template is not supported for training")
    prompt = _ids(tokenizer, prompt_text)
    target = _ids(tokenizer, full_text[len(prompt_text):])
    if tokenizer.eos_token_id is not None and (not target or target[-1] != tokenizer.eos_token_id):
        target.append(tokenizer.eos_token_id)
    if len(prompt) + len(target) > max_tokens:
        return None
    return Encoded(input_ids=prompt + target, labels=[IGNORE] * len(prompt) + target)


def collate(batch: list[Encoded], pad_id: int) -> dict[str, Any]:
    """Right-padded tensors: input_ids, attention_mask, labels (padding is never a target)."""
    import torch

    width = max(len(e.input_ids) for e in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, enc in enumerate(batch):
        n = len(enc.input_ids)
        ids[row, :n] = torch.tensor(enc.input_ids)
        labels[row, :n] = torch.tensor(enc.labels)
        mask[row, :n] = 1
    return {"input_ids": ids, "attention_mask": mask, "labels": labels}
