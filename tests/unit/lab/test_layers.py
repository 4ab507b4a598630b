"""The lab's layers import one way (docs/lab.md): wsman -> powershell -> twin, modules -> twin.

Twin models own the rules; the protocol and PowerShell layers only translate; module twins use the models.
The composition root (lab/server.py, lab/cli.py, lab/config.py, lab/pki.py) wires them together. No part of
the lab imports the controller's code (plugins/): a wrong path in the evidence catalog must fail in the lab as
it would on Windows, not be mirrored by shared code.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

LAB = Path(__file__).resolve().parents[3] / "lab"
ALLOWED = {  # layer -> the lab layers it may import
    "twin": {"twin"},
    "modules": {"modules", "twin"},
    "powershell": {"powershell", "twin"},
    "wsman": {"wsman", "powershell", "twin"},
    "downloads": {"downloads", "twin"},
}


def lab_imports(path: Path) -> set[str]:
    """The dotted lab modules a file imports (relative imports resolved), e.g. 'lab.twin.host'."""
    package = ".".join(path.relative_to(LAB.parent).with_suffix("").parts[:-1])
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found |= {f"{module}.{alias.name}" for alias in node.names}
    return found


def layer_files() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in ALLOWED for path in sorted((LAB / layer).rglob("*.py"))]


@pytest.mark.parametrize("layer,path", layer_files(), ids=lambda v: str(v).rsplit("/lab/", 1)[-1])
def test_imports_run_one_way(layer, path):
    used = {name.split(".")[1] for name in lab_imports(path) if name.startswith("lab.") and name.count(".") >= 1}
    layers = {name for name in used if name in ALLOWED}
    assert layers <= ALLOWED[layer], f"{path.relative_to(LAB)} imports {sorted(layers - ALLOWED[layer])}"
    assert not used - set(ALLOWED), f"{path.relative_to(LAB)} imports the composition root: {sorted(used)}"


@pytest.mark.parametrize("path", sorted(LAB.rglob("*.py")), ids=lambda p: str(p.relative_to(LAB)))
def test_the_lab_never_imports_controller_code(path):
    assert not {name for name in lab_imports(path) if name.split(".")[0] in ("plugins", "ansible_collections")}


def test_the_checker_sees_a_forbidden_import(tmp_path, monkeypatch):
    fake = LAB / "powershell" / "_layer_probe_example.py"
    monkeypatch.setattr(Path, "read_text", lambda self, *a, **k: "from .. import modules\nfrom ..modules import x\n")
    assert {"lab.modules", "lab.modules.x"} <= lab_imports(fake)
