"""A trainable copy of the persona model with LoRA adapters (peft), separate from the inference cache."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from backends.sources import resolve_chat_source
from backends.weights import load_weights
from persona.options import TrainOptions
from twin.config import Config

TRAIN_ADAPTER = "default"  # the adapter being trained (saved at the top of its folder)
FROZEN_ADAPTER = "frozen"  # a phase-1 adapter phase 2 trains on top of


def pick_device(name: str) -> str:
    import torch

    if name != "auto":
        if name.startswith("cuda") and not torch.cuda.is_available():
            raise ValueError("device cuda was asked for but no CUDA GPU is available; use --device cpu")
        return name
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def pick_precision(name: str, device: str) -> str:
    """bf16 where the hardware has fast bf16 matmuls (CUDA GPUs; CPUs with AMX tiles); else fp32.

    A CPU with AVX512-BF16 but no AMX converts on every op: one training step there took 8.5 s in bf16
    and 4.6 s in float32 (same batch, 2 cores), while an AMX CPU ran bf16 1.4x faster than float32.
    """
    if name != "auto":
        return name
    import torch

    if device.startswith("cuda"):
        return "bf16" if torch.cuda.is_bf16_supported() else "fp32"
    if device == "cpu" and cpu_has_amx():
        return "bf16"
    return "fp32"


def cpu_has_amx() -> bool:
    import torch

    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    try:
        return bool(probe and probe() and torch.backends.mkldnn.is_available())
    except RuntimeError:
        return False


def set_precision(model: Any, precision: str) -> None:
    """Frozen weights in bf16 (half the memory, bf16 matmuls); trainable LoRA weights always float32.

    Measured on a 2-core AVX512-BF16 CPU: bf16 frozen weights without autocast ran 1.4x float32, while
    autocast over float32 weights ran 1.2x (it re-casts every weight on every step).
    """
    import torch

    frozen = torch.bfloat16 if precision == "bf16" else torch.float32
    for param in model.parameters():
        param.data = param.data.to(torch.float32 if param.requires_grad else frozen)


def decoder_layers(model: Any) -> int:
    config = model.config
    return int(getattr(config, "num_hidden_layers", 0) or getattr(config, "n_layer", 0))


def base_copy(config: Config) -> tuple[Any, Any]:
    """A private, trainable float32 copy of the persona base model and its tokenizer."""
    loaded = load_weights(resolve_chat_source(config.persona.model), config.home_path, "float32")
    with loaded.lock:
        model = loaded.model
        if hasattr(model, "get_base_model"):  # adapters were loaded for inference: copy, then strip them
            model = copy.deepcopy(model).unload()
        else:
            model = copy.deepcopy(model)
    tokenizer = copy.deepcopy(loaded.tokenizer)
    for param in model.parameters():
        param.requires_grad_(False)
    return model, tokenizer


def top_layers(n_layers: int, share: float) -> list[int] | None:
    """Indices of the top ``share`` of ``n_layers`` decoder layers (None = all, or layer count unknown)."""
    if share >= 1.0 or n_layers <= 0:
        return None
    keep = max(1, round(n_layers * share))
    return list(range(n_layers - keep, n_layers))


def lora_config(opts: TrainOptions, n_layers: int = 0) -> Any:
    from peft import LoraConfig

    return LoraConfig(
        r=opts.rank, lora_alpha=opts.alpha, lora_dropout=opts.dropout, target_modules=list(opts.target_modules),
        layers_to_transform=top_layers(n_layers, opts.layer_share), bias="none", task_type="CAUSAL_LM",
    )


def with_adapters(model: Any, opts: TrainOptions) -> Any:
    """Wrap ``model`` with a new trainable LoRA; a ``base_adapter`` is loaded frozen underneath it."""
    from peft import PeftModel, get_peft_model

    config = lora_config(opts, decoder_layers(model))
    if not opts.base_adapter:
        return get_peft_model(model, config, adapter_name=TRAIN_ADAPTER)
    path = Path(opts.base_adapter).expanduser()
    if not (path / "adapter_config.json").is_file():
        raise FileNotFoundError(f"--base-adapter {path} is not a peft adapter folder (no adapter_config.json)")
    peft_model = PeftModel.from_pretrained(model, str(path), adapter_name=FROZEN_ADAPTER, is_trainable=False)
    peft_model.add_adapter(TRAIN_ADAPTER, config)
    activate(peft_model, [FROZEN_ADAPTER, TRAIN_ADAPTER], trainable=TRAIN_ADAPTER)
    return peft_model


def activate(peft_model: Any, names: list[str], trainable: str | None = None) -> None:
    """Make every adapter in ``names`` active at once; only ``trainable`` (if any) gets gradients."""
    peft_model.base_model.set_adapter(names, inference_mode=trainable is None)
    for name, param in peft_model.named_parameters():
        param.requires_grad_(trainable is not None and f".{trainable}." in name and "lora_" in name)


def trainable_count(model: Any) -> tuple[int, int]:
    total = sum(p.numel() for p in model.parameters())
    train = sum(p.numel() for p in model.parameters() if p.requires_grad)
    return total, train


def causal_lm(model: Any) -> Any:
    """The transformers model inside a peft wrapper (LoRA layers stay injected), or ``model`` itself."""
    return model.get_base_model() if hasattr(model, "get_base_model") else model


def target_loss(model: Any, batch: dict[str, Any], hidden: Any = None) -> Any:
    """Mean cross-entropy over the target tokens only (the LM head runs on those positions alone).

    ``hidden``: the decoder's last hidden state when the caller ran the decoder itself (persona.prefix).

    Batches are right-padded, so plain causal attention never lets a real token see padding and no
    attention mask is passed: that keeps SDPA on its fused causal kernel instead of materialising
    a (batch, heads, seq, seq) mask per layer (about 10x the memory and time on CPU).
    """
    import torch

    inner = causal_lm(model)
    if hidden is None:
        hidden = inner.get_decoder()(input_ids=batch["input_ids"], use_cache=False).last_hidden_state
    labels = batch["labels"][:, 1:]
    keep = labels != -100
    logits = inner.get_output_embeddings()(hidden[:, :-1][keep])
    return torch.nn.functional.cross_entropy(logits.float(), labels[keep])
