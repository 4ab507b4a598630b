# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the upgrade asks of a server, by Microsoft's rules: how settings move to a parallel target, whether a
Connect server may upgrade itself, and the wizard steps handed to an operator (instructions and the state the
run then waits for).

The step catalog is the one place that words a handoff: the roles, the report and docs/runbook.md all show
these texts (tests/unit/plugins/plugin_utils/test_upgrade_plan.py renders the runbook's examples from here).
Sources: docs/product-facts.md sections 1 (DirSync), 2 (import/export, MigrateSettings, auto-upgrade), 6
(the wizard's switches).
"""

from __future__ import annotations

from ._version import version_below

# Connect's JSON export of its settings shipped in 1.5.42.0 (July 2020); older servers use MigrateSettings.ps1
EXPORT_SINCE = "1.5.42.0"
DIRSYNC_IN_PLACE_LIMIT = 50_000  # objects; at or above, DirSync's wizard only offers to export its settings
AUTO_UPGRADE_OBJECT_LIMIT = 100_000
AUTO_UPGRADE_LOCALDB_MB = 8 * 1024
AUTO_UPGRADE_SINCE = "2.3.20.0"  # builds before it stop receiving automatic upgrades (TLS 1.2 enforcement)
WIZARD_FOLDER = "C:\\Program Files\\Microsoft Azure Active Directory Connect"
WIZARD_EXE = WIZARD_FOLDER + "\\AzureADConnect.exe"
MIGRATE_SETTINGS = WIZARD_FOLDER + "\\Tools\\MigrateSettings.ps1"
SETTINGS_FOLDER = "C:\\ProgramData\\EntraSyncUpgrade\\settings"

METHODS = {
    "json_export": "Connect 1.5.42.0 and later: the settings JSON the wizard writes "
                   "(%ProgramData%\\AADConnect\\Applied-SynchronizationPolicy-*.json), imported on the new server "
                   "with Import synchronization settings",
    "migrate_settings": "Connect before 1.5.42.0: MigrateSettings.ps1 from the new server's wizard folder, run on "
                        "the old server; its Exported-ServerConfiguration folder is imported on the new server",
    "dirsync_export": "DirSync: the Connect wizard's Export settings on the DirSync server (AzureADConnect.exe "
                      "/ForceExport below 50,000 objects), imported with AzureADConnect.exe /migrate",
    "manual": "no export Microsoft documents works on this source: the new server is configured by hand in the "
              "wizard from the backup, and the configuration comparison proves it equal",
}


def settings_method(facts: dict | None) -> dict:
    """{method, why} for moving a source's settings to its parallel target."""
    facts = facts or {}
    tool, version = facts.get("tool"), facts.get("version")
    if tool == "connect":
        below = version_below(version, EXPORT_SINCE)
        if below is None:
            return {"method": "unknown", "why": f"Connect version {version!r} unknown: cannot choose between the "
                                                "JSON export and MigrateSettings.ps1"}
        method = "migrate_settings" if below else "json_export"
    elif tool == "dirsync":
        method = "dirsync_export"
    elif tool == "aadsync":
        return {"method": "manual", "why": "Azure AD Sync: MigrateSettings.ps1 needs the Connect wizard's WizardPath "
                                           "registry value, which Azure AD Sync does not have, and it has no JSON "
                                           "export; " + METHODS["manual"]}
    elif tool == "mim_connector":
        return {"method": "manual", "why": "FIM/MIM with the Azure AD connector: its configuration is a MIM "
                                           "management agent, which Connect cannot import; " + METHODS["manual"]}
    else:
        return {"method": "unknown", "why": f"no settings transfer for tool {tool!r}"}
    return {"method": method, "why": METHODS[method]}


def auto_upgrade_eligibility(facts: dict | None) -> dict:
    """Whether Microsoft's automatic upgrade can carry this Connect server, by the conditions the facts show.

    {eligible: true|false|null, state, met: [...], unmet: [...], unverified: [...]}: `eligible` is true only when
    no checkable condition fails; conditions the run cannot read stay listed as unverified (the report shows
    them), so true means "nothing seen prevents it", never a promise that Microsoft offers a build."""
    facts = facts or {}
    met, unmet, unverified = [], [], []

    def check(ok, text):
        (unverified if ok is None else met if ok else unmet).append(text)

    if facts.get("tool") != "connect":
        return {"eligible": False, "state": facts.get("auto_upgrade"), "met": [], "unverified": [],
                "unmet": ["automatic upgrade exists only for Azure AD Connect / Entra Connect"]}
    state = facts.get("auto_upgrade")
    check(None if state not in ("Enabled", "Suspended", "Disabled") else state != "Suspended",
          f"auto-upgrade state is {state} (Suspended means Microsoft found the server not eligible)")
    below = version_below(facts.get("version"), AUTO_UPGRADE_SINCE)
    check(None if below is None else not below, f"version {facts.get('version')} at least {AUTO_UPGRADE_SINCE}")
    database = facts.get("database") or {}
    db_type = database.get("type")
    check(None if db_type in (None, "unknown") else db_type == "localdb", f"database is LocalDB (found {db_type})")
    size = database.get("size_mb")
    check(None if not isinstance(size, int) else size < AUTO_UPGRADE_LOCALDB_MB,
          f"LocalDB below 8 GB (found {size} MB)")
    count = facts.get("object_count")
    check(None if not isinstance(count, int) else count < AUTO_UPGRADE_OBJECT_LIMIT,
          f"fewer than {AUTO_UPGRADE_OBJECT_LIMIT:,} metaverse objects (found {count})")
    tls = (facts.get("tls12") or {}).get("enabled")
    check(tls, "the eight TLS 1.2 registry values set" + ("" if tls is not False else " (some are missing)"))
    unverified += ["installed with Express settings (or upgraded from DirSync)",
                   "the AD connector account is the default MSOL_ account",
                   "Connect Health upload enabled (automatic upgrade needs its endpoints)"]
    return {"eligible": False if unmet else True, "state": state, "met": met, "unmet": unmet,
            "unverified": unverified}


def _check(fact: str, text: str, **condition) -> dict:
    return {"fact": fact, "text": text, **condition}


def handoff_step(step: str, ctx: dict) -> dict:
    """{step, title, instructions, parameters, expect} for one wizard step.

    ctx: computer (the server's name), installer (staged path), sha256, version (target), signer, and per step:
    settings (path on the target), settings_kind (file name to choose), source, export_to, installer_from,
    object_count, connectors (how many the source has), source_summary (lines), staging (bool)."""
    builder = _STEPS.get(step)
    if builder is None:
        raise ValueError(f"unknown handoff step {step!r}; known: {', '.join(sorted(_STEPS))}")
    out = builder(ctx)
    out["step"] = step
    return out


def _installer_line(ctx) -> str:
    return (f"Run the staged installer {ctx['installer']} (verified by the run: SHA-256 {ctx.get('sha256') or '?'}, "
            f"signed by {ctx.get('signer') or 'Microsoft Corporation'}, version {ctx['version']}).")


def _version_checks(ctx) -> list[dict]:
    return [_check("tool", "the sync engine is Entra Connect", equals="connect"),
            _check("version", f"Entra Connect reports version {ctx['version']} or later", at_least=ctx["version"]),
            _check("services.ADSync.state", "the ADSync service runs", equals="running")]


def _upgrade(ctx) -> dict:
    legacy = ctx.get("tool") in ("dirsync", "aadsync")
    credentials = ("the Entra credentials of DirSync's own sync account holder and an Enterprise Admin account "
                   "(the upgrade resets DirSync's account passwords)" if ctx.get("tool") == "dirsync" else
                   "a Hybrid Identity Administrator (or Global Administrator) account of the tenant")
    steps = [
        f"Sign in to {ctx['computer']} as a local Administrator who is in ADSyncAdmins (for a full SQL "
        "database also db_owner of the sync database).",
        "Close the Synchronization Service Manager and the Synchronization Rules Editor if they are open.",
        _installer_line(ctx),
        f"In the wizard, accept the license terms and choose Upgrade. Have {credentials} ready.",
        "On the last page, clear \"Start the synchronization process when configuration completes\": the run "
        "turns the scheduler back on itself and starts a delta cycle.",
        "Select Upgrade, wait for \"Configuration complete\", select Exit.",
    ]
    if legacy:
        steps.insert(4, "The wizard removes the old sync tool as part of the upgrade (Microsoft's documented "
                        "path); do not uninstall it first.")
    return {"title": f"Upgrade in place to Entra Connect {ctx['version']}", "instructions": steps,
            "parameters": {"Installer": ctx["installer"], "Version": ctx["version"]},
            "expect": _version_checks(ctx)}


def _auto_upgrade(ctx) -> dict:
    return {
        "title": f"Wait for Microsoft's automatic upgrade to {ctx['version']} or later",
        "instructions": [
            f"Nothing to run on {ctx['computer']}: the run enabled automatic upgrade, and Microsoft's service "
            "upgrades the server when it offers a build (only some builds are offered, after a random delay).",
            "Keep the Synchronization Service Manager closed: automatic upgrade pauses while it is open.",
            "Events of the upgrade are in the Application log, source \"Microsoft Entra Connect Upgrade\" (older "
            "builds: an Azure AD name), IDs 300-399.",
        ],
        "parameters": {"Version": ctx["version"]},
        "expect": _version_checks(ctx),
    }


def _wizard_files(ctx) -> dict:
    return {
        "title": "Start the Entra Connect installer and stop at Welcome (MigrateSettings.ps1 comes with it)",
        "instructions": [
            f"Sign in to {ctx['computer']} (the new server) as a local Administrator.",
            _installer_line(ctx),
            "When the wizard shows its Welcome page, close it: nothing is configured yet. The installer has put "
            f"the wizard and {MIGRATE_SETTINGS} on this server; the run copies that script to the old server.",
        ],
        "parameters": {"Installer": ctx["installer"], "Version": ctx["version"]},
        "expect": [_check("wizard.version", f"the Connect wizard {ctx['version']} is on the server",
                          at_least=ctx["version"]),
                   _check("wizard.migrate_settings", "Tools\\MigrateSettings.ps1 is there", equals=True)],
    }


def _dirsync_export(ctx) -> dict:
    count = ctx.get("object_count")
    below = isinstance(count, int) and count < DIRSYNC_IN_PLACE_LIMIT
    how = ([f"Close the wizard. In a command prompt run \"{WIZARD_EXE}\" /ForceExport (this server has "
            f"{count:,} objects, below 50,000, so the wizard would otherwise offer the in-place upgrade)."]
           if below else ["On the analysis page the wizard recommends a parallel deployment (50,000 objects or "
                          "more): select Export settings."])
    return {
        "title": "Export DirSync's settings with the Entra Connect wizard",
        "instructions": [
            f"Sign in to {ctx['computer']} (the DirSync server) as a local Administrator.",
            f"Copy the verified installer from {ctx['installer_from']} to this server and check its SHA-256 "
            f"{ctx.get('sha256') or '?'} (certutil -hashfile <file> SHA256).",
            "Run the copied installer and accept the license terms.",
            *how,
            f"Select Export settings and save the file as {ctx['export_to']}.",
            "Close the wizard. Do not upgrade or change DirSync on this server: it stays the active server until "
            "the cutover.",
        ],
        "parameters": {"Installer-From": ctx["installer_from"], "Export-To": ctx["export_to"]},
        "expect": [_check(f"files.{ctx['export_to']}.exists", f"the settings file {ctx['export_to']} exists",
                          equals=True)],
    }


def _staging_lines() -> list[str]:
    return ["On Ready to configure keep \"Enable staging mode\" selected, and clear \"Start the synchronization "
            "process when configuration completes\": the run starts the full import and sync itself.",
            "Select Install, wait for \"Configuration complete\", select Exit."]


def _staged_checks(ctx) -> list[dict]:
    return [*_version_checks(ctx),
            _check("staging_mode", "staging mode is on (the new server imports and syncs, never exports)",
                   equals=True),
            _check("connectors", f"the imported connectors are there ({ctx.get('connectors') or 2} or more)",
                   count_at_least=int(ctx.get("connectors") or 2))]


def _install_import(ctx) -> dict:
    return {
        "title": f"Install Entra Connect {ctx['version']} with the old server's settings, in staging mode",
        "instructions": [
            f"Sign in to {ctx['computer']} (the new server) as a local Administrator.",
            _installer_line(ctx),
            "On Welcome select Customize (not Express settings).",
            f"Select \"Import synchronization settings\" and choose {ctx['settings']}"
            + (f" ({ctx['settings_kind']} in that folder)." if ctx.get("settings_kind") else "."),
            "Keep the database and service account choices as the old server had them (the import does not carry "
            "them), and re-enter the AD connector credentials when asked.",
            *_staging_lines(),
        ],
        "parameters": {"Installer": ctx["installer"], "Settings": ctx["settings"], "Staging": "on",
                       "Source": ctx.get("source", "")},
        "expect": _staged_checks(ctx),
    }


def _install_migrate(ctx) -> dict:
    return {
        "title": f"Install Entra Connect {ctx['version']} from DirSync's exported settings, in staging mode",
        "instructions": [
            f"Sign in to {ctx['computer']} (the new server) as a local Administrator.",
            _installer_line(ctx),
            f"When the wizard opens, close it. In a command prompt run \"{WIZARD_EXE}\" /migrate.",
            f"Choose the settings file {ctx['settings']}.",
            "Keep the default SQL Server Express database (never DirSync's own instance) unless the new server "
            "has its own SQL Server, and the default service account.",
            *_staging_lines(),
        ],
        "parameters": {"Installer": ctx["installer"], "Settings": ctx["settings"], "Staging": "on",
                       "Source": ctx.get("source", "")},
        "expect": _staged_checks(ctx),
    }


def _install_manual(ctx) -> dict:
    summary = list(ctx.get("source_summary") or [])
    return {
        "title": f"Install Entra Connect {ctx['version']} configured like {ctx.get('source')}, in staging mode",
        "instructions": [
            f"Sign in to {ctx['computer']} (the new server) as a local Administrator.",
            _installer_line(ctx),
            "On Welcome select Customize (not Express settings); no settings file exists for this source.",
            f"Configure the same directories, filtering and features as {ctx.get('source')} has (its backup is on "
            "the controller; the report lists its connectors):",
            *[f"  - {line}" for line in summary],
            *_staging_lines(),
        ],
        "parameters": {"Installer": ctx["installer"], "Source": ctx.get("source", ""), "Staging": "on"},
        "expect": _staged_checks(ctx),
    }


def _staging(ctx, on: bool) -> dict:
    """Staging mode is switched only in the wizard (Configure staging mode): Microsoft's DirSync upgrade page for
    the cutover, the staging-server page for the way back."""
    role = ctx.get("role") or ("the server" if on else "the new server")
    why = ctx.get("why") or ""
    return {
        "title": f"Turn staging mode {'on' if on else 'off'} on {ctx['computer']}",
        "instructions": [
            f"Sign in to {ctx['computer']} ({role}) as a local Administrator who is in ADSyncAdmins.",
            *([why] if why else []),
            "Open Microsoft Entra Connect from the Start menu or the desktop (the configuration wizard, not the "
            "installer package) and select Configure.",
            "Select Configure staging mode, Next, and sign in with a Hybrid Identity Administrator account.",
            f"{'Select' if on else 'Clear'} \"Enable staging mode\" and select Next.",
            "On Ready to configure clear \"Start the synchronization process when configuration completes\": the "
            "run starts the cycle itself and checks its results." if not on else
            "On Ready to configure keep \"Start the synchronization process when configuration completes\" as it is.",
            "Select Configure, wait for \"Configuration complete\", select Exit.",
        ],
        "parameters": {"Staging": "on" if on else "off"},
        "expect": [_check("tool", "the sync engine is Entra Connect", equals="connect"),
                   _check("staging_mode", f"staging mode is {'on' if on else 'off'}", equals=on),
                   _check("services.ADSync.state", "the ADSync service runs", equals="running")],
    }


def _staging_off(ctx) -> dict:
    return _staging(ctx, False)


def _staging_on(ctx) -> dict:
    return _staging(ctx, True)


_STEPS = {"upgrade": _upgrade, "auto_upgrade": _auto_upgrade, "wizard_files": _wizard_files, "dirsync_export": _dirsync_export,
          "install_import": _install_import, "install_migrate": _install_migrate, "install_manual": _install_manual,
          "staging_off": _staging_off, "staging_on": _staging_on}
STEPS = tuple(_STEPS)
