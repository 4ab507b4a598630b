#!/usr/bin/env bash
# The demo on the built-in lab. Runs after `make lab-up` (the Makefile does both).
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== Lab hosts answering over WinRM (HTTPS, NTLM, lab CA validated) =="
ansible windows -m ansible.builtin.raw -a hostname -o
echo
echo "== ansible.windows.win_ping: PowerShell 5.1 hosts succeed, legacy hosts fail as real ones do =="
ansible windows -m ansible.windows.win_ping -o
echo
echo "Lab state and request logs: .lab/   (make lab-down stops the lab)"
