# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What a report says about its own making, read on the controller from the project: the toolkit's version
(galaxy.yml) and git commit, the policy it judged by (policy/lifecycle.yml: schema, review date, each entry's
source codes resolved to Microsoft's page titles and addresses), and the rule glossary.

Each fact is written once: the glossary is the Summary table of docs/decision-rules.md (what each rule checks and
its outcome; tests/unit/plugins/plugin_utils/test_decide.py keeps it complete), the sources are the policy's own
`sources:` and `source_titles:` maps. What cannot be read is "unknown", never a guess.
"""

from __future__ import annotations

import getpass
import re
import socket
import subprocess
from pathlib import Path

import yaml

UNKNOWN = "unknown"
_RULE_ROW = re.compile(r"^\|\s*(R-[A-Z0-9-]+)\s*\|(.*)\|(.*)\|\s*$")
_SOURCE_LINE = re.compile(r"^####\s+(R-[A-Z0-9-]+)\s*$|^- \*\*Source:\*\*(.*)$")
_CODE = re.compile(r"\b([A-Z0-9]{2,5})\b")
_CODE_ROW = re.compile(r"^\|\s*([A-Z0-9]{2,5})\s*\|\s*\[[^\]]*\]\((https://[^)\s]+)\)")


def _yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return {}
    return data if isinstance(data, dict) else {}


def git_commit(project: Path) -> dict:
    """{commit, modified}: the checked-out commit when the controller has the repository's git, else unknown."""
    def git(*args):
        return subprocess.run(["git", "-C", str(project), *args], capture_output=True, text=True, timeout=10,
                              check=True).stdout.strip()
    try:
        commit = git("rev-parse", "HEAD")
        modified = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": UNKNOWN, "modified": None}
    if not re.fullmatch(r"[0-9a-f]{40}", commit):
        return {"commit": UNKNOWN, "modified": None}
    return {"commit": commit, "modified": modified}


def _lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return []


def rule_glossary(lines: list[str], source_codes) -> dict:
    """{rule id: {checks, outcome, sources: [codes]}} from the lines of docs/decision-rules.md (its Summary table,
    and each rule section's Source line, keeping the codes the policy's sources map knows)."""
    glossary, current = {}, None
    for line in lines:
        row = _RULE_ROW.match(line)
        if row and row.group(1) not in glossary:
            glossary[row.group(1)] = {"checks": row.group(2).strip().replace("`", ""),
                                      "outcome": row.group(3).strip().replace("`", ""), "sources": []}
            continue
        source = _SOURCE_LINE.match(line)
        if source and source.group(1):
            current = source.group(1)
        elif source and current in glossary:
            codes = [code for code in _CODE.findall(source.group(2)) if code in source_codes]
            glossary[current]["sources"] = list(dict.fromkeys(codes))
    return glossary


def _controller() -> dict:
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = None
    return {"controller": socket.gethostname() or None, "os_user": user}


def rule_page_sources(lines: list[str]) -> dict:
    """{code: address} of the code table in docs/decision-rules.md, given as lines (codes the rules cite beyond
    the policy's)."""
    return {match.group(1): match.group(2) for match in map(_CODE_ROW.match, lines) if match}


def report_context(project_dir) -> dict:
    """The toolkit, commit, policy and glossary facts for build_report(context=...), and the controller's name and
    the account the run uses there."""
    project = Path(str(project_dir))
    galaxy = _yaml(project / "galaxy.yml")
    policy = _yaml(project / "policy" / "lifecycle.yml")
    rules_page = _lines(project / "docs" / "decision-rules.md")  # the glossary and the extra source codes
    urls = policy.get("sources") if isinstance(policy.get("sources"), dict) else {}
    titles = policy.get("source_titles") if isinstance(policy.get("source_titles"), dict) else {}
    sources = {str(code): {"url": str(value) if str(value).startswith("https://") else None,
                           "title": str(titles.get(code) or ("" if str(value).startswith("https://") else value))
                           or None} for code, value in urls.items()}
    # codes the rules page cites beyond the policy's own (ST, SA, TLS...): their address, no title in the repo
    for code, url in rule_page_sources(rules_page).items():
        sources.setdefault(code, {"url": url, "title": None})
    entries = {name: [str(code) for code in value.get("source") or []]
               for name, value in policy.items() if isinstance(value, dict) and "source" in value}
    version = galaxy.get("version")
    return {
        "toolkit": {"name": ".".join(str(galaxy[k]) for k in ("namespace", "name")) if galaxy.get("name") else UNKNOWN,
                    "version": str(version) if version else UNKNOWN, **git_commit(project)},
        "policy": {"file": "policy/lifecycle.yml", "schema": policy.get("schema", UNKNOWN),
                   "minimum_version": str((policy.get("minimum_version") or {}).get("version") or UNKNOWN),
                   "reviewed": str(policy["reviewed"]) if policy.get("reviewed") else UNKNOWN,
                   "sources": sources, "entries": entries},
        "rules": rule_glossary(rules_page, set(sources)),
        **_controller(),
    }
