"""Twin of ansible.windows.setup: every fact subset setup.ps1 gathers, from the twin's models (the host's state,
registry, environment, accounts, power, the machine's hardware in twin/machine.py and the WinRM listener's
certificate). The subsets to gather are worked out as setup.ps1 does (`all` minus `!` exclusions plus explicit
subsets, `!all` keeping `min`, unknown values warned about). Not simulated: `fact_path` (local facts) and a
facter.exe on the PATH (the lab models none: the PATH folders the base layer lists have no facter.exe).
"""

import datetime
import fnmatch
import hashlib
import math
import ntpath
import time

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from ..twin import power, winrm
from ..twin.wmi import DOMAIN_ROLES
from . import LISTENER_CERTIFICATES
from ._basic import parse_args
from ._failures import not_simulated, twin_errors
from .win_reboot_info import truthy
from .win_reboot_info import value as reg_value

GROUPS = {
    "min": ["date_time", "distribution", "dns", "env", "local", "platform", "powershell_version", "user"],
    "network": ["all_ipv4_addresses", "all_ipv6_addresses", "interfaces", "windows_domain", "winrm"],
    "hardware": ["bios", "memory", "processor", "uptime", "virtual"],
    "external": ["facter"],
}
ALL = sorted({s for subsets in GROUPS.values() for s in subsets})
DOMAIN_ROLE_NAMES = {0: "Stand-alone workstation", 1: "Member workstation", 2: "Stand-alone server",
                     3: "Member server", 4: "Backup domain controller", 5: "Primary domain controller"}
OPTIONS = {
    "_measure_subset": {"type": "bool", "default": False},
    "fact_path": {"type": "path"},
    "gather_subset": {"type": "list", "elements": "str", "default": ["all"]},
    "gather_timeout": {"type": "int", "default": 10},
}
CURRENT_VERSION = "HKLM\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion"
LANMAN_PARAMETERS = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\LanmanServer\\Parameters"
CENTRAL_PROCESSOR = "HKLM\\HARDWARE\\DESCRIPTION\\System\\CentralProcessor"
# setup.ps1's virtual subset: SMBIOS model patterns, then manufacturers (first match wins)
VIRTUAL_MODELS = {"kvm": ("KVM", "KVM Server", "Bochs", "AHV", "CloudStack KVM Hypervisor"),
                  "RHEV": ("RHEV Hypervisor",), "VMware": ("VMWare*",),
                  "openstack": ("OpenStack Compute", "OpenStack Nova"), "xen": ("xen", "HVM domU"),
                  "Hyper-V": ("Virtual Machine",), "VirtualBox": ("VirtualBox",)}
VIRTUAL_MANUFACTURERS = {"kvm": ("QEMU", "oVirt", "Amazon EC2", "DigitalOcean", "Google", "Scaleway", "Nutanix"),
                         "KubeVirt": ("KubVirt",), "parallels": ("Parallels Software International Inc.",),
                         "openstack": ("OpenStack Foundation",)}


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


def _domain_joined(twin) -> bool:
    return DOMAIN_ROLES[twin.state["domain_role"]] not in (0, 2)


def windows_domain(ctx) -> dict:
    """DsRoleGetPrimaryDomainInformation: the DNS domain of a joined host, else the workgroup."""
    twin = ctx.twin
    return {"ansible_windows_domain": twin.state["domain"], "ansible_windows_domain_member": _domain_joined(twin),
            "ansible_windows_domain_role": DOMAIN_ROLE_NAMES[DOMAIN_ROLES[twin.state["domain_role"]]]}


def powershell_version(ctx) -> dict:
    return {"ansible_powershell_version": int(str(ctx.twin.powershell_version).split(".")[0])}


def os_version(twin) -> str:
    """[Environment]::OSVersion.Version: major.minor.build.revision, the service pack in the revision's high word."""
    major, minor = str(twin.state["os"]["version"]).split(".")[:2]
    csd = reg_value(twin.registry, CURRENT_VERSION, "CSDVersion") if major == "6" else None
    pack = int(str(csd).rsplit(" ", 1)[-1]) if csd else 0
    return f"{major}.{minor}.{twin.state['os']['build']}.{pack * 65536}"


def _product_type(twin) -> int:
    return 2 if "controller" in twin.state["domain_role"] else 3


def distribution(ctx) -> dict:
    twin = ctx.twin
    version = os_version(twin)
    install_time = reg_value(twin.registry, CURRENT_VERSION, "InstallTime")
    install_date = None
    if install_time:
        epoch = int(install_time) / 10**7 - 11644473600
        install_date = datetime.datetime.fromtimestamp(epoch, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    caption = twin.wmi.instances("root\\cimv2", "Win32_OperatingSystem")[0]["Caption"]
    return {"ansible_distribution": caption, "ansible_distribution_version": version,
            "ansible_distribution_major_version": version.split(".")[0], "ansible_os_family": "Windows",
            "ansible_os_name": caption, "ansible_os_product_type": {1: "workstation", 2: "domain_controller",
                                                                    3: "server"}[_product_type(twin)],
            "ansible_os_installation_type": reg_value(twin.registry, CURRENT_VERSION, "InstallationType"),
            "ansible_os_install_date": install_date}


def env(ctx) -> dict:
    # setup.ps1 trims a trailing backslash (ConvertTo-Json once failed on it)
    return {"ansible_env": {k: v.rstrip("\\") for k, v in ctx.environment.items()}}


def local(ctx, fact_path) -> dict:
    if fact_path:
        not_simulated(ctx, "setup", "fact_path (local facts)")
    return {}


def facter(ctx) -> dict:
    for folder in ctx.environment.get("Path", "").split(";"):
        if folder.strip() and ctx.twin.files.get(ntpath.join(folder, "facter.exe")) is not None:
            not_simulated(ctx, "setup", "gather_subset facter (a facter.exe on the PATH)")
    return {}


def _local_now(twin) -> datetime.datetime:
    zone = twin.machine.time_zone
    return datetime.datetime.now(datetime.timezone(datetime.timedelta(minutes=int(zone["offset_minutes"]))))


def date_time(ctx) -> dict:
    now = _local_now(ctx.twin)
    utc = now.astimezone(datetime.UTC)
    offset = now.strftime("%z")
    return {"ansible_date_time": {
        "date": now.strftime("%Y-%m-%d"), "day": now.strftime("%d"),
        "epoch_local": str(int(now.replace(tzinfo=datetime.UTC).timestamp())), "epoch": str(int(utc.timestamp())),
        "epoch_int": int(round(utc.timestamp())), "hour": now.strftime("%H"),
        "iso8601": utc.strftime("%Y-%m-%dT%H:%M:%SZ"), "iso8601_basic": now.strftime("%Y%m%dT%H%M%S%f") + "0",
        "iso8601_basic_short": now.strftime("%Y%m%dT%H%M%S"), "iso8601_micro": utc.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "minute": now.strftime("%M"), "month": now.strftime("%m"), "second": now.strftime("%S"),
        "time": now.strftime("%H:%M:%S"), "tz": ctx.twin.machine.time_zone["id"],
        "tz_offset": f"{offset[:3]}:{offset[3:]}", "weekday": now.strftime("%A"),
        "weekday_number": str(int(now.strftime("%w"))), "weeknumber": now.strftime("%W"), "year": now.strftime("%Y"),
    }}


def platform(ctx) -> dict:
    twin, reg = ctx.twin, ctx.twin.registry
    hostname = twin.state["hostname"]
    dns_domain = twin.state["domain"] if _domain_joined(twin) else ""  # the primary DNS suffix of a member
    fqdn = f"{hostname}.{dns_domain}" if dns_domain else hostname
    pending = (truthy(reg_value(reg, power.SESSION_MANAGER, "PendingFileRenameOperations"))
               or reg.key_exists(power.CBS_REBOOT_PENDING)
               or truthy(reg_value(reg, power.SERVER_MANAGER_CACHE, "RestartRequired")))
    return {"ansible_domain": dns_domain, "ansible_fqdn": fqdn, "ansible_hostname": hostname,
            "ansible_netbios_name": hostname.upper()[:15], "ansible_kernel": os_version(twin),
            "ansible_nodename": fqdn, "ansible_machine_id": twin.accounts.base_sid,
            "ansible_owner_name": str(reg_value(reg, CURRENT_VERSION, "RegisteredOwner") or ""),
            "ansible_system": "Win32NT",
            "ansible_system_description": str(reg_value(reg, LANMAN_PARAMETERS, "srvcomment") or ""),
            "ansible_system_vendor": twin.machine.bios["manufacturer"], "ansible_architecture": "64-bit",
            "ansible_owner_contact": "", "ansible_reboot_pending": bool(pending), "ansible_architecture2": "x86_64"}


def user(ctx) -> dict:
    name = ctx.environment.get("USERNAME")
    return {"ansible_user_dir": ctx.environment.get("USERPROFILE"), "ansible_user_gecos": "",
            "ansible_user_id": name, "ansible_user_sid": ctx.twin.accounts.user(ctx.logon["user"])["sid"]}


def all_ip_addresses(ctx) -> dict:
    return {"ansible_ip_addresses": [a["address"] for n in ctx.twin.machine.adapters
                                     for a in (n.get("ipv4") or []) + (n.get("ipv6") or [])]}


def interfaces(ctx) -> dict:
    def addresses(items):
        found = [{"address": a["address"], "prefix": str(a["prefix"])} for a in items or []]
        return found[0] if len(found) == 1 else (found or None)  # a pipeline of one object is that object

    return {"ansible_interfaces": [{
        "connection_name": n["name"], "default_gateway": n.get("gateway"), "dns_domain": n.get("dns_suffix"),
        "interface_index": n["index"], "interface_name": n["description"], "ipv4": addresses(n.get("ipv4")),
        "ipv6": addresses(n.get("ipv6")), "macaddress": n["mac"].upper(), "mtu": n["mtu"],
        "speed": n["speed_bps"] / 1000 / 1000} for n in ctx.twin.machine.adapters]}


def winrm_certificate(ctx) -> dict:
    """The HTTPS listener's certificate, as Cert:\\LocalMachine\\My shows it."""
    kind = winrm.listener(ctx.twin.state)["certificate"]
    if kind not in LISTENER_CERTIFICATES:
        not_simulated(ctx, "setup", f"ansible_win_rm_certificate_* of a listener certificate {kind!r} not loaded")
    pem = LISTENER_CERTIFICATES[kind]
    cert = x509.load_pem_x509_certificate(pem)
    expires = cert.not_valid_after_utc.astimezone(_local_now(ctx.twin).tzinfo)
    return {"ansible_win_rm_certificate_expires": expires.strftime("%Y-%m-%d %H:%M:%S"),
            "ansible_win_rm_certificate_thumbprint": hashlib.sha1(cert.public_bytes(Encoding.DER)).hexdigest().upper()}


def bios(ctx) -> dict:
    b = ctx.twin.machine.bios
    year, month, day = str(b["release_date"]).split("-")
    return {"ansible_bios_date": f"{month}/{day}/{year}", "ansible_bios_version": b["version"],
            "ansible_product_name": b["model"], "ansible_product_serial": b["serial"],
            "ansible_product_uuid": b["uuid"]}


def memory(ctx) -> dict:
    m, total = ctx.twin.machine.memory, int(ctx.twin.state["os"].get("memory_bytes", 16 * 2**30))
    return {"ansible_memtotal_mb": math.ceil(total / 2**20),
            "ansible_memfree_mb": math.ceil((total - m["in_use_bytes"]) / 2**20),
            "ansible_swaptotal_mb": 0, "ansible_pagefiletotal_mb": round(m["pagefile_bytes"] / 2**20),
            "ansible_pagefilefree_mb": round(m["pagefile_free_bytes"] / 2**20)}


def processor(ctx) -> dict:
    reg, p = ctx.twin.registry, ctx.twin.machine.processor
    found = []
    for sub in sorted(reg.subkeys(CENTRAL_PROCESSOR), key=int):
        key = f"{CENTRAL_PROCESSOR}\\{sub}"
        found += [sub, reg_value(reg, key, "VendorIdentifier"), reg_value(reg, key, "ProcessorNameString")]
    return {"ansible_processor": found, "ansible_processor_count": int(p["sockets"]),
            "ansible_processor_vcpus": ctx.twin.machine.logical_processors,
            "ansible_processor_cores": int(p["cores"]), "ansible_processor_threads_per_core": p["threads_per_core"]}


def uptime(ctx) -> dict:
    seconds = time.time() - ctx.twin.power.last_boot
    boot = _local_now(ctx.twin) - datetime.timedelta(seconds=seconds)
    return {"ansible_lastboot": boot.strftime("%Y-%m-%d %H:%M:%SZ"), "ansible_uptime_seconds": round(seconds)}


def virtual(ctx) -> dict:
    b = ctx.twin.machine.bios
    for kind, models in VIRTUAL_MODELS.items():
        if any(fnmatch.fnmatch(b["model"].lower(), m.lower()) for m in models):
            return {"ansible_virtualization_role": "guest", "ansible_virtualization_type": kind}
    for kind, makers in VIRTUAL_MANUFACTURERS.items():
        if b["manufacturer"].lower() in (m.lower() for m in makers):
            return {"ansible_virtualization_role": "guest", "ansible_virtualization_type": kind}
    return {"ansible_virtualization_role": "NA", "ansible_virtualization_type": "NA"}


# setup.ps1's $factMeta, in its order: (subsets, gatherer)
FACTS = (
    (("all_ipv4_addresses", "all_ipv6_addresses"), all_ip_addresses), (("bios",), bios),
    (("date_time",), date_time), (("distribution",), distribution), (("env",), env), (("facter",), facter),
    (("interfaces",), interfaces), (("local",), None), (("memory",), memory), (("platform",), platform),
    (("powershell_version",), powershell_version), (("processor",), processor), (("uptime",), uptime),
    (("user",), user), (("windows_domain",), windows_domain), (("winrm",), winrm_certificate),
    (("virtual",), virtual),
)


@twin_errors
def run(ctx):
    extra = {k: {"type": "raw"} for k in ctx.params if not k.startswith("_") and k not in OPTIONS}
    p = parse_args(ctx, "setup", {**OPTIONS, **extra})
    version = str(ctx.twin.state["os"]["version"]).split(".")
    if (int(version[0]), int(version[1])) < (10, 0):
        ctx.warn(f"The Windows version '{version[0]}.{version[1]}' is no longer supported or tested by Ansible.")
    gather = subsets(ctx, p["gather_subset"])
    facts = {"gather_subset": p["gather_subset"], "module_setup": True}
    if p["_measure_subset"]:
        facts["measure_info"] = {}
    for names, gatherer in FACTS:
        if not gather & set(names):
            continue
        facts.update(local(ctx, p["fact_path"]) if gatherer is None else gatherer(ctx))
        if p["_measure_subset"]:
            facts["measure_info"][", ".join(names)] = 0.0
    return {"changed": False, "ansible_facts": facts}
