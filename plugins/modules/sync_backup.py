#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_backup.py.

DOCUMENTATION = r"""
module: sync_backup
short_description: Back up a sync server's configuration to the controller, verified by SHA-256
description:
  - Collects what a sync server's configuration consists of (files, registry keys, a fresh
    C(Get-ADSyncServerConfiguration) export, the scheduler settings, optionally the sync database) into a
    staging folder on the server, fetches it in chunks to C(<dest>/<host>/<UTC stamp>/) and verifies every file
    by its SHA-256, computed on the server and again on the controller. Writes C(manifest.json) beside the files.
  - Uses the project's PowerShell 2.0-safe scripts over the host's raw WinRM connection, so it works on DirSync
    (Windows Server 2008 R2, PowerShell 2.0) and Azure AD Sync servers, where Ansible's fetch cannot run.
  - What each tool's backup holds is listed in the role README (roles/sync_backup/README.md).
  - Folders are created 0700 and files 0600. A backup that fails verification is kept, marked C(failed) in its
    manifest.
  - A failure is reported in C(status) and C(cause), not as a failed task, so the caller can record it first.
version_added: 0.2.0
options:
  facts:
    description: The server's detected facts (C(sync_assess_result.facts) of the sync_assess role).
    type: dict
    required: true
  dest:
    description: Absolute folder on the controller that holds the backups, one subfolder per host.
    type: path
    required: true
  database:
    description:
      - Include the sync database. LocalDB files are copied with the ADSync service stopped (sync pauses; the
        service is started again whatever happens); SQL Server databases get a C(BACKUP DATABASE ... WITH
        COPY_ONLY) in the instance's backup folder, moved into the backup. DirSync's database is always
        included, as its configuration lives there.
    type: bool
    default: false
  max_age_hours:
    description:
      - Reuse the newest verified backup of this host younger than this, when the configuration files it holds
        are unchanged on the server (name, size, time and hash). C(0) always takes a new backup.
    type: float
    default: 4
  vault_id:
    description:
      - Encrypt every backup file with the Ansible Vault secret of this id after verification (load it with
        C(--vault-id)). The manifest stays readable; it lists names, sizes and hashes, no secrets.
    type: str
  chunk_bytes:
    description: Bytes read per WinRM command (1 KiB to 16 MiB).
    type: int
    default: 4194304
  lock_wait_seconds:
    description: How long the server waits for LocalDB to release its files after ADSync stops.
    type: int
    default: 300
attributes:
  check_mode: {support: full, description: Reports the plan (what would be copied, stopped and fetched) and changes nothing.}
  diff_mode: {support: none, description: A backup has no before and after.}
  platform: {platforms: windows}
notes:
  - C(changed) is true when the backup stopped a service (the database copy of a LocalDB server); a backup of
    files, registry and exports leaves the server as it was.
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Back up the sync configuration
  entra.sync_upgrade.sync_backup:
    facts: "{{ sync_assess_result.facts }}"
    dest: "{{ playbook_dir }}/backups"
  register: __backup
"""

RETURN = r"""
status:
  description: C(done) (a new verified backup), C(unchanged) (a young verified backup reused), C(planned) (check mode), C(failed).
  returned: always
  type: str
cause:
  description: Why the backup failed; null otherwise.
  returned: always
  type: str
path:
  description: The backup's folder on the controller (null in check mode).
  returned: always
  type: str
manifest:
  description: The path of C(manifest.json).
  returned: always
  type: str
created_at:
  description: When the backup was taken (UTC, ISO 8601).
  returned: always
  type: str
reused:
  description: An earlier backup was reused.
  returned: always
  type: bool
plan:
  description: What the backup does (or did), one line per item, in the words a change board reads.
  returned: always
  type: list
  elements: str
files:
  description: Number of files in the backup.
  returned: always
  type: int
bytes:
  description: Bytes in the backup (in check mode, the estimate).
  returned: always
  type: int
database:
  description: The sync database is part of the backup.
  returned: always
  type: bool
service:
  description: The service stopped for the database copy (name, before, after, stopped_seconds), or null.
  returned: always
  type: dict
encrypted:
  description: The files are encrypted with Ansible Vault.
  returned: always
  type: bool
"""
