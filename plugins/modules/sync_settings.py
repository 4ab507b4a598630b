#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_settings.py.

DOCUMENTATION = r"""
module: sync_settings
short_description: Export a sync server's settings to the controller, or push them to a new server, verified by SHA-256
description:
  - C(operation=export) on the source server, by C(method) (docs/configuration-compare.md, "Settings methods") -
    C(json_export) fetches the newest C(%ProgramData%\AADConnect\Applied-SynchronizationPolicy-*.json) (Connect
    1.5.42.0 and later); C(migrate_settings) runs C(MigrateSettings.ps1) (from the new server's wizard, given as
    O(script) with O(script_sha256); the server refuses it unless Microsoft signed it) and fetches the newest
    C(Exported-ServerConfiguration-*) folder; C(dirsync_export) fetches the file at O(path).
  - C(operation=fetch_wizard_file) fetches one file (O(path)), e.g. the target's C(Tools\MigrateSettings.ps1).
  - C(operation=export_config) runs C(Get-ADSyncServerConfiguration -Path) on a Connect host and fetches the files.
  - Fetched files land in C(<dest>/<host>/<kind>/) (folders 0700, files 0600) with C(manifest.json); each is
    hashed (SHA-256) on the server and again on the controller. Uses the project's PowerShell 2.0-safe scripts.
  - C(operation=push) copies the files of O(src) (a fetched folder) to the target's
    C(C:\ProgramData\EntraSyncUpgrade\settings\<source>\) and verifies each file's SHA-256 there
    (PowerShell 5.1 host).
  - The same files already in place leave everything unchanged; check mode plans and changes nothing.
version_added: 0.3.0
options:
  operation:
    description: What to do.
    type: str
    required: true
    choices: [export, fetch_wizard_file, export_config, push]
  method:
    description: How the source's settings are exported (C(operation=export)).
    type: str
    choices: [json_export, migrate_settings, dirsync_export]
  path:
    description: The server file to fetch (C(dirsync_export), C(fetch_wizard_file)).
    type: str
  dest:
    description: Absolute controller folder; files go to C(<dest>/<host>/<kind>/).
    type: path
  src:
    description: The controller folder to push (C(operation=push)).
    type: path
  source:
    description: The source server's inventory name, which is the folder name on the target (C(operation=push)).
    type: str
  script:
    description: The controller's copy of C(MigrateSettings.ps1) (C(method=migrate_settings)).
    type: path
  script_sha256:
    description: Its SHA-256, as fetched from the new server's wizard folder.
    type: str
  refresh:
    description: Run C(MigrateSettings.ps1) even when a folder it wrote is already on the source.
    type: bool
    default: false
  chunk_bytes:
    description: Bytes read per WinRM command (1 KiB to 16 MiB).
    type: int
    default: 4194304
attributes:
  check_mode: {support: full, description: Reports what would be produced, fetched or copied; changes nothing.}
  diff_mode: {support: none, description: Settings files are compared with the config_diff filter instead.}
  platform: {platforms: windows}
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Export the source's settings (Connect 1.5.42.0 or later)
  entra.sync_upgrade.sync_settings:
    operation: export
    method: json_export
    dest: "{{ playbook_dir }}/settings"
  delegate_to: "{{ sync_upgrade_source }}"
  register: __settings

- name: Push them to the new server
  entra.sync_upgrade.sync_settings:
    operation: push
    src: "{{ __settings.path }}"
    source: "{{ sync_upgrade_source }}"
"""

RETURN = r"""
status:
  description: C(done), C(unchanged) (the same files already there), C(planned) (check mode), C(failed) (the step-result statuses of docs/upgrade-run.md).
  returned: always
  type: str
path:
  description: The controller folder (fetched into, or pushed from).
  returned: always
  type: str
manifest:
  description: The controller's manifest.json of a fetch (null in check mode).
  returned: fetches
  type: str
located:
  description: What was found on the server (the file or folder), or the command run.
  returned: fetches
  type: str
files:
  description: Each file, C({name, size, sha256}).
  returned: always
  type: list
  elements: dict
plan:
  description: What would be (or was) done, one line per step.
  returned: always
  type: list
  elements: str
remote_folder:
  description: The target's folder (C(operation=push)).
  returned: push
  type: str
signer:
  description: MigrateSettings.ps1's Authenticode status and signer, as the server saw them.
  returned: when MigrateSettings.ps1 ran
  type: dict
"""
