# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Detection from an action plugin: the read-only probe over the host's raw WinRM connection, classified.

sync_facts and sync_handoff (which polls it) run the same probe the same way, so a handoff waits on exactly
the facts the assessment reports. A host that cannot be reached, or whose probe fails, gives a status and a
cause (_status.py), not an exception; any other error is not about reaching the host and is raised.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_text

from . import _classify, _evidence, _probe, _status


@dataclass
class Detection:
    status: str  # _status.ASSESSED or why not
    cause: str | None = None
    facts: dict | None = None  # the `sync` facts when assessed
    computer_name: str | None = None  # the host's own name ($env:COMPUTERNAME), when assessed
    warnings: list[str] = field(default_factory=list)

    @property
    def assessed(self) -> bool:
        return self.status == _status.ASSESSED


def is_connection_error(exc: AnsibleError) -> bool:
    # the winrm plugin raises AnsibleConnectionFailure, and a plain AnsibleError when the connection attempt
    # times out; any other error is not about reaching the host
    return isinstance(exc, AnsibleConnectionFailure) or "timed out" in to_text(exc)


@functools.cache
def probe_script(extra_files: tuple[str, ...] = ()) -> str:
    """The probe's whole script (the same for every host): rendered once per process, not once per host."""
    request = _evidence.build_request()
    request["files"] = [*request["files"], *(f for f in extra_files if f not in request["files"])]
    return _probe.build_probe(request)


def detect(action, fail_unreachable: bool = False, files: list[str] | None = None) -> Detection:
    """Probe the action's host once and classify; with fail_unreachable, a connection error is raised.

    `files` adds paths the caller waits for (a handoff's exported settings file): the facts then carry
    `files`, one {name: the path, exists: true|false|null (not read)} per path."""
    script = probe_script(tuple(files or ()))
    try:
        out = action._low_level_execute_command(_probe.command_line(), in_data=script.encode("utf-8"),
                                                sudoable=False)
    except AnsibleError as exc:
        if not is_connection_error(exc) or fail_unreachable:
            raise
        status, cause = _status.connection_failure(to_text(exc))
        return Detection(status, cause)
    if out["rc"] != 0:
        return Detection(_status.PROBE_FAILED,
                         _status.probe_failure(out["rc"], to_text(out["stderr"]), to_text(out["stdout"])))
    try:
        evidence = _probe.parse_output(out["stdout"])
    except ValueError as exc:
        return Detection(_status.PROBE_FAILED, f"the detection probe printed no evidence: {exc}")
    facts = _classify.classify(evidence)
    if files:
        found = evidence.get("files") if isinstance(evidence.get("files"), dict) else {}
        facts["files"] = [{"name": path, "exists": (found.get(path) or {}).get("exists")
                           if isinstance(found.get(path) or {}, dict) else None} for path in files]
    host = evidence.get("host")  # the document's top level: "probe" (its version), "host", "registry", ...
    name = host.get("computer_name") if isinstance(host, dict) else None
    return Detection(_status.ASSESSED, None, facts, name if isinstance(name, str) else None,
                     list(facts.get("warnings") or []))
