"""The Task Scheduler model (lab/twin/scheduledtasks.py): a task is its file and its TaskCache key; enabling and
disabling rewrite the task's Settings/Enabled, which the detection reads back."""

from __future__ import annotations

import pytest

from lab.config import PROFILES_DIR
from lab.twin.errors import NotSimulated
from lab.twin.host import Twin
from lab.twin.scheduledtasks import TASK_STATE_DISABLED, TASK_STATE_READY, TaskNotFound, TaskScheduler

TASK = "Azure AD Sync Scheduler"
TASK_FILE = r"C:\Windows\System32\Tasks\Azure AD Sync Scheduler"


def aadsync() -> Twin:
    return Twin.from_profile("h", "aadsync_2012r2", PROFILES_DIR)


def test_the_aadsync_task_reads_as_enabled_and_ready():
    task = TaskScheduler(aadsync()).get(TASK)
    assert (task.path, task.enabled, task.state) == ("\\" + TASK, True, TASK_STATE_READY)


def test_disabling_writes_settings_enabled_false_and_the_trigger_keeps_its_own():
    twin = aadsync()
    task = TaskScheduler(twin).set_enabled(TASK, False)
    assert (task.enabled, task.state) == (False, TASK_STATE_DISABLED)
    xml = twin.files.read(TASK_FILE).decode()
    assert "<Settings><Enabled>false</Enabled></Settings>" in xml
    assert "<Enabled>true</Enabled></TimeTrigger>" in xml
    assert xml.index("<Settings>") < xml.index("<Actions")
    again = TaskScheduler(twin).set_enabled(TASK, True)
    assert again.enabled and "<Settings><Enabled>true</Enabled></Settings>" in twin.files.read(TASK_FILE).decode()
    assert TaskScheduler(twin).set_enabled(TASK, False).enabled is False  # an existing Settings element is edited
    assert twin.files.read(TASK_FILE).decode().count("<Settings>") == 1


def test_a_task_needs_both_its_file_and_its_taskcache_key():
    twin = aadsync()
    twin.registry.delete_key(r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion\Schedule\TaskCache\Tree" + "\\" + TASK)
    with pytest.raises(TaskNotFound, match="0x80070002"):
        TaskScheduler(twin).get(TASK)
    connect = Twin.from_profile("h", "connect_2_3_2019", PROFILES_DIR)
    with pytest.raises(TaskNotFound):
        TaskScheduler(connect).get(TASK)


def test_tasks_outside_the_root_folder_are_not_simulated():
    with pytest.raises(NotSimulated):
        TaskScheduler(aadsync()).get("Microsoft\\Windows\\Defrag\\ScheduledDefrag")
