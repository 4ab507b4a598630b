"""Twin of community.windows.win_disk_facts, for the disk, its partitions and volumes (lab/twin/storage.py).

The `physical_disk`, `virtual_disk` and `win32_disk_drive` facts (storage pools, Win32_DiskDrive) are not
simulated: filter them out (`filter: [volumes]` gives partitions and volumes). Like the module it refuses a
process without an administrator's token.
"""

from ._basic import parse_args
from ._failures import not_simulated, twin_errors

CHOICES = ["physical_disk", "virtual_disk", "win32_disk_drive", "partitions", "volumes"]
OPTIONS = {"filter": {"type": "list", "elements": "str", "choices": CHOICES, "default": list(CHOICES)}}
NOT_MODELED = ("physical_disk", "virtual_disk", "win32_disk_drive")


def volume_facts(volume: dict) -> dict:
    return {"size": volume["size"], "size_remaining": volume["size_remaining"], "type": volume["file_system"],
            "label": volume["label"], "health_status": volume["health_status"], "drive_type": volume["drive_type"],
            "object_id": volume["object_id"], "path": volume["path"],
            "allocation_unit_size": volume["allocation_unit_size"]}


def partition_facts(part: dict, volumes: bool) -> dict:
    facts = {"number": part["number"], "size": part["size"], "type": part["type"],
             # a partition without a letter has the char 0, which ConvertTo-Json writes as "\u0000"
             "drive_letter": part["drive_letter"] or "\u0000", "transition_state": 1, "offset": part["offset"],
             "hidden": part["hidden"], "shadow_copy": False, "guid": part["guid"],
             "access_paths": part["access_paths"], "gpt_type": part["gpt_type"],
             "no_default_driveletter": part["no_default_driveletter"]}
    if volumes and part["volume"] is not None:
        facts["volumes"] = [volume_facts(part["volume"])]
    return facts


@twin_errors
def run(ctx):
    p = parse_args(ctx, "win_disk_facts", OPTIONS)
    if not ctx.twin.accounts.token(ctx.logon["user"], ctx.logon["authentication"])["administrator"]:
        ctx.fail("Module was not started with elevated rights")
    for name in NOT_MODELED:
        if name in p["filter"]:
            not_simulated(ctx, "win_disk_facts", f"filter {name}")
    disk = ctx.twin.storage.disk()
    facts = {k: v for k, v in disk.items() if k != "partitions"}
    if "partitions" in p["filter"] or "volumes" in p["filter"]:
        facts["partitions"] = [partition_facts(part, "volumes" in p["filter"]) for part in disk["partitions"]]
    return {"changed": False, "ansible_facts": {"ansible_disks": [facts]}}
