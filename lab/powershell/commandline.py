"""Turn a WinRS command line into the PowerShell script it runs."""

from __future__ import annotations

import base64
from dataclasses import dataclass


@dataclass(frozen=True)
class Invocation:
    shell: str  # "powershell" or "cmd"
    text: str  # the decoded script (powershell) or the whole command line (cmd)


def parse(command: str, args: list[str]) -> Invocation:
    """Join Command and Arguments, then find -EncodedCommand the way powershell.exe does (any unique prefix)."""
    tokens = " ".join([command, *args]).split()
    if not tokens:
        return Invocation("cmd", "")
    exe = tokens[0].lower().rsplit("\\", 1)[-1]
    if exe not in ("powershell", "powershell.exe", "pwsh", "pwsh.exe"):
        return Invocation("cmd", " ".join(tokens))
    for i, tok in enumerate(tokens[1:], start=1):
        low = tok.lower()
        # -EncodedCommand, any unambiguous prefix of it, or its documented alias -ec
        if (low == "-ec" or (len(low) >= 2 and "-encodedcommand".startswith(low))) and i + 1 < len(tokens):
            script = base64.b64decode(tokens[i + 1]).decode("utf-16-le")
            return Invocation("powershell", script)
        if low in ("-command", "-c") and i + 1 < len(tokens):
            return Invocation("powershell", " ".join(tokens[i + 1 :]))
    return Invocation("powershell", "")
