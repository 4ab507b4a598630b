# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the project's changing action plugins turn their work into a task result: the work's own failure, or a
lost connection, becomes status `failed` with its cause (a published result, not a traceback), and a failed
status fails the task with that cause as its message."""

from __future__ import annotations

from collections.abc import Callable

from ansible.errors import AnsibleError
from ansible.module_utils.common.text.converters import to_text

from ._detect import is_connection_error


def failed(cause: str) -> dict:
    return {"status": "failed", "changed": False, "cause": cause}


def guarded(work: Callable[[], dict], failures: tuple[type[Exception], ...], during: str) -> dict:
    """work()'s outcome; one of `failures`, or a connection that failed `during` the work, as a failed outcome."""
    try:
        return work()
    except failures as exc:
        return failed(str(exc))
    except AnsibleError as exc:
        if not is_connection_error(exc):
            raise
        return failed(f"the connection failed during {during}: {to_text(exc)}")


def task_result(result: dict, outcome: dict, defaults: dict) -> dict:
    """The task's result: the outcome over the keys every result has (defaults); failed with its cause."""
    outcome = {**defaults, "cause": None, **outcome}
    if outcome["status"] == "failed":
        outcome.update(failed=True, msg=outcome["cause"])
    return {**result, **outcome}
