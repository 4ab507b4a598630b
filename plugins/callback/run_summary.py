# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Callback: print the run's short summary last, after the play recap (where a person looks when a run ends)."""

from __future__ import annotations

from ansible import constants as C
from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: run_summary
type: aggregate
short_description: End the run with its short summary and the report's path
description:
  - After the play recap, prints the lines role C(entra.sync_upgrade.sync_report) stored with
    C(ansible.builtin.set_stats) under C(sync_run_summary) - servers per decision, how the change went, the
    servers that need action, and where the report is. Prints nothing when no report was written.
  - Stays quiet under a machine-readable stdout callback (JSON), whose output must stay parseable; the lines are
    in its custom stats there.
requirements:
  - enabled in ansible.cfg (C(callbacks_enabled = entra.sync_upgrade.run_summary)), as this project's is
"""

EXAMPLES = r"""
# ansible.cfg: keep the default stdout callback and add this one
# [defaults]
# callbacks_enabled = entra.sync_upgrade.run_summary
#
# or for one run:
# ANSIBLE_CALLBACKS_ENABLED=entra.sync_upgrade.run_summary ansible-playbook playbooks/assess.yml
"""

STAT = "sync_run_summary"


def machine_readable(stdout_callback: str | None) -> bool:
    return str(stdout_callback or "").rsplit(".", 1)[-1] in ("json", "jsonl")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "entra.sync_upgrade.run_summary"
    CALLBACK_NEEDS_ENABLED = True

    def v2_playbook_on_stats(self, stats):
        lines = (getattr(stats, "custom", {}).get("_run") or {}).get(STAT)
        if not lines or machine_readable(C.DEFAULT_STDOUT_CALLBACK):
            return
        self._display.display("\n".join(str(line) for line in lines))
