"""`twin train export`: merge stacked adapters into a standalone model, plus a GGUF and a Modelfile.

The merged Hugging Face folder works everywhere transformers does (set ``persona.model`` to it).
For Ollama, a GGUF is written with the ``gguf`` package from PyPI when the base model itself came
from a GGUF (the embedded SmolLM2 does): its metadata and tokenizer are copied and the merged
weights written as F16/F32 under the same tensor names. Other bases get the HF folder and a note
on converting it with llama.cpp.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from backends.sources import resolve_chat_source
from persona.model import base_copy
from twin.config import Config

MODELFILE_CHATML = '''FROM ./model.gguf
TEMPLATE """{{- if .System }}<|im_start|>system
{{ .System }}<|im_end|>
{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}
{{ .Content }}<|im_end|>
{{ end }}<|im_start|>assistant
"""
PARAMETER stop "<|im_end|>"
PARAMETER temperature 0
PARAMETER repeat_penalty 1.15
'''
_SKIP_KEYS = {"general.architecture", "general.file_type", "general.quantization_version"}


def merge(config: Config, adapters: list[str]) -> tuple[Any, Any]:
    """Base copy with each adapter merged in turn (LoRA deltas add, so this equals all active at once)."""
    from peft import PeftModel

    model, tokenizer = base_copy(config)
    for path in adapters:
        if not (Path(path) / "adapter_config.json").is_file():
            raise FileNotFoundError(f"not a peft adapter folder (no adapter_config.json): {path}")
        model = PeftModel.from_pretrained(model, path).merge_and_unload()
    return model, tokenizer


def export(config: Config, adapters: list[str], out_dir: Path, gguf: bool = True) -> dict[str, str]:
    if not adapters:
        raise ValueError("give at least one adapter folder to merge")
    out_dir = Path(out_dir)
    model, tokenizer = merge(config, adapters)
    hf_dir = out_dir / "hf"
    model.save_pretrained(hf_dir)
    tokenizer.save_pretrained(hf_dir)
    report = {"hf_model": str(hf_dir.resolve()), "use_it": f'[persona] model = "{hf_dir.resolve()}", adapters = []'}
    source = resolve_chat_source(config.persona.model)
    if not gguf:
        return report
    if not source.gguf_file or getattr(model.config, "model_type", "") != "llama":
        report["gguf"] = ("skipped: GGUF export is built in for Llama-family models loaded from a GGUF; convert "
                          f"{hf_dir} with llama.cpp's convert_hf_to_gguf.py")
        return report
    gguf_path = write_gguf(model, Path(source.location) / source.gguf_file, out_dir / "model.gguf")
    modelfile = write_modelfile(config, tokenizer, out_dir / "Modelfile")
    report.update(gguf=str(gguf_path.resolve()), modelfile=str(modelfile.resolve()),
                  ollama=f"cd {out_dir.resolve()} && ollama create twin-persona -f Modelfile")
    return report


def permute_qk(weight: Any, n_head: int) -> Any:
    """HF rotary layout → GGUF (llama.cpp) layout for q/k projection rows."""
    return weight.reshape(n_head, 2, weight.shape[0] // n_head // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def gguf_tensors(model: Any) -> dict[str, Any]:
    """GGUF tensor name → numpy array (F16 for matrices, F32 for norms) of the merged model."""
    import gguf
    import numpy as np

    cfg = model.config
    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, cfg.num_hidden_layers)
    out = {}
    for hf_name, tensor in model.state_dict().items():
        name = names.get_name(hf_name, try_suffixes=(".weight", ".bias"))
        if name is None:
            continue
        array = tensor.detach().float().cpu().numpy()
        if hf_name.endswith("q_proj.weight"):
            array = permute_qk(array, cfg.num_attention_heads)
        elif hf_name.endswith("k_proj.weight"):
            array = permute_qk(array, cfg.num_key_value_heads)
        out[name] = array.astype(np.float16) if array.ndim == 2 else array.astype(np.float32)
    return out


def write_gguf(model: Any, original: Path, target: Path) -> Path:
    """A GGUF with the original file's metadata (tokenizer, chat template) and the merged weights."""
    import gguf

    reader = gguf.GGUFReader(str(original))
    tensors = gguf_tensors(model)
    missing = [t.name for t in reader.tensors if t.name not in tensors]
    if missing:
        raise ValueError(f"cannot map merged weights to GGUF tensors: {missing[:3]}")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    writer = gguf.GGUFWriter(str(tmp), arch=str(reader.fields["general.architecture"].contents()))
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name in _SKIP_KEYS:
            continue
        sub = field.types[1] if len(field.types) > 1 else None
        writer.add_key_value(field.name, field.contents(), field.types[0], sub_type=sub)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensors[tensor.name])
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(target)
    return target


def write_modelfile(config: Config, tokenizer: Any, path: Path) -> Path:
    from persona.prompting import system_prompt

    template = getattr(tokenizer, "chat_template", "") or ""
    head = MODELFILE_CHATML if "<|im_start|>" in template else "FROM ./model.gguf\n"
    system = system_prompt(config.person).replace('"""', "'''")
    path.write_text(f'{head}SYSTEM """{system}"""\n', encoding="utf-8")
    return path
