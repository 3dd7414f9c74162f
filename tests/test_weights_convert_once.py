"""The GGUF is de-quantized by one process at a time: processes that start together (two
`twin serve` replicas, two test workers) wait for the first one's copy instead of converting too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

# The conversion itself is swapped for a slow stand-in that writes the folder's config.json and
# logs who ran it: what is tested here is who converts, not transformers' de-quantizing.
CHILD = """
import sys, time
from pathlib import Path
import backends.weights as w
from backends.sources import embedded_chat_source

def fake_convert(source, target, dtype):
    with open(sys.argv[1], "a") as log:
        log.write("converted\\n")
    time.sleep(1.0)
    target.mkdir(parents=True, exist_ok=True)
    (target / "config.json").write_text("{}")

w._convert_gguf = fake_convert
print(w._converted_once(embedded_chat_source(), Path(sys.argv[2]), "float32"))
"""


def test_processes_starting_together_convert_once(tmp_path: Path) -> None:
    log = tmp_path / "conversions.log"
    env = {"TWIN_MODEL_CACHE": str(tmp_path / "cache"), "PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}
    children = [subprocess.Popen([sys.executable, "-c", CHILD, str(log), str(tmp_path / f"home{i}")],
                                 env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for i in range(3)]
    outputs = [child.communicate(timeout=120) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    assert log.read_text().splitlines() == ["converted"], "one process converted, the others waited for it"
    paths = {out.strip() for out, _ in outputs}
    assert len(paths) == 1 and (Path(paths.pop()) / "config.json").is_file()
