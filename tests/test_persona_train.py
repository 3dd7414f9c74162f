"""Persona LoRA: masking, a few real training steps (loss falls), save, resume, reload and stack."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twin import offline

offline.apply()

from persona.encoding import IGNORE, encode  # noqa: E402
from persona.memory import MemoryError_, check, estimate  # noqa: E402
from persona.options import TrainOptions  # noqa: E402
from persona.records import Example  # noqa: E402
from twin.config import Config  # noqa: E402
from twin.jsonl import write_jsonl  # noqa: E402

pytestmark = pytest.mark.slow  # real chat model, servers or training

PAIRS = [("What is your starter called?", "My starter is called Gunnar."),
         ("Where do you live?", "I moved to Bergen. It rains a lot.")]
FAST = dict(batch_size=2, grad_accum=1, eval_every=3, max_eval=2, save_every=2, patience=0, dropout=0.0, precision="fp32",
            target_modules=["q_proj", "v_proj"], warmup=0.0, lr=2e-3)


@pytest.fixture(scope="session")
def config(tmp_path_factory: pytest.TempPathFactory) -> Config:
    return Config(person="Ada Berg", home=str(tmp_path_factory.mktemp("twin-home")))


@pytest.fixture(scope="session")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("persona-data")
    rows = [Example(messages=[{"role": "system", "content": "You are Ada Berg."}, {"role": "user", "content": q},
                              {"role": "assistant", "content": a}], kind="qa", split="train", meta={"question": q})
            for q, a in PAIRS]
    write_jsonl(root / "train.jsonl", rows)
    write_jsonl(root / "test.jsonl", rows[:1])
    return root


@pytest.fixture(scope="session")
def tokenizer(config: Config):  # noqa: ANN201
    from persona.model import base_copy

    return base_copy(config)[1]


@pytest.fixture(scope="session")
def runs(config: Config, data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Phase 1 (identity, bf16 frozen weights) for 5 steps, then phase 2 (style, fp32) on top of it for 3 steps."""
    from persona.trainer import train

    root = tmp_path_factory.mktemp("runs")
    identity = TrainOptions(phase="identity", max_steps=5, rank=4, **dict(FAST, precision="bf16"))
    train(config, data_dir, root / "identity", identity, progress=False)
    style = TrainOptions(phase="style", max_steps=3, rank=8, base_adapter=str(root / "identity" / "adapter"), **FAST)
    train(config, data_dir, root / "style", style, progress=False)
    return {"identity": root / "identity", "style": root / "style"}


def test_only_the_final_reply_is_a_target(tokenizer) -> None:  # noqa: ANN001
    messages = [{"role": "system", "content": "S"}, {"role": "user", "content": "Hi"},
                {"role": "assistant", "content": "EARLIER REPLY"}, {"role": "user", "content": "Where?"},
                {"role": "assistant", "content": "In Bergen."}]
    enc = encode(tokenizer, messages, 512)
    targets = [t for t, label in zip(enc.input_ids, enc.labels) if label != IGNORE]
    assert tokenizer.decode(targets) == "In Bergen." + tokenizer.eos_token
    first = enc.labels.index(next(x for x in enc.labels if x != IGNORE))
    assert all(x == IGNORE for x in enc.labels[:first]) and all(x != IGNORE for x in enc.labels[first:])
    assert "EARLIER REPLY" in tokenizer.decode(enc.input_ids[:first])
    assert encode(tokenizer, messages, 10) is None  # too long: skipped, never cut


def test_loss_falls_and_the_run_directory_is_complete(runs: dict[str, Path]) -> None:
    for run in runs.values():
        losses = [json.loads(line)["loss"] for line in (run / "metrics.jsonl").read_text().splitlines()
                  if "loss" in json.loads(line)]
        assert losses[-1] < losses[0] * (0.85 if run.name == "identity" else 1.0), losses
        summary = json.loads((run / "summary.json").read_text())
        assert summary["adapter_bytes"] > 0 and (run / "adapter" / "adapter_config.json").is_file()
        assert (run / "loss_curve.png").stat().st_size > 1000
        assert json.loads((run / "run.json").read_text())["options"]["phase"] == run.name
    assert json.loads((runs["identity"] / "adapter" / "adapter_config.json").read_text())["r"] == 4
    assert json.loads((runs["style"] / "adapter" / "adapter_config.json").read_text())["r"] == 8


def test_lora_sits_on_the_top_layers_only(runs: dict[str, Path]) -> None:
    from safetensors import safe_open

    for run, expected in (("identity", set(range(15, 30))), ("style", set(range(15, 30)))):
        config = json.loads((runs[run] / "adapter" / "adapter_config.json").read_text())
        assert set(config["layers_to_transform"]) == expected
        with safe_open(str(runs[run] / "adapter" / "adapter_model.safetensors"), "pt") as f:
            layers = {int(k.split(".layers.")[1].split(".")[0]) for k in f.keys()}
            assert layers == expected
            assert all(f.get_tensor(k).dtype.is_floating_point and f.get_tensor(k).element_size() == 4
                       for k in f.keys())  # LoRA weights train and save in float32, also under bf16
    assert json.loads((runs["identity"] / "run.json").read_text())["precision"] == "bf16"


def test_layer_share_and_precision_options() -> None:
    from persona.model import top_layers

    assert top_layers(30, 0.5) == list(range(15, 30)) and top_layers(30, 1.0) is None
    assert top_layers(30, 0.01) == [29] and top_layers(0, 0.5) is None
    with pytest.raises(ValueError, match="layer-share"):
        TrainOptions(layer_share=0.0).resolved()


def test_batches_group_similar_lengths_and_cover_every_example_once() -> None:
    import random

    from persona.trainer import batch_order

    lengths = [random.Random(i).randint(20, 600) for i in range(1000)]
    first = batch_order(lengths, 4, epoch=0, seed=0)
    assert sorted(i for b in first for i in b) == list(range(1000))
    assert first == batch_order(lengths, 4, epoch=0, seed=0) != batch_order(lengths, 4, epoch=1, seed=0)

    def padding(batches: list[list[int]]) -> int:
        return sum(len(b) * max(lengths[i] for i in b) - sum(lengths[i] for i in b) for b in batches)

    shuffled = list(range(1000))
    random.Random(0).shuffle(shuffled)
    assert padding(first) < 0.2 * padding([shuffled[i : i + 4] for i in range(0, 1000, 4)])


def test_stacked_adapters_are_both_active(config: Config, runs: dict[str, Path]) -> None:
    from langchain_core.messages import HumanMessage, SystemMessage

    from backends.local import LocalChatModel
    from backends.sources import resolve_chat_source

    one = [str(runs["identity"] / "adapter")]
    both = one + [str(runs["style"] / "adapter")]
    messages = [SystemMessage("You are Ada Berg."), HumanMessage(PAIRS[0][0])]
    scores = {}
    for name, stack in (("base", []), ("one", one), ("both", both)):
        model = LocalChatModel(source=resolve_chat_source("embedded"), home=config.home_path, adapters=stack)
        scores[name] = model.label_logprobs(messages, [PAIRS[0][1]])[PAIRS[0][1]]
        if name == "both":
            with model._active() as loaded:
                assert len(loaded.model.base_model.active_adapters) == 2
    assert scores["one"] > scores["base"]  # phase 1 learned the answer
    assert scores["both"] != pytest.approx(scores["one"], abs=1e-4)  # phase 2 changes the output too
    assert scores["both"] > scores["base"]


def _stop_at(state, step: int) -> None:  # noqa: ANN001
    if state.step == step:
        raise KeyboardInterrupt


def test_resume_picks_up_steps(config: Config, data_dir: Path, tmp_path: Path) -> None:
    from persona.trainer import train

    with pytest.raises(KeyboardInterrupt):
        train(config, data_dir, tmp_path, TrainOptions(phase="identity", max_steps=4, **dict(FAST, save_every=1)),
              progress=False, on_step=lambda s: _stop_at(s, 2))
    assert (tmp_path / "checkpoints" / "step-000002").is_dir()
    summary = train(config, data_dir, tmp_path, TrainOptions(phase="identity", max_steps=4, **dict(FAST, save_every=1)),
                    resume=True, progress=False)
    steps = [json.loads(line)["step"] for line in (tmp_path / "metrics.jsonl").read_text().splitlines()
             if "loss" in json.loads(line)]
    assert steps == [1, 2, 3, 4] and summary["steps"] == 4


def test_memory_estimate_refuses_clearly() -> None:
    from types import SimpleNamespace

    cfg = SimpleNamespace(hidden_size=576, num_hidden_layers=30, num_attention_heads=9, intermediate_size=1536,
                          vocab_size=49152)
    est = estimate(cfg, 135_000_000, 1_000_000, batch=64, tokens=2048, bytes_per=4, checkpointing=False)
    with pytest.raises(MemoryError_, match="--batch-size"):
        check(est, "cpu", limit_gb=4)
    check(estimate(cfg, 135_000_000, 1_000_000, 1, 64, 4, False), "cpu", limit_gb=4)


def test_empty_training_data_is_a_clear_error(config: Config, tmp_path: Path) -> None:
    from persona.trainer import train

    (tmp_path / "train.jsonl").write_text("")
    with pytest.raises(ValueError, match="no usable training examples"):
        train(config, tmp_path, tmp_path / "run", TrainOptions(max_steps=1), progress=False)


def test_export_merges_both_adapters_and_writes_a_matching_gguf(config: Config, runs: dict[str, Path],
                                                                tmp_path: Path) -> None:
    import torch
    from transformers import AutoModelForCausalLM

    from persona.export import export, merge

    stack = [str(runs["identity"] / "adapter"), str(runs["style"] / "adapter")]
    report = export(config, stack, tmp_path)
    ids = torch.tensor([[1, 9690, 198, 67, 2, 198, 1, 4093, 198, 6004, 2]])
    merged = AutoModelForCausalLM.from_pretrained(report["hf_model"])
    gguf = AutoModelForCausalLM.from_pretrained(str(tmp_path), gguf_file="model.gguf")
    stacked, _ = merge(config, stack)
    with torch.no_grad():
        expected = stacked(ids).logits
        assert torch.allclose(merged(ids).logits, expected, atol=1e-3)
        assert (gguf(ids).logits - expected).abs().max() < 0.2  # F16 weights
    modelfile = (tmp_path / "Modelfile").read_text()
    assert modelfile.startswith("FROM ./model.gguf") and "You are Ada Berg" in modelfile


def test_auto_precision_is_bf16_only_where_bf16_is_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    import persona.model as pm

    monkeypatch.setattr(pm, "cpu_has_amx", lambda: False)  # AVX512-BF16 without AMX: bf16 measured 1.85x slower
    assert pm.pick_precision("auto", "cpu") == "fp32" and pm.pick_precision("bf16", "cpu") == "bf16"
    monkeypatch.setattr(pm, "cpu_has_amx", lambda: True)
    assert pm.pick_precision("auto", "cpu") == "bf16" and pm.pick_precision("fp32", "cpu") == "fp32"


def _two_rows(tokenizer):  # noqa: ANN001, ANN202
    import torch

    rows = [tokenizer(text)["input_ids"] for text in ("My starter is called Gunnar.", "I moved to Bergen last spring, it rains.")]
    width = max(map(len, rows))
    return torch.tensor([r + [0] * (width - len(r)) for r in rows]), [len(r) for r in rows]


def test_frozen_layer_cache_runs_the_lower_layers_once_and_matches(config: Config, tokenizer) -> None:  # noqa: ANN001
    import torch

    from persona.model import base_copy
    from persona.prefix import make_cache

    model, _ = base_copy(config)
    ids, lengths = _two_rows(tokenizer)
    cache = make_cache(model, boundary=15, budget=10**8, probe_ids=ids)
    assert cache.stats.enabled, cache.stats.reason
    calls: list[int] = []
    model.model.layers[0].register_forward_hook(lambda *_: calls.append(0))
    model.model.layers[15].register_forward_hook(lambda *_: calls.append(15))
    with torch.no_grad():
        first = cache.decode(["a", "b"], ids, lengths)
        second = cache.decode(["a", "b"], ids, lengths)
        normal = model.model(input_ids=ids).last_hidden_state
    assert calls == [0, 15, 15, 0, 15]  # lower layers once (the first decode) and once more for `normal`
    assert cache.stats.hits == 2 and cache.stats.examples == 2
    for i, n in enumerate(lengths):  # padding positions may differ; real tokens must not
        assert torch.allclose(first[i, :n], normal[i, :n], atol=1e-4)
        assert torch.allclose(second[i, :n], first[i, :n], atol=1e-5)
    one = lengths[0] * model.config.hidden_size * 4
    small = make_cache(model, boundary=15, budget=one, probe_ids=ids)
    small.decode(["a", "b"], ids, lengths)
    assert small.stats.examples == 1 and small.stats.full_budget and small.stats.bytes <= one


def test_frozen_layer_cache_stays_off_where_the_split_does_not_match(config: Config, tokenizer) -> None:  # noqa: ANN001
    from persona.model import base_copy
    from persona.prefix import make_cache

    model, _ = base_copy(config)
    ids, _ = _two_rows(tokenizer)

    def scale_embeddings(module, args, kwargs):  # noqa: ANN001, ANN202 - what e.g. Gemma's decoder does
        if kwargs.get("inputs_embeds") is not None:
            kwargs["inputs_embeds"] = kwargs["inputs_embeds"] * 2.0
        return args, kwargs

    model.model.register_forward_pre_hook(scale_embeddings, with_kwargs=True)
    cache = make_cache(model, boundary=15, budget=10**8, probe_ids=ids)
    assert not cache.stats.enabled and "does not match" in cache.stats.reason
    assert not make_cache(model, boundary=0, budget=10**8, probe_ids=ids).stats.enabled


def test_training_with_the_cache_gives_the_same_losses(config: Config, data_dir: Path, tmp_path: Path) -> None:
    from persona.trainer import train

    rows, stats = {}, {}
    for name, budget in (("off", 0.0), ("on", -1.0)):
        opts = TrainOptions(phase="style", max_steps=4, **dict(FAST, prefix_cache_gb=budget, eval_every=2))
        stats[name] = train(config, data_dir, tmp_path / name, opts, progress=False)["prefix_cache"]
        rows[name] = [json.loads(line) for line in (tmp_path / name / "metrics.jsonl").read_text().splitlines()]
    assert not stats["off"]["enabled"] and "budget" in stats["off"]["reason"]
    assert stats["on"]["enabled"] and stats["on"]["boundary"] == 15
    assert stats["on"]["hits"] == 3 * 2 + 1  # epochs 2-4 of both train pairs, the second eval of the test pair
    assert len(rows["off"]) == len(rows["on"]) == 6
    for off, on in zip(rows["off"], rows["on"]):
        key = "loss" if "loss" in off else "eval_loss"
        assert on[key] == pytest.approx(off[key], rel=1e-4, abs=1e-5)
