r"""The Task Scheduler (2.0): tasks in the root folder, as the Schedule.Service COM object shows them.

As on Windows, a registered task is its XML file under %SystemRoot%\System32\Tasks and its key under
TaskCache\Tree; a task that has both exists. IRegisteredTask.Enabled reads the task's Settings/Enabled element
(absent = true), and setting it rewrites the file with that element (what the Task Scheduler UI, schtasks.exe
/Change /ENABLE|/DISABLE and Disable-ScheduledTask also do). IRegisteredTask.State is TASK_STATE: 1 Disabled,
3 Ready; the lab runs no task, so a task is never 4 (Running). Only tasks in the root folder are simulated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import NotSimulated

TASKS_DIR = "%SystemRoot%\\System32\\Tasks"
TREE = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree"
TASK_STATE_DISABLED, TASK_STATE_READY = 1, 3
# IRegisteredTask via COM: a task that does not exist fails with HRESULT 0x80070002
NOT_FOUND = "The system cannot find the file specified. (Exception from HRESULT: 0x80070002)"
_SETTINGS_ENABLED = re.compile(r"(<Settings>(?:(?!</Settings>).)*?)<Enabled>\s*(true|false)\s*</Enabled>", re.S)


class TaskNotFound(Exception):
    """ITaskFolder.GetTask of a name that is not registered."""


@dataclass(frozen=True)
class Task:
    name: str
    path: str  # the task's path as COM shows it: \<name>
    enabled: bool
    state: int


class TaskScheduler:
    def __init__(self, twin):
        self.twin = twin

    def _file(self, name: str) -> str:
        if not name or "\\" in name.strip("\\"):
            raise NotSimulated(f"scheduled task {name}: only tasks in the root folder")
        return self.twin.expand_env(f"{TASKS_DIR}\\{name.strip(chr(92))}")

    def _xml(self, path: str) -> tuple[str, bytes]:
        raw = self.twin.files.read(path)
        for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xef\xbb\xbf", "utf-8")):
            if raw.startswith(bom):
                return raw[len(bom):].decode(codec), bom
        return raw.decode("utf-8"), b""

    def get(self, name: str) -> Task:
        """ITaskFolder('\\').GetTask(name); TaskNotFound when no such task is registered."""
        path = self._file(name)
        short = name.strip("\\")
        if not self.twin.registry.key_exists(f"{TREE}\\{short}") or not self.twin.files.exists(path):
            raise TaskNotFound(NOT_FOUND)
        m = _SETTINGS_ENABLED.search(self._xml(path)[0])
        enabled = m is None or m.group(2) == "true"
        return Task(short, "\\" + short, enabled, TASK_STATE_READY if enabled else TASK_STATE_DISABLED)

    def set_enabled(self, name: str, enabled: bool) -> Task:
        """IRegisteredTask.Enabled = $true|$false: the task's file is rewritten with Settings/Enabled."""
        task = self.get(name)
        path = self._file(name)
        text, bom = self._xml(path)
        value = "true" if enabled else "false"
        if _SETTINGS_ENABLED.search(text):
            text = _SETTINGS_ENABLED.sub(lambda m: f"{m.group(1)}<Enabled>{value}</Enabled>", text, count=1)
        elif "<Settings>" in text:
            text = text.replace("<Settings>", f"<Settings><Enabled>{value}</Enabled>", 1)
        else:
            text = re.sub(r"(\s*)<Actions", lambda m: f"{m.group(1)}<Settings><Enabled>{value}</Enabled></Settings>"
                          f"{m.group(1)}<Actions", text, count=1)
        codec = "utf-16-le" if bom == b"\xff\xfe" else "utf-8"
        self.twin.files.write(path, bom + text.encode(codec))
        return self.get(task.name)
