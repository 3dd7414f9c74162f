"""Training options for one LoRA phase (saved with every run as run.json)."""

from __future__ import annotations

from dataclasses import dataclass, field

PHASES = ("identity", "style")
ALL_LINEAR = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
# Phase defaults: identity = small rank, many "Hey <name>, ..." prefixes; style = larger rank, few.
PHASE_DEFAULTS = {
    "identity": {"rank": 4, "identity_share": 0.6, "lr": 3e-4},
    "style": {"rank": 16, "identity_share": 0.1, "lr": 2e-4},
}


@dataclass
class TrainOptions:
    phase: str = "style"  # identity | style (style trains on top of a frozen identity adapter, if given)
    rank: int = 0  # LoRA rank; 0 = the phase default (identity 4, style 16)
    alpha: int = 0  # LoRA alpha; 0 = 2 x rank
    dropout: float = 0.0  # LoRA dropout; on CPU a dropout mask per LoRA input cost ~25% of each step
    target_modules: list[str] = field(default_factory=lambda: list(ALL_LINEAR))
    layer_share: float = 0.5  # LoRA on the top share of decoder layers (1.0 = all); backward stops below them
    lr: float = 0.0  # 0 = the phase default
    epochs: float = 3.0
    max_steps: int = 0  # > 0 overrides epochs
    batch_size: int = 4  # examples per forward pass (memory); effective batch = batch_size x grad_accum
    grad_accum: int = 2
    max_tokens: int = 768  # longer examples are skipped (and counted), never cut
    grad_checkpointing: bool = False
    eval_every: int = 25  # optimizer steps between eval-loss measurements on the test split
    max_eval: int = 64  # test examples used for eval loss (0 = all)
    save_every: int = 50  # optimizer steps between checkpoints
    keep_checkpoints: int = 2
    patience: int = 3  # stop when eval loss has not improved for this many evals (0 = never)
    identity_share: float = -1.0  # share of questions given a "Hey <name>, " prefix; -1 = phase default
    warmup: float = 0.05  # share of steps with a linear learning-rate warm-up
    weight_decay: float = 0.0
    seed: int = 0
    device: str = "auto"  # auto | cpu | cuda | mps
    precision: str = "auto"  # auto | fp32 | bf16 (autocast; LoRA weights stay fp32)
    base_adapter: str = ""  # a frozen adapter dir to train on top of (phase 2 on phase 1)
    limit: int = 0  # use only the first N training examples (0 = all); for benchmarks
    prefix_cache_gb: float = -1.0  # keep the frozen lower layers' output per example (-1 = up to 1/4 of free RAM; 0 = off)
    max_memory_gb: float = 0.0  # refuse to start above this estimate; 0 = what the machine has free

    def resolved(self) -> TrainOptions:
        if self.phase not in PHASES:
            raise ValueError(f"phase {self.phase!r} is not allowed; choose one of: {', '.join(PHASES)}")
        defaults = PHASE_DEFAULTS[self.phase]
        self.rank = self.rank or defaults["rank"]
        self.alpha = self.alpha or 2 * self.rank
        self.lr = self.lr or defaults["lr"]
        if self.identity_share < 0:
            self.identity_share = defaults["identity_share"]
        for name in ("batch_size", "grad_accum", "max_tokens", "eval_every", "save_every"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name.replace('_', '-')} must be >= 1")
        if not 0.0 < self.layer_share <= 1.0:
            raise ValueError("layer-share must be in (0, 1]: the share of decoder layers, counted from the top")
        if self.precision not in ("auto", "fp32", "bf16"):
            raise ValueError("precision must be auto, fp32 or bf16")
        return self
