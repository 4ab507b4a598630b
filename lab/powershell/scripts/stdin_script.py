"""The stdin bootstrap (plugins/plugin_utils/_probe.py STDIN_BOOTSTRAP): run the script that arrives on stdin.

A real host runs `& ([scriptblock]::Create(<stdin lines joined>))`; the lab routes that text by its own
project marker to the matching handler, against the same twin. No marker or an unknown one is not simulated.
In ConstrainedLanguage mode PowerShell refuses the method call, so nothing on stdin runs.
"""

from __future__ import annotations

import re

from ..dispatch import PROJECT_MARKER
from ..result import Result, not_simulated

# UNCONFIRMED: PowerShell 5.1's exact wording and position line for this script
CONSTRAINED = ("Cannot invoke method. Method invocation is supported only on core types in this language mode.\n"
               "At line:2 char:74\n+ ... ine, [string[]]@($input)); & ([scriptblock]::Create($s))\n"
               "+                                   ~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
               "    + CategoryInfo          : InvalidOperation: (:) [], RuntimeException\n"
               "    + FullyQualifiedErrorId : MethodInvocationNotSupportedInConstrainedLanguage")


def run(twin, script: str, stdin: bytes, environment: dict | None = None) -> Result:
    from . import PROJECT_SCRIPTS  # the registry imports this module

    if "$input" not in script or "[scriptblock]::Create(" not in script:
        return not_simulated("stdin-script bootstrap that does not run $input")
    environment = twin.environment() if environment is None else environment
    if twin.language_mode(environment) == "ConstrainedLanguage":
        return Result.error(CONSTRAINED)
    # $input yields stdin line by line (TextReader.ReadLine splits at CR, LF and CRLF); Join puts CRLF back
    text = stdin.decode("utf-8-sig", "replace")
    lines = re.split(r"\r\n|\r|\n", text)
    if lines and lines[-1] == "":
        lines.pop()
    inner = "\r\n".join(lines)
    marker = PROJECT_MARKER.search(inner)
    if marker is None:
        return not_simulated("script on stdin without a project marker")
    name = marker.group("name")
    handler = PROJECT_SCRIPTS.get(name)
    if handler is None or name == "stdin-script":
        return not_simulated(f"project script {name} v{marker.group('version')} on stdin")
    return handler(twin, inner, b"", environment)
