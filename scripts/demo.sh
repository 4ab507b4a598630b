#!/usr/bin/env bash
# The demo on the built-in lab. Runs after `make lab-up` (the Makefile does both).
set -uo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_DEPRECATION_WARNINGS=false
echo "== Lab hosts answering over WinRM (HTTPS, NTLM, certificates validated against the lab CA) =="
ansible windows -m ansible.builtin.raw -a hostname
echo
echo "== ansible.windows.win_ping: PowerShell 5.1 hosts answer; legacy hosts fail as real ones do =="
ansible windows -m ansible.windows.win_ping
echo
echo "Lab state and request logs are in .lab/ (make lab-down stops the lab)."
