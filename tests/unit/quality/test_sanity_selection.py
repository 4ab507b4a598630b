"""docs/quality-gates.md names every ansible-test sanity test as run or not run, and the tests it says run are
the ones scripts/sanity.sh runs: an ansible-core upgrade that adds a sanity test fails here until the doc
decides about it. About 1 s of CPU (one `ansible-test sanity --list-tests` on a copy of the tree)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
DOC = (ROOT / "docs" / "quality-gates.md").read_text()


def _section(title: str) -> str:
    return DOC.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def doc_run() -> set[str]:
    text = _section("ansible-test sanity").split("Run (", 1)[1].split("\n\n", 1)[0]
    return set(re.findall(r"`([a-z0-9-]+)`", text))


def doc_not_run() -> set[str]:
    rows = [line for line in _section("ansible-test sanity").splitlines() if line.startswith("| `")]
    return {name for row in rows for name in re.findall(r"`([a-z0-9-]+)`", row.split(" | ")[0])}


def script_run() -> set[str]:
    text = (ROOT / "scripts" / "sanity.sh").read_text()
    return set(re.search(r"TESTS=\((.*?)\)", text, re.S).group(1).split())


def test_the_doc_lists_what_the_script_runs():
    assert doc_run() == script_run()
    assert not doc_run() & doc_not_run()


def test_the_doc_decides_about_every_sanity_test_ansible_test_has():
    listed = subprocess.run([str(ROOT / "scripts" / "sanity.sh"), "--list-tests", "--allow-disabled"],
                            capture_output=True, text=True, timeout=300, check=True).stdout.split()
    assert "compile" in listed  # the listing worked
    assert set(listed) == doc_run() | doc_not_run()
