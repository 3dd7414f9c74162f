"""One LoRA training phase: SFT on assistant tokens, eval loss, early stop, checkpoints, resume.

Run directory layout (``out_dir``)::

    run.json          options, data files, model, device (written at start)
    metrics.jsonl     one line per step (loss, lr, seconds) and per eval (eval_loss)
    adapter/          the best adapter so far (peft save_pretrained) - what the generator loads; replaced
                      whole (written to adapter.tmp/, then renamed), never rewritten in place
    checkpoints/      step-NNNNNN/ adapter + trainer_state.pt, for --resume
    loss_curve.png    train and eval loss
    summary.json      steps, time per step, tokens, peak memory, adapter size, early stop, frozen-layer cache
"""

from __future__ import annotations

import json
import math
import random
import resource
import shutil
import time
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from persona.encoding import Encoded, collate, encode
from persona.extractive import templates
from persona.memory import GIB, available, check, estimate
from persona.model import (
    TRAIN_ADAPTER,
    base_copy,
    decoder_layers,
    pick_device,
    pick_precision,
    set_precision,
    target_loss,
    top_layers,
    trainable_count,
    with_adapters,
)
from persona.options import TrainOptions
from persona.plot import loss_curve
from persona.prefix import CacheStats, PrefixCache, make_cache
from persona.records import Example, read_examples
from twin.config import Config
from twin.jsonl import append_jsonl


@dataclass
class TrainState:
    step: int = 0
    best: float = math.inf
    bad_evals: int = 0
    stopped_early: bool = False
    seconds: float = 0.0
    tokens: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


@dataclass
class Prepared:
    train: list[Encoded]
    test: list[Encoded]
    skipped: int


# -- data -------------------------------------------------------------------------------
def identity_prefixed(examples: list[Example], person: str, share: float, seed: int) -> list[Example]:
    """Put "Hey <name>, ..." in front of a share of questions (phase 1 learns who it is)."""
    prefixes = [p.format(who=person.split()[0]) for p in templates()["identity_prefixes"]["p"]]
    rng = random.Random(seed)
    out = []
    for ex in examples:
        question = ex.meta.get("question", "")
        if question and rng.random() < share and question in ex.messages[-2]["content"]:
            asked = question[0].lower() + question[1:] if question[1:2].islower() else question
            messages = [dict(m) for m in ex.messages]
            messages[-2]["content"] = messages[-2]["content"].replace(question, rng.choice(prefixes) + asked, 1)
            ex = Example(messages=messages, kind=ex.kind, split=ex.split, fact_key=ex.fact_key, fact=ex.fact,
                         note=ex.note, meta={**ex.meta, "identity_prefix": True})
        out.append(ex)
    return out


def prepare(config: Config, data_dir: Path, tokenizer: Any, opts: TrainOptions) -> Prepared:
    train_rows = read_examples(Path(data_dir) / "train.jsonl")
    test_path = Path(data_dir) / "test.jsonl"
    test_rows = read_examples(test_path) if test_path.is_file() else []
    if opts.limit:
        train_rows = train_rows[: opts.limit]
    train_rows = identity_prefixed(train_rows, config.person, opts.identity_share, opts.seed)
    if opts.max_eval:
        test_rows = random.Random(opts.seed).sample(test_rows, min(opts.max_eval, len(test_rows)))
    enc_train = [encode(tokenizer, ex.messages, opts.max_tokens) for ex in train_rows]
    enc_test = [encode(tokenizer, ex.messages, opts.max_tokens) for ex in test_rows]
    skipped = sum(e is None for e in enc_train + enc_test)
    train = [e for e in enc_train if e is not None and e.target_tokens]
    if not train:
        raise ValueError(f"no usable training examples in {data_dir}/train.jsonl "
                         f"({len(train_rows)} rows, {skipped} longer than --max-tokens {opts.max_tokens})")
    return Prepared(train=train, test=[e for e in enc_test if e is not None and e.target_tokens], skipped=skipped)


def batch_order(lengths: list[int], batch: int, epoch: int, seed: int, pool: int = 32) -> list[list[int]]:
    """Batches of similar length, in a seeded random order per epoch (deterministic, so resume is exact).

    Shuffle, sort each pool of ``pool`` batches by length, cut it into batches, then shuffle the batches:
    right-padding to the longest row then wastes little (random batches padded ~33% of all tokens).
    """
    rng = random.Random(seed * 1000 + epoch)
    order = list(range(len(lengths)))
    rng.shuffle(order)
    span = batch * pool
    batches = []
    for start in range(0, len(order), span):
        chunk = sorted(order[start : start + span], key=lambda i: lengths[i])
        batches += [chunk[i : i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(batches)
    return batches


# -- run directory ----------------------------------------------------------------------
def adapter_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.glob("adapter_model*"))


def checkpoints(out_dir: Path) -> list[Path]:
    """The finished checkpoints, oldest first: ``step-NNNNNN`` folders holding trainer_state.pt (a
    ``.tmp`` folder that Ctrl-C left half-written mid-save is not one)."""
    found = (out_dir / "checkpoints").glob("step-*")
    return sorted(p for p in found if p.name[5:].isdigit() and (p / "trainer_state.pt").is_file())


def latest_checkpoint(out_dir: Path) -> Path | None:
    found = checkpoints(out_dir)
    return found[-1] if found else None


def finished_summary(out_dir: Path) -> dict[str, Any] | None:
    """The summary of a run that reached its end (``summary.json`` is written last), or None: what
    --resume keeps as it is rather than retrain from its last checkpoint."""
    try:
        summary = json.loads((out_dir / "summary.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return summary if isinstance(summary, dict) and "adapter" in summary else None


def start_fresh(out_dir: Path) -> None:
    """A run that does not resume drops what an earlier, unfinished run in ``out_dir`` left: its
    metrics and its checkpoints (kept, they outranked the new run's in pruning and a later
    --resume continued the old run, with its options, instead of this one)."""
    (out_dir / "metrics.jsonl").unlink(missing_ok=True)
    for old in (out_dir / "checkpoints").glob("step-*"):  # only the trainer's own: the folder may hold others
        shutil.rmtree(old, ignore_errors=True)


def save_adapter(model: Any, out_dir: Path) -> None:
    """Replace ``out_dir/adapter`` with the trained adapter, whole or not at all: written to
    ``adapter.tmp`` first and renamed into place, so that Ctrl-C or a full disk mid-write leaves
    the previous good adapter (what `twin ask` loads) instead of a config beside partial weights."""
    target = out_dir / "adapter"
    tmp, old = target.with_name("adapter.tmp"), target.with_name("adapter.old")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, selected_adapters=[TRAIN_ADAPTER])
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def restore_adapter(out_dir: Path) -> None:
    """Put back the previous adapter when a run stopped between the two renames of `save_adapter`
    (``adapter.old`` kept, ``adapter`` not there yet), and drop a half-written ``adapter.tmp``."""
    old = out_dir / "adapter.old"
    if old.is_dir() and not (out_dir / "adapter").exists():
        old.rename(out_dir / "adapter")
    shutil.rmtree(out_dir / "adapter.tmp", ignore_errors=True)


def save_checkpoint(model: Any, optimizer: Any, scheduler: Any, state: TrainState, out_dir: Path, keep: int) -> None:
    import torch

    target = out_dir / "checkpoints" / f"step-{state.step:06d}"
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save_pretrained(tmp, selected_adapters=[TRAIN_ADAPTER])
    torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "state": asdict(state),
                "rng": torch.get_rng_state()}, tmp / "trainer_state.pt")
    shutil.rmtree(target, ignore_errors=True)
    tmp.rename(target)
    for old in checkpoints(out_dir)[:-keep]:
        shutil.rmtree(old, ignore_errors=True)


def load_checkpoint(model: Any, optimizer: Any, scheduler: Any, path: Path) -> TrainState:
    import torch
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    weights = load_file(str(path / "adapter_model.safetensors"))
    set_peft_model_state_dict(model, weights, adapter_name=TRAIN_ADAPTER)
    saved = torch.load(path / "trainer_state.pt", weights_only=False)
    optimizer.load_state_dict(saved["optimizer"])
    scheduler.load_state_dict(saved["scheduler"])
    torch.set_rng_state(saved["rng"])
    return TrainState(**saved["state"])


def log(out_dir: Path, row: dict[str, Any]) -> None:
    append_jsonl(out_dir / "metrics.jsonl", row)


# -- loop -------------------------------------------------------------------------------
def batch_loss(model: Any, rows: list[Encoded], keys: list[tuple[str, int]], pad: int, device: str,
               cache: PrefixCache | None) -> tuple[Any, dict[str, Any]]:
    """Loss on one right-padded batch; with a cache the frozen lower layers run once per example."""
    batch = {k: v.to(device) for k, v in collate(rows, pad).items()}
    hidden = cache.decode(keys, batch["input_ids"], [len(e.input_ids) for e in rows]) if cache else None
    return target_loss(model, batch, hidden), batch


def eval_loss(model: Any, rows: list[Encoded], batch: int, pad: int, device: str, autocast: Any,
              cache: PrefixCache | None = None) -> float:
    import torch

    if not rows:
        return math.nan
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].input_ids))  # similar lengths: little padding
    with torch.no_grad():
        for start in range(0, len(order), batch):
            ids = order[start : start + batch]
            part = [rows[i] for i in ids]
            n = sum(e.target_tokens for e in part)
            with autocast():
                total += float(batch_loss(model, part, [("test", i) for i in ids], pad, device, cache)[0]) * n
            count += n
    model.train()
    return total / count


def prefix_cache(model: Any, opts: TrainOptions, data: Prepared, pad: int, device: str) -> PrefixCache:
    """The frozen-layer cache for this run (``stats.enabled`` False, with a reason, when it cannot be used)."""
    layers = top_layers(decoder_layers(model), opts.layer_share)
    boundary = layers[0] if layers else 0
    budget = int(available("cpu") / 4 if opts.prefix_cache_gb < 0 else opts.prefix_cache_gb * GIB)
    probe = collate(data.train[:2], pad)["input_ids"].to(device)
    return make_cache(model, boundary, budget, probe)


def train(config: Config, data_dir: Path, out_dir: Path, opts: TrainOptions, resume: bool = False,
          progress: bool = True, on_step: Callable[[TrainState], None] | None = None) -> dict[str, Any]:
    """Train one adapter phase into ``out_dir``; returns the summary (also written to summary.json).
    ``resume``: continue from the latest checkpoint, from step 0 without one; a finished run is
    returned as it is."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    opts.resolved()
    done = finished_summary(Path(out_dir)) if resume else None
    if done is not None:  # retraining its last steps would log them twice and replace the kept adapter
        return done
    if not (Path(data_dir) / "train.jsonl").is_file():
        raise FileNotFoundError(f"training data not found: {Path(data_dir) / 'train.jsonl'} (run `twin train data` first)")
    out_dir = Path(out_dir)
    if (out_dir / "summary.json").exists() and not resume:
        raise FileExistsError(f"{out_dir} already holds a finished run; pick a new --out or pass --resume")
    out_dir.mkdir(parents=True, exist_ok=True)
    restore_adapter(out_dir)
    torch.manual_seed(opts.seed)
    device = pick_device(opts.device)
    precision = pick_precision(opts.precision, device)
    model, tokenizer = base_copy(config)
    data = prepare(config, data_dir, tokenizer, opts)
    model = with_adapters(model, opts)
    set_precision(model, precision)
    n_params, n_train = trainable_count(model)
    longest = max(len(e.input_ids) for e in data.train)
    width = 2 if precision == "bf16" else 4
    check(estimate(model.config, n_params, n_train, opts.batch_size, longest, width, opts.grad_checkpointing),
          device, opts.max_memory_gb)
    model.to(device)
    if opts.grad_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
        model.enable_input_require_grads()
    model.train()
    pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
    per_epoch = math.ceil(len(data.train) / opts.batch_size)
    total_steps = opts.max_steps or max(1, math.ceil(opts.epochs * per_epoch / opts.grad_accum))
    params = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(params, lr=opts.lr, weight_decay=opts.weight_decay)
    scheduler = get_linear_schedule_with_warmup(optimizer, int(opts.warmup * total_steps), total_steps)
    checkpoint = latest_checkpoint(out_dir) if resume else None
    state = load_checkpoint(model, optimizer, scheduler, checkpoint) if checkpoint else TrainState()
    if not checkpoint:
        start_fresh(out_dir)
    write_run(out_dir, config, data_dir, opts, device, precision, data, n_params, n_train, total_steps)

    def autocast() -> Any:  # GPUs: bf16 autocast (LoRA math too); CPU: bf16 frozen weights only (faster there)
        if precision == "bf16" and not device.startswith("cpu"):
            return torch.autocast(device_type=device.split(":")[0], dtype=torch.bfloat16)
        return nullcontext()

    lengths = [len(e.input_ids) for e in data.train]
    orders: dict[int, list[list[int]]] = {}
    prefix = prefix_cache(model, opts, data, pad, device)
    cache = prefix if prefix.stats.enabled else None

    from persona.progress import StepProgress

    with StepProgress(total_steps, state.step, enabled=progress, label=f"lora {opts.phase}") as bar:
        stats = prefix.stats
        bar.note(f"layers below {stats.boundary} are frozen: they run once per example, then come from a cache"
                 if stats.enabled else f"frozen-layer cache off: {stats.reason}")
        while state.step < total_steps and not state.stopped_early:
            started = time.perf_counter()
            loss_sum = 0.0
            for micro in range(opts.grad_accum):
                index = state.step * opts.grad_accum + micro
                epoch, pos = divmod(index, per_epoch)
                if epoch not in orders:
                    orders[epoch] = batch_order(lengths, opts.batch_size, epoch, opts.seed)
                ids = orders[epoch][pos]
                with autocast():
                    loss, batch = batch_loss(model, [data.train[i] for i in ids], [("train", i) for i in ids],
                                             pad, device, cache)
                    loss = loss / opts.grad_accum
                loss.backward()
                loss_sum += float(loss.detach())
                state.tokens += int(batch["attention_mask"].sum())
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            state.step += 1
            seconds = time.perf_counter() - started
            state.seconds += seconds
            row = {"step": state.step, "loss": loss_sum, "lr": scheduler.get_last_lr()[0], "sec": seconds}
            state.history.append(row)
            log(out_dir, row)
            bar.advance(loss_sum)
            if state.step % opts.eval_every == 0 or state.step == total_steps:
                evaluate_and_keep(model, data, opts, pad, device, autocast, state, out_dir, bar, cache)
            if state.step % opts.save_every == 0 and state.step < total_steps:
                save_checkpoint(model, optimizer, scheduler, state, out_dir, opts.keep_checkpoints)
            if on_step:
                on_step(state)
    return finish(model, state, out_dir, data, device, prefix.stats)


def evaluate_and_keep(model: Any, data: Prepared, opts: TrainOptions, pad: int, device: str, autocast: Any,
                      state: TrainState, out_dir: Path, bar: Any, cache: PrefixCache | None = None) -> None:
    loss = eval_loss(model, data.test, opts.batch_size, pad, device, autocast, cache)
    row = {"step": state.step, "eval_loss": loss}
    state.history.append(row)
    log(out_dir, row)
    bar.note(f"eval loss {loss:.4f}" if not math.isnan(loss) else "no test split: eval skipped")
    if math.isnan(loss) or loss < state.best - 1e-4:
        state.best = loss if not math.isnan(loss) else state.best
        state.bad_evals = 0
        save_adapter(model, out_dir)
        return
    state.bad_evals += 1
    if opts.patience and state.bad_evals >= opts.patience:
        state.stopped_early = True
        bar.note(f"early stop: eval loss has not improved for {state.bad_evals} evals")


def write_run(out_dir: Path, config: Config, data_dir: Path, opts: TrainOptions, device: str, precision: str,
              data: Prepared, n_params: int, n_train: int, total_steps: int) -> None:
    run = {"options": asdict(opts), "data_dir": str(Path(data_dir).resolve()), "model": config.persona.model,
           "person": config.person, "device": device, "precision": precision, "train_examples": len(data.train),
           "test_examples": len(data.test), "skipped_too_long": data.skipped, "params": n_params,
           "trainable_params": n_train, "total_steps": total_steps}
    (out_dir / "run.json").write_text(json.dumps(run, indent=2), encoding="utf-8")


def peak_memory_mb(device: str) -> float:
    if device.startswith("cuda"):
        import torch

        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def finish(model: Any, state: TrainState, out_dir: Path, data: Prepared, device: str,
           cache: CacheStats | None = None) -> dict[str, Any]:
    if not (out_dir / "adapter" / "adapter_config.json").is_file():
        save_adapter(model, out_dir)
    steps = [r for r in state.history if "loss" in r]
    summary = {
        "steps": state.step, "stopped_early": state.stopped_early, "best_eval_loss": state.best,
        "first_loss": steps[0]["loss"] if steps else None, "last_loss": steps[-1]["loss"] if steps else None,
        "train_seconds": round(state.seconds, 2), "sec_per_step": round(state.seconds / max(1, state.step), 3),
        "tokens": state.tokens, "train_examples": len(data.train), "peak_memory_mb": round(peak_memory_mb(device), 1),
        "adapter_bytes": adapter_bytes(out_dir / "adapter"), "adapter": str((out_dir / "adapter").resolve()),
        "device": device, "prefix_cache": asdict(cache) if cache else None,
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    loss_curve(state.history, out_dir / "loss_curve.png")
    return summary
