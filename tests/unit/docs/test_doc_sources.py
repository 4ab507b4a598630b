"""The FAQ and getting-started cite only public sources the project already records (docs/product-facts.md or
policy/lifecycle.yml), so a source is checked once, in one place, with its date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
RECORDED = (REPO / "docs" / "product-facts.md").read_text() + (REPO / "policy" / "lifecycle.yml").read_text()


@pytest.mark.parametrize("page", ["faq.md", "getting-started.md"])
def test_every_cited_address_is_a_recorded_source(page):
    cited = re.findall(r"<(https?://[^>\s]+)>", (REPO / "docs" / page).read_text())
    assert page != "faq.md" or len(cited) >= 4
    assert [url for url in cited if url not in RECORDED] == []


@pytest.mark.parametrize("page", sorted(p.name for p in (REPO / "docs").glob("*.md")))
def test_every_local_link_resolves(page):
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", (REPO / "docs" / page).read_text())
    missing = [link for link in links if not link.startswith("http") and not (REPO / "docs" / link).exists()]
    assert missing == []
