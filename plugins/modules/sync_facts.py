#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation stub: the work is done on the controller by plugins/action/sync_facts.py.

DOCUMENTATION = r"""
module: sync_facts
short_description: Detect the directory-sync tool on a Windows server with one read-only WinRM command
description:
  - Sends one read-only PowerShell probe over the host's own WinRM connection and turns the evidence it
    returns (registry, services, file versions, WMI, SQL object counts, ADSync cmdlets) into facts on
    the controller.
  - The probe runs on PowerShell 2.0 and later and does not use Ansible's module wrapper (which needs
    PowerShell 5.1), so it works on legacy DirSync and Azure AD Sync servers.
  - Missing or garbled evidence gives C(unknown) and a warning, never a failure or a guess.
  - >-
    A host that cannot be assessed is not a failed task. The result's C(status) says why (C(unreachable),
    C(auth_failed), C(tls_failed), C(probe_failed)) and C(cause) says what to check, so the decision and the
    report still cover the host. With O(fail_unreachable=true) a connection failure fails the task instead.
  - Read-only, so it runs the same in check mode.
version_added: 0.1.0
options:
  fail_unreachable:
    description: Raise the connection error (Ansible marks the host unreachable) instead of returning C(status).
    type: bool
    default: false
attributes:
  check_mode: {support: full, description: Read-only; runs in check mode.}
  diff_mode: {support: none, description: Nothing changes, so there is no diff.}
  platform: {platforms: windows}
notes:
  - Costs one WinRM command per host, whatever it collects. The script travels over stdin because the
    Windows command line is limited to 8191 characters.
author: [entra-sync-upgrade developers]
"""

EXAMPLES = r"""
- name: Detect what runs on the sync servers
  entra.sync_upgrade.sync_facts:
  register: __detected

- name: Show the tool and version
  ansible.builtin.debug:
    msg: "{{ ansible_facts.sync.tool }} {{ ansible_facts.sync.version }}"
"""

RETURN = r"""
status:
  description:
    - C(assessed) when the probe ran and its evidence was classified; otherwise why not.
    - C(unreachable) no TCP connection or no answer in time; C(auth_failed) the host refused the credentials;
      C(tls_failed) the certificate check failed or the CA file is missing; C(probe_failed) the probe failed on
      the host.
  returned: always
  type: str
  sample: assessed
cause:
  description: What happened and what to check (the connection's error, or the host's error text decoded from CLIXML).
  returned: always (null when assessed)
  type: str
  sample: "the host refused the logon: check ansible_user and ansible_password ..."
ansible_facts:
  description: The detected facts, under C(sync).
  returned: when status is assessed
  type: dict
  contains:
    sync:
      description: What runs on the server. Every leaf may be C(unknown) (or null for numbers) when the evidence is missing.
      type: dict
      contains:
        tool: {description: "dirsync, aadsync, connect, mim_connector, none or unknown", type: str}
        product: {description: Product name as installed (Programs and Features display name)., type: str}
        version: {description: Installed build, e.g. C(2.3.20.0)., type: str}
        install_path: {description: Where the sync engine or tool is installed., type: str}
        services:
          description: Sync-related services found.
          type: list
          elements: dict
          contains:
            name: {type: str, description: Service name.}
            display_name: {type: str, description: Display name.}
            state: {type: str, description: "running, stopped, paused"}
            start_mode: {type: str, description: "auto, manual, disabled"}
            account: {type: str, description: Account the service runs as.}
        database:
          description: The sync database.
          type: dict
          contains:
            type: {type: str, description: "localdb, sql_express, sql or unknown"}
            server: {type: str, description: SQL server name.}
            instance: {type: str, description: SQL instance name (empty for a default instance).}
            name: {type: str, description: Database name.}
            size_mb: {type: int, description: Database size in MB, null when unknown.}
            version: {type: str, description: "SQL Server version (SERVERPROPERTY ProductVersion, e.g. 13.0.6300.2), null when unknown."}
        object_count: {type: int, description: Metaverse objects, null when unknown.}
        object_count_source: {type: str, description: "How it was counted, e.g. sql:mms_metaverse, or unknown."}
        staging_mode: {type: bool, description: True when the server is in staging mode; null when unknown.}
        scheduler:
          type: dict
          description: Sync scheduler state.
          contains:
            enabled: {type: bool, description: Sync cycles run (null when unknown).}
            suspended: {type: bool, description: Scheduler suspended (during upgrades).}
            interval: {type: str, description: Effective sync interval.}
            source: {type: str, description: Where the scheduler state was read.}
        auto_upgrade: {type: str, description: "Enabled, Suspended, Disabled, not_applicable or unknown"}
        connectors:
          type: list
          elements: dict
          description: Connectors (management agents) with name, type and identifier.
        tenant:
          type: str
          description:
            - "The Entra tenant the server syncs to, lower-case (e.g. contoso.onmicrosoft.com): read from the name
              the Connect wizard gives the Entra connector, C(<tenant> - AAD), on Connect and Azure AD Sync."
            - "C(unknown) for DirSync and the MIM connector (their management agent names carry no tenant) or when
              the connectors could not be read; C(none) without a sync tool."
        os:
          type: dict
          description: Operating system.
          contains:
            caption: {type: str, description: e.g. Microsoft Windows Server 2019 Standard}
            version: {type: str, description: e.g. 10.0.17763}
            build: {type: int, description: e.g. 17763}
            ubr: {type: int, description: "Update build revision (the fourth part of the OS build, e.g. 6901 in 26100.6901), null when unknown."}
            edition: {type: str, description: EditionID, e.g. ServerStandard}
            server_core: {type: bool, description: InstallationType is Server Core}
            domain_controller: {type: bool, description: The server is a domain controller}
            domain: {type: str, description: DNS domain}
            part_of_domain: {type: bool, description: "Joined to a domain (Win32_ComputerSystem.PartOfDomain), null when unknown."}
        powershell_version: {type: str, description: e.g. 2.0 or 5.1.17763.1}
        dotnet: {type: dict, description: ".NET Framework 4.x: release (int) and version (e.g. 4.8), or unknown."}
        tls12:
          type: dict
          description: The eight TLS 1.2 registry values Microsoft requires.
          contains:
            values: {type: dict, description: "'<key>\\\\<value name>' -> DWORD or null when missing"}
            enabled: {type: bool, description: All eight set as required.}
            missing: {type: list, elements: str, description: The values not set as required.}
        pending_reboot: {type: bool, description: A reboot is pending.}
        pending_reboot_reasons: {type: list, elements: str, description: Which evidence says so.}
        system_drive: {type: dict, description: "drive, free_bytes, size_bytes of the system drive"}
        computer_name:
          type: str
          description: The server's computer name as it reports it (%COMPUTERNAME%); C(unknown) when not read.
        wizard:
          type: dict
          description: >-
            The Connect wizard's files, whatever the engine (a parallel target has them once its installer stopped at
            Welcome).
          contains:
            version: {type: str, description: AzureADConnect.exe's file version; null when absent.}
            migrate_settings: {type: bool, description: "Tools\\MigrateSettings.ps1 is there (null: not read)."}
        unfinished_upgrade:
          type: dict
          description: >-
            The toolkit suspended the sync scheduler for an upgrade and has not put it back yet (its record under
            HKLM\\SOFTWARE\\EntraSyncUpgrade): the next run finishes that upgrade. Null when there is none.
          contains:
            scheduler_before: {type: str, description: "How the scheduler was: enabled, disabled or unknown."}
        deployment:
          type: dict
          description: >-
            The toolkit's mark on a parallel target (%ProgramData%\\EntraSyncUpgrade\\deployment.json): which source's
            deployment it carries. Null when there is none.
          contains:
            source: {type: str, description: The source's inventory name.}
            source_computer: {type: str, description: The source's computer name.}
            started: {type: str, description: When the deployment started (UTC).}
        warnings: {type: list, elements: str, description: Evidence that was missing or contradictory.}
        evidence_errors: {type: list, elements: str, description: Errors the probe reported.}
"""
