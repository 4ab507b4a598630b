r"""The lab's operator: reads a host's handoff note and does what it asks with the wizard model.

`python -m lab operator <host> [<step>] [--wrong <variant>]` and the autopilot (lab/autopilot.py) both come
here. The operator sees every twin, as a person with access to every server would: it copies an installer
from another host (dirsync_export's Installer-From) and reads a source's configuration to set a target up by
hand (install_manual). It never holds two twins' locks at once, and reads other twins without a lock (their
state files are replaced whole).

Wrong variants (what a hurried operator does instead): `import-nothing` (install without importing
settings), `staging-off` (install with staging mode off), `old-version` (run an older package: OLD_VERSION),
`skip` (do nothing). Every attempt is logged to .lab/log/operator.jsonl (`python -m lab log operator`).
"""

from __future__ import annotations

import json
import ntpath
import time
from pathlib import Path

from .twin import labmsi
from .twin.errors import NotSimulated
from .twin.handoffnote import STEPS, Note, NoteError, notes_on, read_note
from .twin.store import TwinStore
from .twin.wizard import Wizard, WizardError

WRONG = ("import-nothing", "staging-off", "old-version", "skip")
OLD_VERSION = "2.3.20.0"  # an older Connect 2.x package than any target the runbook sets
INSTALL_STEPS = ("install_import", "install_migrate", "install_manual")


class OperatorError(Exception):
    """The step could not be done (no note, a bad note, or the wizard refused): the message says why."""


class Operator:
    def __init__(self, store: TwinStore, log_path: Path):
        self.store = store
        self.log_path = log_path

    # reading notes ------------------------------------------------------------------------------------------
    def notes(self, host: str) -> list[Note]:
        self._require_host(host)
        return notes_on(self.store.load(host).files)

    def note(self, host: str, step: str | None = None) -> Note:
        """The note of `step`, or the newest note on the host."""
        self._require_host(host)
        files = self.store.load(host).files
        try:
            if step is not None:
                if step not in STEPS:
                    raise OperatorError(f"unknown step {step!r}; one of {', '.join(STEPS)}")
                found = read_note(files, step)
            else:
                found = (notes_on(files) or [None])[-1]
        except NoteError as exc:
            raise OperatorError(str(exc)) from None
        except NotSimulated as exc:
            raise OperatorError(f"{host}: no handoff note to read ({exc})") from None
        if found is None:
            raise OperatorError(f"{host}: no handoff note{' for step ' + step if step else ''} on the public "
                                "desktop (C:\\Users\\Public\\Desktop\\entra-sync-upgrade-<step>.txt)")
        return found

    # doing the step -----------------------------------------------------------------------------------------
    def perform(self, host: str, step: str | None = None, wrong: str | None = None, source: str = "cli") -> dict:
        """Do the step of the host's note (as `wrong` does it, if given); log it; OperatorError on failure."""
        if wrong is not None and wrong not in WRONG:
            raise OperatorError(f"unknown --wrong variant {wrong!r}; one of {', '.join(WRONG)}")
        note = self.note(host, step)
        record = {"host": host, "step": note.step, "issued": note.issued, "wrong": wrong, "source": source}
        try:
            result = self._do(host, note, wrong)
        except (OperatorError, WizardError, ValueError, NotSimulated) as exc:
            self._log(**record, ok=False, changed=False, message=str(exc))
            raise OperatorError(f"{host}: step {note.step} failed: {exc}") from None
        if result.get("failed"):  # the package ran and failed (an installer exit code): the step is not done
            self._log(**record, ok=False, changed=False, message=result["message"])
            raise OperatorError(f"{host}: step {note.step} failed: {result['message']}")
        self._log(**record, ok=True, changed=bool(result.get("changed")), message=result["message"])
        return {**record, **result}

    def _do(self, host: str, note: Note, wrong: str | None) -> dict:
        params, step = note.parameters, note.step
        if wrong == "skip":
            return {"changed": False, "message": f"skipped step {step} (did nothing)"}
        if wrong in ("import-nothing", "staging-off") and step not in INSTALL_STEPS:
            raise OperatorError(f"--wrong {wrong} applies to the install steps, not {step}")
        if wrong == "old-version" and step not in ("upgrade", "wizard_files", "dirsync_export", *INSTALL_STEPS):
            raise OperatorError(f"--wrong old-version applies to steps that run a package, not {step}")
        # what the operator gathers from other servers first (read without their locks)
        installer_bytes = None
        if step == "dirsync_export":
            source, _, path = self._param(note, "Installer-From").partition(":")
            self._require_host(source)
            try:
                installer_bytes = self.store.load(source).files.read(path)
            except (OSError, NotSimulated) as exc:
                raise OperatorError(f"cannot copy the installer from {source}:{path}: {exc}") from None
        configuration = None
        if step == "install_manual" and wrong != "import-nothing":
            source = self._param(note, "Source")
            self._require_host(source)
            from .twin import syncconfig  # the settings model
            configuration = syncconfig.configuration(self.store.load(source))
        with self.store.session(host) as twin:
            wizard = Wizard(twin)
            installer = params.get("Installer")
            if installer_bytes is not None:  # copied to the admin's Downloads, as a person would
                installer = twin.expand_env("%USERPROFILE%\\Downloads\\") + ntpath.basename(path)
                twin.files.write(installer, installer_bytes)
            if wrong == "old-version":
                installer = twin.expand_env(f"%USERPROFILE%\\Downloads\\AzureADConnect-{OLD_VERSION}.msi")
                twin.files.write(installer, labmsi.build(16384, OLD_VERSION))
            if step == "upgrade":
                return wizard.upgrade(self._need(installer, note, "Installer"))
            if step == "auto_upgrade":
                return self._auto_upgrade(twin, wizard, self._param(note, "Version"))
            if step == "wizard_files":
                return wizard.wizard_files(self._need(installer, note, "Installer"))
            if step == "dirsync_export":
                return wizard.dirsync_export(installer, self._param(note, "Export-To"))
            if step in ("staging_on", "staging_off"):
                return wizard.set_staging(step == "staging_on")
            staging = params.get("Staging", "on").strip().lower() not in ("off", "false", "no", "0")
            if wrong == "staging-off":
                staging = False
            installer = self._need(installer, note, "Installer")
            if step == "install_manual":
                return wizard.install(installer, None, "manual", staging, configuration=configuration)
            files = None if wrong == "import-nothing" else self._settings(twin, self._param(note, "Settings"))
            method = params.get("Method") or ("dirsync_export" if step == "install_migrate" else
                                              "migrate_settings" if files and any(
                                                  n.lower().endswith("migratedpolicy.json") for n in files)
                                              else "json_export")
            return wizard.install(installer, files, method, staging)

    @staticmethod
    def _auto_upgrade(twin, wizard: Wizard, version: str) -> dict:
        """Microsoft's automatic upgrade, which the autopilot stands in for: only on a server whose auto-upgrade
        state is Enabled, with the package Microsoft's service downloads (UNCONFIRMED: where it keeps it)."""
        state = (twin.state.get("sync") or {}).get("auto_upgrade")
        if state != "Enabled":
            raise OperatorError(f"automatic upgrade is {state or 'not available'} here: Microsoft's service does "
                                "not upgrade this server")
        package = twin.expand_env(r"%ProgramData%\AADConnect\AutoUpgrade\AzureADConnect.msi")
        twin.files.write(package, labmsi.build(16384, version))
        return wizard.upgrade(package)

    @staticmethod
    def _settings(twin, path: str) -> dict[str, bytes]:
        """The settings the run copied to the host: one file, or a folder's files by relative path."""
        if not twin.files.exists(path):
            raise OperatorError(f"the settings {path} are not on the server")
        if not twin.files.is_dir(path):
            return {ntpath.basename(path): twin.files.read(path)}
        root = twin.files.get(path)["path"]
        return {e["path"][len(root) + 1:]: twin.files.read(e["path"]) for e in twin.files.walk(path)
                if e["type"] == "file"}

    @staticmethod
    def _param(note: Note, name: str) -> str:
        value = note.parameters.get(name)
        if not value:
            raise OperatorError(f"the {note.step} note names no {name}")
        return value

    @staticmethod
    def _need(value: str | None, note: Note, name: str) -> str:
        if not value:
            raise OperatorError(f"the {note.step} note names no {name}")
        return value

    def _require_host(self, host: str) -> None:
        if not self.store.path(host).exists():
            raise OperatorError(f"unknown lab host {host!r} (no twin state)")

    # the record ---------------------------------------------------------------------------------------------
    def _log(self, **entry) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps({"ts": round(time.time(), 6), **entry}, sort_keys=True) + "\n")

    def done(self) -> set[tuple[str, str, str]]:
        """(host, step, issued) of every note an operator acted on (or chose to skip)."""
        if not self.log_path.exists():
            return set()
        entries = [json.loads(line) for line in self.log_path.read_text(encoding="utf-8").splitlines() if line]
        return {(e["host"], e["step"], e["issued"]) for e in entries}
