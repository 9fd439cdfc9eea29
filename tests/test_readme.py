"""The README's Python examples run as a newcomer copies them: each block in a fresh interpreter, in an empty folder.

Two blocks are not programs of their own and are covered elsewhere: the spec file of "Adding or editing a method"
(tests/test_new_spec.py and tests/test_end_to_end.py build new specs) and the ZeroRedundancyOptimizer lines, which
need a process group (tests/test_torch_distributed.py runs ZeRO on two ranks). The PyTorch example loops over
``batches``, which the reader brings: a prelude gives it two small ones.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```python\n(.*?)^```", README, re.MULTILINE | re.DOTALL)
BATCHES = "batches = [(torch.randn(8, 64), torch.randint(0, 10, (8,))) for _ in range(2)]\n"


def _label(block: str) -> str:
    return next(line for line in block.splitlines() if line.strip())[:60]


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 5, "the README's ```python blocks were not found"


@pytest.mark.parametrize("block", BLOCKS, ids=_label)
def test_a_readme_example_runs_as_written(block: str, tmp_path: Path) -> None:
    if re.search(r"^SPEC = ", block, re.MULTILINE):
        pytest.skip("a spec file, not a program: tests/test_new_spec.py builds new specs")
    if "ZeroRedundancyOptimizer" in block:
        pytest.skip("needs a process group: tests/test_torch_distributed.py runs ZeRO on two ranks")
    if "import torch" in block and importlib.util.find_spec("torch") is None:
        pytest.skip("needs torch (the reference extra)")
    prelude = "import torch\n" + BATCHES if "in batches" in block else ""
    result = subprocess.run(
        [sys.executable, "-c", prelude + block], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr
