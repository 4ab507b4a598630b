"""Twin of ansible.windows.setup, for the fact subsets the lab models: windows_domain and powershell_version.

The subsets to gather are worked out as setup.ps1 does (`all` minus `!` exclusions plus explicit subsets, `!all`
keeping `min`, unknown values warned about); gathering any other subset (the `min` ones included, so call it
with `!all,!min`) is not simulated.
"""

from ..twin.wmi import DOMAIN_ROLES
from ._basic import parse_args
from ._failures import not_simulated, twin_errors

GROUPS = {
    "min": ["date_time", "distribution", "dns", "env", "local", "platform", "powershell_version", "user"],
    "network": ["all_ipv4_addresses", "all_ipv6_addresses", "interfaces", "windows_domain", "winrm"],
    "hardware": ["bios", "memory", "processor", "uptime", "virtual"],
    "external": ["facter"],
}
ALL = sorted({s for subsets in GROUPS.values() for s in subsets})
MODELED = ("windows_domain", "powershell_version")
DOMAIN_ROLE_NAMES = {0: "Stand-alone workstation", 1: "Member workstation", 2: "Stand-alone server",
                     3: "Member server", 4: "Backup domain controller", 5: "Primary domain controller"}
OPTIONS = {
    "_measure_subset": {"type": "bool", "default": False},
    "fact_path": {"type": "path"},
    "gather_subset": {"type": "list", "elements": "str", "default": ["all"]},
    "gather_timeout": {"type": "int", "default": 10},
}


def subsets(ctx, requested: list[str]) -> set[str]:
    actual, explicit, exclude = set(ALL), set(), set()
    for item in requested:
        if item.startswith("!"):
            item = item[1:]
            if item == "all":
                exclude |= set(ALL) - set(GROUPS["min"])
            elif item in GROUPS:
                exclude |= set(GROUPS[item])
            elif item in ALL:
                exclude.add(item)
        elif item in GROUPS:
            explicit |= set(GROUPS[item])
        elif item in ALL:
            explicit.add(item)
        else:
            ctx.warn(f"invalid value {item} specified in gather_subset")
    return (actual - exclude) | explicit


def windows_domain(twin) -> dict:
    """DsRoleGetPrimaryDomainInformation: the DNS domain of a joined host, else the workgroup."""
    role = DOMAIN_ROLES[twin.state["domain_role"]]
    joined = role not in (0, 2)
    return {"ansible_windows_domain": twin.state["domain"], "ansible_windows_domain_member": joined,
            "ansible_windows_domain_role": DOMAIN_ROLE_NAMES[role]}


@twin_errors
def run(ctx):
    extra = {k: {"type": "raw"} for k in ctx.params if not k.startswith("_") and k not in OPTIONS}
    p = parse_args(ctx, "setup", {**OPTIONS, **extra})
    version = str(ctx.twin.state["os"]["version"]).split(".")
    if (int(version[0]), int(version[1])) < (10, 0):
        ctx.warn(f"The Windows version '{version[0]}.{version[1]}' is no longer supported or tested by Ansible.")
    gather = subsets(ctx, p["gather_subset"])
    unmodeled = sorted(gather - set(MODELED))
    if unmodeled:
        not_simulated(ctx, "setup", f"gather_subset (facts {', '.join(unmodeled)})")
    facts = {"gather_subset": p["gather_subset"], "module_setup": True}
    if p["_measure_subset"]:
        facts["measure_info"] = {}
    if "windows_domain" in gather:
        facts.update(windows_domain(ctx.twin))
        if p["_measure_subset"]:
            facts["measure_info"]["windows_domain"] = 0.0
    if "powershell_version" in gather:
        facts["ansible_powershell_version"] = int(str(ctx.twin.powershell_version).split(".")[0])
        if p["_measure_subset"]:
            facts["measure_info"]["powershell_version"] = 0.0
    return {"changed": False, "ansible_facts": facts}
