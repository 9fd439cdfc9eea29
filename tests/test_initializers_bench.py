"""The initializer benchmark runs end to end at a small size and reports every initializer."""

from __future__ import annotations

import numpy as np

from codegen.load import load_registry
from codegen.tools import bench_initializers
from tests.helpers import SPECS_DIR, package


def test_bench_reports_every_initializer(capsys):
    text = bench_initializers.run(size=20_000, repeats=1, specs_dir=SPECS_DIR, package=package())
    rows = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| initializer")]
    names = {row.split("|")[1].strip() for row in rows}
    assert names == {spec.name for spec in load_registry(SPECS_DIR).initializers}
    assert text in capsys.readouterr().out


def test_numpy_baselines_draw_the_same_distributions():
    """The NumPy jobs the benchmark times are correct: truncation within ±2σ (mean within 7 standard errors),
    uniform within its bounds, orthogonal columns times the gain (to 1e-5, 100x float32's eps)."""
    out = np.empty((200, 500), dtype=np.float32)
    rng = np.random.default_rng(0)
    bench_initializers._numpy_truncated(rng, 1.0, 0.5, 0.0, 2.0)(out)
    assert out.min() >= 0.0 and out.max() <= 2.0 and abs(out.mean() - 1.0) < 0.01
    bench_initializers._numpy_uniform(rng, -0.3, 0.2)(out)
    assert out.min() >= np.float32(-0.3) and out.max() <= np.float32(0.2)
    tall = np.empty((300, 40), dtype=np.float32)
    bench_initializers._numpy_orthogonal(rng, 2.0)(tall)
    assert np.abs(tall.T.astype(np.float64) @ tall - 4 * np.eye(40)).max() < 1e-5
