"""The layer defaults the initializer specs declare (``default_of``) are the libraries' own, and the docs list them.

A Keras layer built without initializers holds an instance of the spec's Keras counterpart class. A torch layer's
weight and bias, drawn with a seed, are exactly what the specs' torch counterparts draw from the same seed on the same
shapes, in the same order (``reset_parameters`` draws the weight, then the bias). ``LAYERS`` says how to build each
layer a spec may name; a spec that names another layer fails here until it is added.
"""

from __future__ import annotations

import importlib
import os

import pytest
import sympy

from codegen.build import SPECS_DIR, generate
from codegen.language.initializer import InitializerSpec
from codegen.load import load_registry
from codegen.printers.latex import texttt

os.environ.setdefault("KERAS_BACKEND", "torch")  # before anything imports keras

REGISTRY = load_registry(SPECS_DIR)
DECLARED = [(spec, layer) for spec in REGISTRY.initializers for layer in spec.default_of]
LAYERS = {
    "keras.layers.Dense": {"units": 4},
    "keras.layers.Conv2D": {"filters": 4, "kernel_size": 3},
    "torch.nn.Linear": {"in_features": 20, "out_features": 30},
    "torch.nn.Conv2d": {"in_channels": 3, "out_channels": 8, "kernel_size": 5},
}
LAYER_FACTS = {"weight_fan_in": lambda layer: layer.weight[0].numel()}
"""What a layer says of a spec's required arguments: the fan_in of its (out, in, ...) weight, as torch reads it."""


def _layer(declared: str) -> tuple[type, str]:
    path, _, argument = declared.removesuffix(")").partition("(")
    assert path in LAYERS, f"add how to build {path} to LAYERS in tests/test_layer_defaults.py"
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name), argument


def _counterpart(spec: InitializerSpec, library: str):
    found = next((c for c in spec.counterparts if c.library == library and c.same), None)
    assert found is not None, f"{spec.name} declares a {library} layer default but no {library} counterpart"
    return found


@pytest.mark.parametrize(("spec", "declared"), DECLARED, ids=[f"{s.name}-{layer}" for s, layer in DECLARED])
def test_the_layer_default_is_the_libraries_own(spec: InitializerSpec, declared: str) -> None:
    layer_type, argument = _layer(declared)
    path = declared.partition("(")[0]
    if declared.startswith("keras."):
        pytest.importorskip("keras")
        layer = layer_type(**LAYERS[path])
        expected = _counterpart(spec, "keras").name.rpartition(".")[2]
        assert type(getattr(layer, argument)).__name__ == expected
    else:
        torch = pytest.importorskip("torch")
        torch.manual_seed(0)
        layer = layer_type(**LAYERS[path])
        torch.manual_seed(0)
        # reset_parameters draws the parameters in their order (the weight, then the bias): draw each up to this one.
        for name, parameter in layer.named_parameters():
            drawn = _torch_draw(f"{path}({name})", parameter, layer)
            if name == argument:
                break
        assert torch.equal(getattr(layer, argument).detach(), drawn)


def _torch_draw(declared: str, parameter, layer):
    """What the torch counterpart of the spec that declares ``declared`` draws for ``parameter`` of ``layer``."""
    spec = next((s for s, d in DECLARED if d == declared), None)
    assert spec is not None, f"{declared} is drawn before a declared default of its layer: declare it too"
    counterpart = _counterpart(spec, "torch")
    module, _, name = counterpart.name.rpartition(".")
    initialize = getattr(importlib.import_module(module), name)
    facts = {name: read(layer) for name, read in LAYER_FACTS.items()}
    options = {
        key: float(value.subs({s: facts[s.name] for s in value.free_symbols}))
        if isinstance(value, sympy.Basic)
        else value
        for key, value in counterpart.arguments
    }
    return initialize(parameter.detach().clone(), **options)


def test_the_docs_list_every_declared_default() -> None:
    table = generate(SPECS_DIR).files["docs/initializers/layer_defaults.tex"].text
    rows = [line for line in table.splitlines() if line.startswith(r"\texttt{")]
    assert len(rows) == len(DECLARED)
    for spec, declared in DECLARED:
        assert any(row.startswith(f"{texttt(declared)} & {spec.name} (") for row in rows), declared
