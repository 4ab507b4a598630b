"""Handlers for the project's own PowerShell scripts, keyed by their marker comment.

A project script starts with `# entra-sync-upgrade:<name> v<N>`; the lab runs the handler
registered here under <name>, against the twin, exactly where a real host would run the script.
"""

PROJECT_SCRIPTS: dict = {}
