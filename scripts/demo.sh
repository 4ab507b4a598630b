#!/usr/bin/env bash
# The demo on the built-in lab (`make demo` starts the lab first): the read-only assessment of every lab host,
# then the upgrade run as a dry run (--check --diff: nothing changes, it says what it would do, handoffs
# included), then the upgrade run itself: backups, installers, prerequisites, the in-place upgrades and the
# parallel deployments; then the cutover of one parallel deployment (DirSync -> its new server), first as a dry
# run. The lab's operator autopilot stands in for the human at each wizard step (a real run prints the
# instructions and waits: docs/runbook.md, docs/operator-runbook.md). Prints the report's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_DEPRECATION_WARNINGS=false
python -m lab reset >/dev/null   # every demo starts from the profiles
python -m lab autopilot off >/dev/null   # the dry run hands nothing over

step() { printf '\n==== %s\n\n' "$1"; }

# upgrade.yml exits 2 when servers stop (the lab's blocked servers always do, by design) and the report says why;
# anything else is a failure of the demo.
run_upgrade() {
  local rc=0
  ansible-playbook upgrade.yml "$@" || rc=$?
  if [ "$rc" -ne 0 ] && [ "$rc" -ne 2 ]; then
    echo "upgrade.yml failed (exit $rc)" >&2
    exit "$rc"
  fi
  [ "$rc" -eq 0 ] || echo "upgrade.yml: some servers stopped (exit 2); the report says where and why."
}

step "1/5 Assess every server (read-only)"
ansible-playbook playbooks/assess.yml || [ $? -eq 2 ]

step "2/5 The upgrade run as a dry run: upgrade.yml --check --diff (changes nothing)"
run_upgrade --check --diff

step "3/5 The upgrade run: back up, stage the installer, check the prerequisites, upgrade or deploy, verify"
python -m lab autopilot on --delay 2   # the lab's operator does each wizard step 2 s after its note appears
run_upgrade -e sync_upgrade_serial=4
python -m lab autopilot off >/dev/null

PAIR=dirsync-2008r2,target-2022
step "4/5 The cutover of $PAIR as a dry run: playbooks/cutover.yml --check --diff (changes nothing)"
ansible-playbook playbooks/cutover.yml --limit "$PAIR" --check --diff

step "5/5 The cutover: DirSync stops for good, target-2022 goes active and exports (never two exporting servers)"
python -m lab autopilot on --delay 2
ansible-playbook playbooks/cutover.yml --limit "$PAIR"
python -m lab autopilot off >/dev/null

echo
echo "Lab: make lab-status | make lab-down.  Backups: backups/<host>/.  Report (JSON, Markdown, HTML):"
echo "reports/$(readlink reports/latest)"
