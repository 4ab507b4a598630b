"""The commands the operator docs show still work: every `$ ` line of a ```console block in PAGES is checked.

- ansible-playbook, ansible-inventory, ansible-vault: the line parses with Ansible's own CLI parser (in-process,
  no subprocess); paths named by -i and the playbooks exist; every -e variable is an option of a role's
  meta/argument_specs.yml; and all the playbooks pass one `ansible-playbook --syntax-check` together, against the
  lab inventory where a page names the example one (the example's hosts do not exist).
- pip install: each package is pinned at that version in requirements.txt, and its extra exists.
- python -m lab: the subcommand exists (its --help exits 0).
Any other command fails the test: add a check for it here.
"""

from __future__ import annotations

import contextlib
import importlib.metadata
import io
import re
import shlex
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.labfixture import BIN, env

REPO = Path(__file__).resolve().parents[3]
PAGES = ["getting-started.md", "troubleshooting.md", "faq.md"]
EXAMPLE, LAB = "inventories/example", "inventories/lab/hosts.yml"


def commands(page: str) -> list[str]:
    text = (REPO / "docs" / page).read_text()
    lines = [line[2:].strip() for block in re.findall(r"```console\n(.*?)```", text, re.S)
             for line in block.splitlines() if line.startswith("$ ")]
    return [re.sub(r"^\.venv/bin/", "", line) for line in lines]


ALL = [(page, line) for page in PAGES for line in commands(page)]


def role_options() -> set[str]:
    names = set()
    for spec in REPO.glob("roles/*/meta/argument_specs.yml"):
        for entry in yaml.safe_load(spec.read_text())["argument_specs"].values():
            names |= set(entry.get("options") or {})
    return names


def parse(cli_class, argv: list[str]):
    cli = cli_class(argv)
    cli.init_parser()
    try:
        with contextlib.redirect_stderr(io.StringIO()) as err:
            return cli.parser.parse_args(argv[1:])
    except SystemExit:
        raise AssertionError(f"{' '.join(argv)}: {err.getvalue().strip()}") from None


def check_ansible(argv: list[str]):
    from ansible.cli.inventory import InventoryCLI
    from ansible.cli.playbook import PlaybookCLI
    from ansible.cli.vault import VaultCLI

    cli = {"ansible-playbook": PlaybookCLI, "ansible-inventory": InventoryCLI, "ansible-vault": VaultCLI}[argv[0]]
    args = parse(cli, argv)
    for inventory in getattr(args, "inventory", None) or []:
        assert (REPO / inventory).exists(), f"{inventory} does not exist"
    names = [e.split("=", 1)[0] for e in getattr(args, "extra_vars", None) or []]
    unknown = [n for n in names if n not in role_options()]
    assert not unknown, f"-e {unknown}: not an option of any role's meta/argument_specs.yml"
    return args


def check_pip(argv: list[str]) -> None:
    assert argv[1] == "install", argv
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (REPO / "requirements.txt").read_text(), re.M))
    for requirement in argv[2:]:
        name, extra, version = re.fullmatch(r"([A-Za-z0-9_.-]+)(?:\[(\w+)\])?==(\S+)", requirement).groups()
        assert pins.get(name) == version, f"{requirement}: requirements.txt pins {name}=={pins.get(name)}"
        if extra:
            assert extra in (importlib.metadata.metadata(name).get_all("Provides-Extra") or []), requirement


def check_lab(argv: list[str]) -> None:
    from lab.cli import main

    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as done:
        main([argv[3], "--help"])
    assert done.value.code == 0, f"python -m lab {argv[3]}: no such subcommand"


def test_the_pages_show_commands():
    assert {page for page, _ in ALL} >= {"getting-started.md", "faq.md"}
    assert sum(line.startswith("ansible-playbook ") for _, line in ALL) >= 3


@pytest.mark.parametrize(("page", "line"), ALL)
def test_each_command_parses(page, line):
    argv = shlex.split(line)
    if argv[0].startswith("ansible-"):
        check_ansible(argv)
    elif argv[0] == "pip":
        check_pip(argv)
    elif argv[:3] == ["python", "-m", "lab"]:
        check_lab(argv)
    else:
        raise AssertionError(f"docs/{page}: no check for {argv[0]}: add one to {Path(__file__).name}")


def test_the_playbooks_pass_a_syntax_check():
    from ansible.cli.playbook import PlaybookCLI

    playbooks, extra = set(), []
    for _, line in ALL:
        if line.startswith("ansible-playbook "):
            args = parse(PlaybookCLI, shlex.split(line))
            playbooks |= set(args.args)
            extra += [a for e in args.extra_vars for a in ("-e", e)]
            assert set(args.inventory) <= {EXAMPLE, LAB}, "the syntax check stands in the lab for the example only"
    cmd = [str(BIN / "ansible-playbook"), "--syntax-check", "-i", LAB, *extra, *sorted(playbooks)]
    proc = subprocess.run(cmd, cwd=REPO, env=env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]


def test_the_checks_catch_a_wrong_command():
    with pytest.raises(AssertionError, match="sync_assess_rundate"):
        check_ansible(["ansible-playbook", "playbooks/assess.yml", "-e", "sync_assess_rundate=2026-11-25"])
    with pytest.raises(AssertionError, match="invalid choice"):
        check_ansible(["ansible-vault", "encrypt_strings", "--name", "x"])
    with pytest.raises(AssertionError, match="unrecognized arguments"):
        check_ansible(["ansible-playbook", "playbooks/assess.yml", "--vault-ids", "corp@prompt"])
    with pytest.raises(AssertionError, match="pins pywinrm==0.5.0"):
        check_pip(["pip", "install", "pywinrm[kerberos]==0.4.3"])
    with pytest.raises(AssertionError, match="no such subcommand"):
        check_lab(["python", "-m", "lab", "upp"])
