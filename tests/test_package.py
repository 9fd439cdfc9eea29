"""The generated package stands alone and answers to one name, so Numba's cache of its kernels stays valid.

Numba caches a compiled kernel under the name of the module it was compiled in. A package that could be
imported under two names (``trainspec``, and ``generated`` from the repository root) would leave a cache that
the other name cannot load: ``ModuleNotFoundError: No module named 'generated'`` on the next call.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

from helpers import REPO

from codegen.cli import main

_STEP = """
import numpy as np
from trainspec import Adam
params = [np.zeros(4)]
Adam().apply([np.ones(4)], params)  # float64: compiles or loads the float64 kernel
print(params[0][0])
"""


def _run(arguments: list[str], cwd: Path, cache: Path) -> subprocess.CompletedProcess:
    environment = {**os.environ, "NUMBA_CACHE_DIR": str(cache)}
    return subprocess.run(arguments, cwd=cwd, env=environment, capture_output=True, text=True, timeout=600)


def test_kernels_compiled_by_the_checks_load_anywhere_afterwards(tmp_path: Path) -> None:
    cache = tmp_path / "numba-cache"
    checks = _run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "generated/checks/test_adam_relations.py"],
        REPO,
        cache,
    )
    assert checks.returncode == 0, checks.stdout[-3000:]
    assert any(cache.rglob("*.nbi")), "the checks compiled no kernel into the empty cache"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    step = _run([sys.executable, "-c", _STEP], elsewhere, cache)
    assert step.returncode == 0, step.stderr[-3000:]
    assert float(step.stdout) < 0


def test_the_package_refuses_a_second_name() -> None:
    # From the repository root, generated/ is a namespace package: the generated package would load as
    # generated.trainspec if it let itself.
    result = _run([sys.executable, "-c", "import generated.trainspec"], REPO, REPO / "build" / "unused-numba-cache")
    assert result.returncode != 0
    assert "import it under that name, not 'generated.trainspec'" in result.stderr


_STANDALONE = """
import sys
sys.modules["codegen"] = None  # the generator cannot be imported: the package must not need it
sys.path.insert(0, sys.argv[1])
import numpy as np
import standalone
params = [np.ones(3, np.float32)]
standalone.SGD(learning_rate=0.5).apply([np.ones(3, np.float32)], params)
print(params[0][0], standalone.initializers.Zeros()((2,)).sum(), standalone.schedules.CosineDecay(1.0, 10)(10))
"""


def test_a_package_built_elsewhere_runs_without_the_generator(tmp_path: Path) -> None:
    """A build carries the runtime its modules import: the package needs nothing of codegen/ to run."""
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--package", "standalone"]) == 0
    result = subprocess.run(
        [sys.executable, "-c", _STANDALONE, str(out)], cwd=tmp_path, capture_output=True, text=True, timeout=600
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["0.5", "0.0", "0.0"]


def test_every_package_of_the_tree_is_listed_for_installation() -> None:
    """setuptools installs only the packages pyproject.toml lists: a new folder of the generated package or of
    the generator that is missing there would import in the repository and fail in a non-editable install."""
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    listed = set(settings["packages"])
    found = set()
    for name, folder in settings["package-dir"].items():
        for init in sorted((REPO / folder).rglob("__init__.py")):
            relative = init.parent.relative_to(REPO / folder)
            if "__pycache__" not in relative.parts:
                found.add(".".join((name, *relative.parts)))
    assert found == listed, f"unlisted: {sorted(found - listed)}; listed but absent: {sorted(listed - found)}"
