#!/usr/bin/env bash
# The demo on the built-in lab (`make demo` starts the lab first): a read-only assessment of every lab
# host, over WinRM, and the fleet report. Prints the report's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_DEPRECATION_WARNINGS=false
python -m lab reset >/dev/null   # every demo starts from the profiles
ansible-playbook playbooks/assess.yml
echo
echo "Lab: make lab-status | make lab-down.  Report (JSON, Markdown, HTML):"
echo "reports/$(readlink reports/latest)"
