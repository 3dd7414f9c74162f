"""`twin train data | lora | export | eval`: a typer sub-app the main CLI mounts as `train`."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Optional

import typer

from cmdline.errors import fail
from cmdline.options import ConfigOpt, HomeOpt
from persona.options import TrainOptions
from twin.config import load_config
from twin.offline import apply

_OPT = TrainOptions()  # the one place training defaults live; the CLI shows and passes them

app = typer.Typer(help="Make a persona adapter: notes → Q&A set → LoRA (identity + style) → export.",
                  no_args_is_help=True)



def _config(config: Optional[Path], home: Optional[Path]):  # noqa: ANN202 - Config, imported lazily

    apply()

    return load_config(config, str(home) if home else None)


def _check_adapters(adapters: list[Path], flag: str) -> None:
    """Each adapter folder is a peft adapter with weights (cheap file checks, before a model loads)."""
    from backends.errors import BackendError
    from backends.sources import check_adapter_dir

    for adapter in adapters:
        try:
            check_adapter_dir(str(adapter))
        except BackendError as exc:
            fail(f"{flag}: {exc}")


def _check_base_adapter(base_adapter: Optional[Path], phase: str) -> None:
    """--base-adapter is a peft adapter and the phase uses it: --phase both stacks style on the
    identity adapter it has just trained and --phase identity trains on the plain model, so there
    it would be dropped without a word."""
    if base_adapter is None:
        return
    if phase != "style":
        fail("--base-adapter works with --phase style only (--phase both stacks style on the identity adapter "
             "it trains first; --phase identity trains on the plain model)")
    _check_adapters([base_adapter], "--base-adapter")


def _resume_note(name: str, run_dir: Path) -> None:
    """Say on stderr what --resume does with ``run_dir``, before any model loads: a finished run is
    kept as it is, a run without a checkpoint (a mistyped --out, say) trains from step 0."""
    from persona.trainer import finished_summary, latest_checkpoint

    done = finished_summary(run_dir)
    checkpoint = latest_checkpoint(run_dir)
    if done is not None:
        note = (f"{run_dir} already finished at step {done.get('steps')}; --resume keeps it as it is "
                "(give a new --out to train again)")
    elif checkpoint is None:
        note = f"no checkpoint in {run_dir / 'checkpoints'} to resume from; training from step 0"
    else:
        note = f"resuming from {checkpoint}"
    typer.echo(f"{name}: {note}", err=True)


def _check_writable_file(path: Optional[Path], flag: str) -> None:
    """``path`` can be written when the command ends: its folder exists and is writable, and it is
    not a folder itself (checked first, so that a long run does not end in an unwritable path)."""
    if path is None:
        return
    folder = path.expanduser().absolute().parent
    if path.is_dir():
        fail(f"{flag} {path} is a folder; give a file name")
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        fail(f"{flag} {path}: the folder {folder} does not exist or is not writable")


def _check_writable_folder(path: Path, flag: str) -> None:
    """``path`` is a writable folder or can be created as one (nothing is created here): checked
    before the work, so that it does not end in an unwritable path."""
    existing = path.expanduser().absolute()
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        fail(f"{flag} {path}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        fail(f"{flag} {path}: cannot write in {existing}")


@app.command("data")
def data_cmd(
    notes_dir: Optional[Path] = typer.Argument(None, help="notes folder (default: kb.notes_dir from the config)"),
    out: Path = typer.Option(Path("runs/persona-data"), "--out", help="folder for train/test JSONL and the data card"),
    teacher: str = typer.Option("extractive", help="extractive | llm (the base model in the config) | both"),
    paraphrases: int = typer.Option(10, help="training phrasings per fact"),
    held_out: int = typer.Option(2, help="extra phrasings per fact kept for testing only"),
    threshold: int = typer.Option(6, help="drop pairs whose grounding or style score (1-10) is below this"),
    context_share: float = typer.Option(0.35, help="share of examples with retrieved notes in the prompt"),
    counterfactual_share: float = typer.Option(0.15, help="share with an updated note that contradicts an older one"),
    transcripts: list[Path] = typer.Option([], "--transcripts", help="`Speaker: text` dialogue files or folders"),
    seed: int = typer.Option(0),
    home: HomeOpt = None, config: ConfigOpt = None,
) -> None:
    """Write a chat-format SFT set (train.jsonl, test.jsonl) and a data card from public notes."""
    from persona.dataset import DataOptions, build, save

    cfg = _config(config, home)
    folder = notes_dir or (Path(cfg.kb.notes_dir) if cfg.kb.notes_dir else None)
    if folder is None or not folder.is_dir():
        fail(f"notes folder not found: {folder} (pass it as an argument or set kb.notes_dir)")
    missing = [t for t in transcripts if not t.exists()]
    if missing:
        fail(f"--transcripts {missing[0]}: no such file or folder")
    opts = DataOptions(teacher=teacher, paraphrases=paraphrases, held_out=held_out, threshold=threshold,
                       context_share=context_share, counterfactual_share=counterfactual_share,
                       transcripts=[str(t) for t in transcripts], seed=seed)
    teacher_model = None
    if teacher in ("llm", "both"):
        from backends.factory import chat_model

        def teacher_model():  # noqa: ANN202
            return chat_model(cfg.base, cfg.home_path, with_adapters=False)
    try:
        opts.validate()
    except ValueError as exc:
        fail(str(exc))
    _check_writable_folder(out, "--out")
    try:
        built = build(cfg, folder, opts, teacher_model)
    except ValueError as exc:
        fail(str(exc))
    try:
        paths = save(built, out)
    except OSError as exc:
        fail(f"cannot write the data set to {out}: {exc.strerror or exc}", code=1)
    counts = built.card["counts"]
    typer.echo(f"{counts['facts']} facts → {counts['train']} train / {counts['test']} test examples")
    typer.echo(f"data card: {paths['card_md']}")


@app.command("lora")
def lora_cmd(
    data_dir: Path = typer.Argument(Path("runs/persona-data"), help="folder from `twin train data`"),
    out: Path = typer.Option(Path("runs/persona-lora"), "--out", help="run folder (phase both: <out>/identity, <out>/style)"),
    phase: str = typer.Option("both", help="identity | style | both (style on top of the frozen identity adapter)"),
    base_adapter: Optional[Path] = typer.Option(None, help="--phase style only: the adapter to stack on, frozen"),
    rank: int = typer.Option(0, help="LoRA rank (0 = phase default: identity 4, style 16)"),
    alpha: int = typer.Option(0, help="LoRA alpha (0 = 2 x rank)"),
    dropout: float = typer.Option(_OPT.dropout, help="LoRA dropout (on CPU it costs ~25% of each step)"),
    target_modules: str = typer.Option("q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj"),
    layer_share: float = typer.Option(_OPT.layer_share, help="LoRA on the top share of decoder layers (1.0 = all); "
                                                "the backward pass stops below them"),
    lr: float = typer.Option(0.0, help="learning rate (0 = phase default)"),
    epochs: float = typer.Option(_OPT.epochs),
    max_steps: int = typer.Option(0, help="> 0 overrides --epochs"),
    batch_size: int = typer.Option(_OPT.batch_size, help="examples per forward pass (memory bound)"),
    grad_accum: int = typer.Option(_OPT.grad_accum, help="forward passes per optimizer step"),
    max_tokens: int = typer.Option(_OPT.max_tokens, help="examples longer than this are skipped, never cut"),
    grad_checkpointing: bool = typer.Option(False),
    eval_every: int = typer.Option(_OPT.eval_every, help="optimizer steps between eval-loss passes"),
    save_every: int = typer.Option(_OPT.save_every),
    patience: int = typer.Option(_OPT.patience, help="early stop after this many evals without improvement (0 = never)"),
    identity_share: float = typer.Option(-1.0, help="share of questions with a 'Hey <name>, ' prefix (-1 = phase default)"),
    device: str = typer.Option("auto", help="auto | cpu | cuda | mps"),
    precision: str = typer.Option("auto", help="auto (bf16 on GPUs and on CPUs with AMX; else fp32) | fp32 | bf16"),
    limit: int = typer.Option(0, help="use only the first N training examples"),
    prefix_cache_gb: float = typer.Option(_OPT.prefix_cache_gb, help="RAM for the frozen lower layers' output per "
                                          "example, so later epochs skip them (-1 = up to 1/4 of free RAM, 0 = off)"),
    resume: bool = typer.Option(False, help="continue from the latest checkpoint in --out (from step 0 without one; "
                                "a finished run is kept as it is)"),
    seed: int = typer.Option(0),
    home: HomeOpt = None, config: ConfigOpt = None,
) -> None:
    """Train LoRA adapter(s) on assistant tokens only; prints where to point persona.adapters."""
    from persona.memory import MemoryError_
    from persona.trainer import train

    cfg = _config(config, home)
    phases = ["identity", "style"] if phase == "both" else [phase]
    if phase not in ("identity", "style", "both"):
        fail("phase must be identity, style or both")
    _check_base_adapter(base_adapter, phase)
    _check_writable_folder(out, "--out")
    adapters: list[str] = [str(base_adapter)] if base_adapter else []
    for name in phases:
        opts = TrainOptions(
            phase=name, rank=rank, alpha=alpha, dropout=dropout, layer_share=layer_share, lr=lr, epochs=epochs, max_steps=max_steps,
            target_modules=[m.strip() for m in target_modules.split(",") if m.strip()], batch_size=batch_size,
            grad_accum=grad_accum, max_tokens=max_tokens, grad_checkpointing=grad_checkpointing,
            eval_every=eval_every, save_every=save_every, patience=patience, identity_share=identity_share,
            device=device, precision=precision, limit=limit, seed=seed, prefix_cache_gb=prefix_cache_gb,
            base_adapter=adapters[-1] if adapters else "",
        )
        if name == "identity":
            opts.base_adapter = ""
        run_dir = out / name if phase == "both" else out
        if resume:
            _resume_note(name, run_dir)
        try:
            summary = train(cfg, data_dir, run_dir, opts, resume=resume)
        except (ValueError, FileNotFoundError, FileExistsError, MemoryError_) as exc:
            fail(str(exc))
        adapters.append(summary["adapter"])
        typer.echo(f"{name}: {summary['steps']} steps, {summary['sec_per_step']} s/step, best eval loss "
                   f"{summary['best_eval_loss']:.4f}, adapter {summary['adapter_bytes'] / 1e6:.1f} MB → {summary['adapter']}")
    typer.echo("use it: in twin.toml set\n[persona]\nadapters = " + json.dumps(adapters))


@app.command("export")
def export_cmd(
    adapters: list[Path] = typer.Argument(..., help="adapter folders, stacked in order"),
    out: Path = typer.Option(Path("runs/persona-export"), "--out"),
    gguf: bool = typer.Option(True, help="also write model.gguf + Modelfile for Ollama (Llama-family models)"),
    home: HomeOpt = None, config: ConfigOpt = None,
) -> None:
    """Merge adapters into a standalone HF model folder (+ GGUF and an Ollama Modelfile)."""
    from persona.export import export

    cfg = _config(config, home)
    _check_adapters(adapters, "adapters")
    _check_writable_folder(out, "--out")
    try:
        report = export(cfg, [str(a) for a in adapters], out, gguf=gguf)
    except (ValueError, FileNotFoundError) as exc:
        fail(str(exc))
    for key, value in report.items():
        typer.echo(f"{key}: {value}")


@app.command("eval")
def eval_cmd(
    data_dir: Path = typer.Argument(Path("runs/persona-data"), help="folder from `twin train data`"),
    adapters: list[Path] = typer.Option([], "--adapter", help="adapter folder(s) to evaluate, stacked"),
    plain: list[Path] = typer.Option([], "--plain", help="a plain (not context-faithful) adapter to compare"),
    conflict_nq: Optional[Path] = typer.Option(None, help="conflict_nq_val.jsonl for the fake-passage test"),
    limit: int = typer.Option(60, help="questions per test"),
    out: Optional[Path] = typer.Option(None, help="write the results JSON here"),
    home: HomeOpt = None, config: ConfigOpt = None,
) -> None:
    """Fact recall on unseen phrasings and knowledge-conflict rates: base vs adapter(s)."""
    from persona.evaluate import run_all

    cfg = _config(config, home)
    for name in ("facts.jsonl", "data_card.json"):
        if not (data_dir / name).is_file():
            fail(f"{data_dir / name} not found; give the folder `twin train data` wrote")
    _check_adapters(adapters, "--adapter")
    _check_adapters(plain, "--plain")
    if conflict_nq is not None and not conflict_nq.is_file():
        fail(f"--conflict-nq {conflict_nq}: file not found")
    _check_writable_file(out, "--out")
    results = run_all(cfg, data_dir, [str(a) for a in adapters], [str(p) for p in plain], conflict_nq, limit)
    text = json.dumps(results, indent=2)
    typer.echo(text)
    if out:
        try:
            out.write_text(text, encoding="utf-8")
        except OSError as exc:
            fail(f"cannot write {out}: {exc.strerror or exc} (the results are printed above)", code=1)
