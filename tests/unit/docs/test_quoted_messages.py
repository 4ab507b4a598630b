"""The pages that quote the run's messages (docs/operator-runbook.md, docs/troubleshooting.md): each quoted message
must still be what the code prints, so a page cannot drift from the toolkit. A message is a backticked span with a
space in a table row (not a variable or an -e option), or a ```text block. Its `<...>` parts are what the run fills
in; the fixed text between them must be in the code (roles, playbooks, plugins, or the lab where the words are
Windows' own)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
PAGES = {"operator-runbook.md": 15, "troubleshooting.md": 25}  # page -> at least this many quoted messages
SOURCES = [*REPO.glob("roles/**/*.yml"), *REPO.glob("playbooks/**/*.yml"), REPO / "upgrade.yml",
           *REPO.glob("plugins/**/*.py"), *REPO.glob("lab/**/*.py")]
PLACEHOLDER = re.compile(r"<[^<>]+>")
# the rollback's refusal is assembled from parts; the cutover integration test checks it against the run's output
RUN_CHECKED = "has exported to Entra ID and Active Directory (Export runs on"


def _normal(text: str) -> str:
    return " ".join(text.split())


def quoted_messages(page: str) -> list[str]:
    text = (REPO / "docs" / page).read_text()
    table = [m for line in text.splitlines() if line.startswith("| ") for m in re.findall(r"`([^`]+)`", line)
             if " " in m and not m.startswith(("sync_", "ansible_", "-e ", "--"))]
    blocks = [b.strip() for b in re.findall(r"```text\n(.*?)```", text, re.S)]
    return table + [b for b in blocks if RUN_CHECKED not in b]


def fragments(message: str) -> list[str]:
    return [f.strip() for f in PLACEHOLDER.split(message) if len(f.strip()) >= 8]


@pytest.fixture(scope="module")
def code() -> str:
    text = _normal("\n".join(p.read_text(errors="replace") for p in SOURCES if p.is_file()))
    # a message written as adjacent literals ("... " "...", or Jinja's '...' '...') reads as one
    return re.sub(r"(?<=[^\\])\" f?\"|' '", "", text)


@pytest.mark.parametrize("page", PAGES)
def test_the_page_quotes_messages(page):
    assert len(quoted_messages(page)) >= PAGES[page]


@pytest.mark.parametrize(("page", "message"), [(page, m) for page in PAGES for m in quoted_messages(page)])
def test_each_quoted_message_is_what_the_code_prints(page, message, code):
    missing = [f for f in fragments(message) if _normal(f) not in code]
    assert fragments(message) and not missing, f"docs/{page} quotes text the code does not print: {missing}"
