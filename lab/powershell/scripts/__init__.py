"""Handlers for the project's own PowerShell scripts, keyed by their marker comment.

A project script starts with `# entra-sync-upgrade:<name> v<N>`; the lab runs the handler
registered here under <name>, against the twin, exactly where a real host would run the script.
"""

from . import backup_read, backup_stage, handoff_note, probe, services, settings_export, stdin_script, sync_engine

PROJECT_SCRIPTS: dict = {
    "probe": probe.run,  # plugins/plugin_utils/powershell/probe.ps1
    "stdin-script": stdin_script.run,  # _script.STDIN_BOOTSTRAP: runs the script sent on stdin
    "backup-stage": backup_stage.run,  # plugins/plugin_utils/powershell/backup-stage.ps1
    "backup-read": backup_read.run,  # plugins/plugin_utils/powershell/backup-read.ps1
    "settings-export": settings_export.run,  # plugins/plugin_utils/powershell/settings-export.ps1
    "handoff-note": handoff_note.run,  # plugins/plugin_utils/powershell/handoff-note.ps1
    "sync-engine": sync_engine.run,  # plugins/plugin_utils/powershell/sync-engine.ps1
    "services": services.run,  # plugins/plugin_utils/powershell/services.ps1
}
