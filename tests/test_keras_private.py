"""Keras' private modules (``keras.src``) are used in one documented place, rnnlab.training.keras_private, behind
the exact Keras pin: a new private import anywhere, or a Keras upgrade, fails here first."""

from __future__ import annotations

import ast
import re
from importlib import metadata

from rnnlab.training import keras_private

from helpers import ROOT

#: Every private Keras module rnnlab imports, and why (see rnnlab/training/keras_private.py).
PRIVATE_IMPORTS = {
    "keras.src.utils.module_utils": "hide_tensorflow: no public way to tell Keras that TensorFlow is absent",
    "keras.src.trainers.data_adapters.array_data_adapter": "untuned_batches: no hook for tf.data's options",
}
HOME = ROOT / "rnnlab" / "training" / "keras_private.py"


def _sources():
    """The project's own Python files (the tests may read Keras' internals to check them)."""
    for folder in ("rnnlab", "pages", "benchmarks", "scripts"):
        yield from (ROOT / folder).rglob("*.py")
    yield ROOT / "app.py"


def _private_imports(path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
        elif isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
    return {m for m in modules if m.startswith("keras.src")}


def test_keras_src_appears_only_in_keras_private():
    """Any mention counts, not only imports (``importlib.import_module("keras.src...")`` too)."""
    mentions = sorted(f"{path.relative_to(ROOT)}:{n}" for path in _sources() if path != HOME
                      for n, line in enumerate(path.read_text().splitlines(), 1) if "keras.src" in line)
    assert mentions == [], "import Keras' private modules in rnnlab/training/keras_private.py only: " + str(mentions)


def test_every_private_import_is_listed():
    assert _private_imports(HOME) == set(PRIVATE_IMPORTS)


def test_the_private_imports_were_read_against_the_pinned_keras():
    pins = re.findall(r"^keras==(\S+)$", (ROOT / "requirements.txt").read_text(), flags=re.M)
    assert pins == [keras_private.KERAS_VERSION]
    assert metadata.version("keras") == keras_private.KERAS_VERSION
