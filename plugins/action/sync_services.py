# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sync_services: Windows services to a wanted start mode and state, on any server the toolkit reaches.

ansible.windows.win_service needs PowerShell 5.1, which DirSync and Azure AD Sync servers lack; this action sends
the project's PowerShell 2.0-safe script (powershell/services.ps1) over the host's raw WinRM connection. It reads
first and changes only what differs, so check mode and a second run change nothing.
"""

from __future__ import annotations

from ansible.plugins.action import ActionBase
from ansible_collections.entra.sync_upgrade.plugins.plugin_utils import _outcome, _script

SCRIPT = "services"
START_MODES = ["auto", "delayed", "manual", "disabled"]
ARGUMENT_SPEC = {
    "services": {"type": "list", "elements": "dict", "required": True, "options": {
        "name": {"type": "str", "required": True},
        "start_mode": {"type": "str", "choices": START_MODES},
        "state": {"type": "str", "choices": ["running", "stopped"]},
    }},
    "missing": {"type": "str", "default": "fail", "choices": ["fail", "ignore"]},
}


class ServicesFailed(Exception):
    """The change cannot be made or did not hold; the message is the cause the result reports."""


def differs(now: dict, wanted: dict) -> list[str]:
    """What must change for one service, in words ([] when it is as wanted)."""
    out = []
    if wanted.get("start_mode") and now.get("start_mode") != wanted["start_mode"]:
        out.append(f"start mode {now.get('start_mode')} -> {wanted['start_mode']}")
    if wanted.get("state") and now.get("state") != wanted["state"]:
        out.append(f"{now.get('state')} -> {wanted['state']}")
    return out


class ActionModule(ActionBase):
    _requires_connection = True

    def run(self, tmp=None, task_vars=None):
        self._supports_check_mode = True
        result = super().run(tmp, task_vars)
        _, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        outcome = _outcome.guarded(lambda: self._services(args), (ServicesFailed,), "the services change")
        return _outcome.task_result(result, outcome, {"before": [], "after": []})

    def remote(self, services: list[dict], apply: bool) -> list[dict]:
        try:
            doc = _script.run(self, SCRIPT, {"services": services, "apply": apply})
        except _script.ScriptFailed as exc:
            raise ServicesFailed(str(exc)) from None
        if doc.get("error"):
            raise ServicesFailed(doc["error"])
        return doc.get("services") or []

    def _services(self, args: dict) -> dict:
        wanted = [{k: v for k, v in s.items() if v is not None} for s in args["services"]]
        before = self.remote(wanted, apply=False)
        missing = [s["name"] for s in before if not s.get("exists")]
        if missing and args["missing"] == "fail":
            raise ServicesFailed(f"no such service on the host: {', '.join(missing)}")
        changes = {w["name"]: differs(b, w) for w, b in zip(wanted, before, strict=True) if b.get("exists") and differs(b, w)}
        evidence = "; ".join(f"{name}: {', '.join(words)}" for name, words in changes.items())
        if not changes:
            return {"status": "unchanged", "changed": False, "before": before, "after": before,
                    "evidence": "as wanted: " + ", ".join(f"{s['name']} {s.get('state')} ({s.get('start_mode')})"
                                                          for s in before if s.get("exists"))}
        if self._task.check_mode:
            return {"status": "planned", "changed": True, "before": before, "after": before,
                    "plan": [f"{name}: {', '.join(words)}" for name, words in changes.items()], "evidence": evidence}
        after = self.remote(wanted, apply=True)
        left = {a["name"]: differs(a, w) for w, a in zip(wanted, after, strict=True) if a.get("exists") and differs(a, w)}
        if left:
            raise ServicesFailed("not as wanted after the change: "
                                 + "; ".join(f"{n}: {', '.join(w)}" for n, w in left.items()))
        return {"status": "done", "changed": True, "before": before, "after": after, "evidence": evidence}
