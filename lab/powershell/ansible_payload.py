"""Ansible's bootstrap framing: `<bootstrap JSON>\\n\\0\\0\\0\\0\\n<manifest JSON>[\\n\\0\\0\\0\\0\\n<input>]`."""

from __future__ import annotations

import json
from dataclasses import dataclass

SEPARATOR = b"\n\0\0\0\0\n"


@dataclass
class Payload:
    bootstrap: dict
    manifest: dict
    input: bytes  # what follows the manifest (put_file's base64 lines)

    @property
    def action(self) -> dict:
        return self.manifest["actions"][-1]

    @property
    def action_names(self) -> list[str]:
        return [a["name"] for a in self.manifest.get("actions", [])]

    @property
    def module_script(self) -> str | None:
        """The resolved module Script name, e.g. ansible_collections.ansible.windows.plugins.modules.win_stat.ps1."""
        if self.action["name"] != "module_wrapper.ps1":
            return None
        return self.action["params"].get("Script")

    @property
    def module_args(self) -> dict:
        for var in self.action["params"].get("Variables") or []:
            if var.get("Name") == "complex_args":
                return var.get("Value") or {}
        return {}


def parse(stdin: bytes) -> Payload | None:
    """The payload if stdin carries Ansible's framing, else None."""
    if not stdin.lstrip().startswith(b"{") or SEPARATOR not in stdin:
        return None
    head, _, rest = stdin.partition(SEPARATOR)
    try:
        bootstrap = json.loads(head)
    except ValueError:
        return None
    if bootstrap.get("name") != "exec_wrapper":
        return None
    manifest_raw, _, remaining = rest.partition(SEPARATOR)
    return Payload(bootstrap, json.loads(manifest_raw), remaining)
