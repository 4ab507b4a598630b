"""Accounts and the logon token: who the lab's account is on a host, and which groups its WinRM logon carries.

A member server keeps local accounts and groups (its own SAM, under the computer's SID); a domain controller
has none of its own, so the account and the groups named in the profile (`groups:`) are the domain's, under the
domain's SID. BUILTIN groups (Administrators, Users, Remote Management Users, ...) have their well-known SIDs
on both. Every account is in Users.

The token of a WinRM logon (a network logon; NTLM is the only authentication the lab models for it) carries the
user's groups and the well-known groups of such a logon, the High mandatory label for an administrator (WinRM
gives an administrator the full token) and Medium otherwise, and the privileges and logon rights of its groups.

The computer's and the domain's SIDs and the relative ids of accounts and groups are the lab's own (stable per
host name and domain), not a real server's. UNCONFIRMED (as a network logon shows them): the order of the
well-known groups, the privilege states and the order of the logon rights.
"""

from __future__ import annotations

import hashlib

from .errors import NotSimulated

BUILTIN = {  # BUILTIN aliases by name -> relative id under S-1-5-32
    "administrators": 544, "users": 545, "guests": 546, "power users": 547, "account operators": 548,
    "server operators": 549, "print operators": 550, "backup operators": 551, "remote desktop users": 555,
    "network configuration operators": 556, "performance monitor users": 558, "performance log users": 559,
    "distributed com users": 562, "iis_iusrs": 568, "event log readers": 573, "remote management users": 580,
}
BUILTIN_NAMES = {rid: name for name, rid in {
    "Administrators": 544, "Users": 545, "Guests": 546, "Power Users": 547, "Account Operators": 548,
    "Server Operators": 549, "Print Operators": 550, "Backup Operators": 551, "Remote Desktop Users": 555,
    "Network Configuration Operators": 556, "Performance Monitor Users": 558, "Performance Log Users": 559,
    "Distributed COM Users": 562, "IIS_IUSRS": 568, "Event Log Readers": 573, "Remote Management Users": 580,
}.items()}
DEFAULT_ATTRIBUTES = ("Mandatory", "Enabled by default", "Enabled")
HIGH, MEDIUM = ("S-1-16-12288", "High Mandatory Level"), ("S-1-16-8192", "Medium Mandatory Level")
# the logon rights of groups (Local Security Policy defaults of a member server)
LOGON_RIGHTS = {
    "S-1-1-0": ["SeNetworkLogonRight"],
    "S-1-5-32-544": ["SeNetworkLogonRight", "SeInteractiveLogonRight", "SeBatchLogonRight",
                     "SeRemoteInteractiveLogonRight"],
    "S-1-5-32-545": ["SeNetworkLogonRight", "SeInteractiveLogonRight"],
    "S-1-5-32-551": ["SeNetworkLogonRight", "SeInteractiveLogonRight", "SeBatchLogonRight"],
    "S-1-5-32-555": ["SeRemoteInteractiveLogonRight"],
}
ADMIN_PRIVILEGES = (
    "SeIncreaseQuotaPrivilege", "SeSecurityPrivilege", "SeTakeOwnershipPrivilege", "SeLoadDriverPrivilege",
    "SeSystemProfilePrivilege", "SeSystemtimePrivilege", "SeProfileSingleProcessPrivilege",
    "SeIncreaseBasePriorityPrivilege", "SeCreatePagefilePrivilege", "SeBackupPrivilege", "SeRestorePrivilege",
    "SeShutdownPrivilege", "SeDebugPrivilege", "SeSystemEnvironmentPrivilege", "SeChangeNotifyPrivilege",
    "SeRemoteShutdownPrivilege", "SeUndockPrivilege", "SeManageVolumePrivilege", "SeImpersonatePrivilege",
    "SeCreateGlobalPrivilege", "SeIncreaseWorkingSetPrivilege", "SeTimeZonePrivilege",
    "SeCreateSymbolicLinkPrivilege", "SeDelegateSessionUserImpersonatePrivilege",
)
USER_PRIVILEGES = ("SeChangeNotifyPrivilege", "SeIncreaseWorkingSetPrivilege")
FIRST_RID = 1000  # the first account or group an administrator creates


def _sid_base(seed: str) -> str:
    """A stable S-1-5-21-a-b-c for a computer or a domain (the lab's own numbers)."""
    digest = hashlib.sha256(seed.lower().encode()).digest()
    parts = [int.from_bytes(digest[i:i + 4], "big") for i in (0, 4, 8)]
    return "S-1-5-21-" + "-".join(str(p) for p in parts)


def sid(base: str, rid: int, domain: str, name: str, kind: str) -> dict:
    return {"sid": f"{base}-{rid}", "domain_name": domain, "account_name": name, "type": kind}


def well_known(sid_text: str, domain: str, name: str, kind: str = "WellKnownGroup") -> dict:
    return {"sid": sid_text, "domain_name": domain, "account_name": name, "type": kind}


class Accounts:
    def __init__(self, twin):
        self.twin = twin

    @property
    def on_domain_controller(self) -> bool:
        return "controller" in self.twin.state["domain_role"]

    @property
    def account_domain(self) -> str:
        """Where the accounts live: the computer (its NetBIOS name) or, on a DC, the domain's NetBIOS name."""
        if self.on_domain_controller:
            return self.twin.state["domain"].split(".")[0].upper()
        return self.twin.state["hostname"].upper()

    @property
    def base_sid(self) -> str:
        seed = self.twin.state["domain"] if self.on_domain_controller else self.twin.state["hostname"]
        return _sid_base(seed)

    def _local_groups(self) -> list[str]:
        """The groups the profile names that are not BUILTIN (ADSyncAdmins, ...), in a stable order."""
        return sorted((g for g in self.twin.state.get("groups") or {} if g.lower() not in BUILTIN), key=str.lower)

    def user(self, name: str) -> dict:
        """The account a logon name resolves to (the built-in Administrator is 500)."""
        short = name.split("\\")[-1]
        rid = 500 if short.lower() == "administrator" else FIRST_RID
        return sid(self.base_sid, rid, self.account_domain, short, "User")

    def group(self, name: str) -> dict:
        rid = BUILTIN.get(name.lower())
        if rid is not None:
            return well_known(f"S-1-5-32-{rid}", "BUILTIN", BUILTIN_NAMES[rid], "Alias")
        local = self._local_groups()
        index = next(i for i, g in enumerate(local) if g.lower() == name.lower())
        return sid(self.base_sid, FIRST_RID + 1 + index, self.account_domain, local[index], "Alias")

    def token(self, user: str, authentication: str) -> dict:
        """The token of `user`'s WinRM (network) logon: account, groups with attributes, label, privileges and
        logon rights, and the logon session's details."""
        if authentication != "ntlm":
            raise NotSimulated(f"the token of a {authentication} logon (the lab models NTLM network logons)")
        member_of = self.twin.groups_of(user)
        admin = any(g.lower() == "administrators" for g in member_of)
        domain = self.account_domain
        primary = (sid(self.base_sid, 513, domain, "Domain Users", "Group") if self.on_domain_controller
                   else sid(self.base_sid, 513, domain, "None", "Group"))
        groups = [(primary, DEFAULT_ATTRIBUTES), (well_known("S-1-1-0", "", "Everyone"), DEFAULT_ATTRIBUTES)]
        names = sorted({*member_of, "Users"}, key=lambda g: (g.lower() not in BUILTIN, BUILTIN.get(g.lower(), 0),
                                                              g.lower()))
        for name in names:
            entry = self.group(name)
            attributes = DEFAULT_ATTRIBUTES + (("Owner",) if name.lower() == "administrators" else ())
            if entry["domain_name"] != "BUILTIN" and self.on_domain_controller:
                attributes += ("Resource",)  # a domain-local group of the DC's own domain
            groups.append((entry, attributes))
        groups += [(well_known("S-1-5-2", "NT AUTHORITY", "NETWORK"), DEFAULT_ATTRIBUTES),
                   (well_known("S-1-5-11", "NT AUTHORITY", "Authenticated Users"), DEFAULT_ATTRIBUTES),
                   (well_known("S-1-5-15", "NT AUTHORITY", "This Organization"), DEFAULT_ATTRIBUTES)]
        if not self.on_domain_controller:
            groups.append((well_known("S-1-5-113", "NT AUTHORITY", "Local account"), DEFAULT_ATTRIBUTES))
            if admin:
                groups.append((well_known("S-1-5-114", "NT AUTHORITY",
                                          "Local account and member of Administrators group"), DEFAULT_ATTRIBUTES))
        groups.append((well_known("S-1-5-64-10", "NT AUTHORITY", "NTLM Authentication"), DEFAULT_ATTRIBUTES))
        rights: list[str] = []
        for entry, _ in groups:
            for right in LOGON_RIGHTS.get(entry["sid"], []):
                if right not in rights:
                    rights.append(right)
        label_sid, label_name = HIGH if admin else MEDIUM
        return {
            "account": self.user(user),
            "groups": [{**entry, "attributes": list(attributes)} for entry, attributes in groups],
            "label": well_known(label_sid, "Mandatory Label", label_name, "Label"),
            "privileges": {p: "enabled-by-default" for p in (ADMIN_PRIVILEGES if admin else USER_PRIVILEGES)},
            "rights": rights if admin else [],  # only an administrator may read the LSA policy
            "administrator": admin,
            "login_domain": domain,
            "logon_server": self.twin.state["hostname"].upper(),  # the account's SAM or this DC checked it
            "dns_domain_name": self.twin.state["domain"].upper() if self.on_domain_controller else "",
            "upn": "",
        }
