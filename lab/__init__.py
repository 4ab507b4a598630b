"""The lab: simulated Windows sync servers ("twins") reached over real WinRM.

Layers (architecture.md section 4):
  wsman/       protocol: HTTP(S), authentication, WS-Man shells, faults, request log
  powershell/  what a host does with a command line: Ansible payloads, helper scripts, project scripts
  twin/        the models of one simulated host (state and rules) and their persistence
  modules/     Python twins of the ansible.windows modules the roles use
  profiles/    YAML descriptions of the hosts
"""
