# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Decision engine: the facts of one sync server + the lifecycle policy -> its upgrade path.

``RULES`` (at the end of this file) is an ordered table. Each row has a rule id that docs/decision-rules.md
explains with its source, a ``when`` predicate and an action; ``decide`` walks the table once. An action may
add reasons, warnings, blockers or deadlines (each tagged with the row's id), mark that the server must
change (an upgrade or a move is due), vote for a parallel deployment, or stop the walk (unreachable host, no
sync tool, unknown tool). A parallel vote is *hard* when Connect 2.x cannot be installed in place at all (OS
too old, Windows Server 2025, Server Core, a MIM server, a foreign Entra connector id) and *soft* when in
place is possible but against Microsoft's guidance (DirSync >= 50,000 objects, AADSync, LocalDB limit,
unproven evidence). The path follows from that state, not from a nest of ifs:

    any blocker -> blocked;  user override -> that path;  no change due -> none;
    any parallel vote -> parallel;  otherwise -> in_place

Table phases: evidence -> product -> platform -> deadlines -> forcing and target -> prerequisites. The
prerequisite rows (.NET, TLS 1.2, reboot) read the resolved path, so they only speak about a server that runs
Connect after the change. Standard library and PyYAML only; no Ansible import.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path

import yaml

from ._activity import activity
from ._version import parse_version

DEFAULT_POLICY = Path(__file__).resolve().parents[2] / "policy" / "lifecycle.yml"
TARGET_VAR, RISK_VAR, FORCE_VAR = "sync_upgrade_target", "sync_upgrade_accept_in_place_risk", "sync_upgrade_path"
TOOLS = ("dirsync", "aadsync", "connect", "mim_connector")
STATUSES = ("assessed", "unreachable", "auth_failed", "tls_failed", "probe_failed", "connection_refused")  # see _status.py
OPTIONS = {  # option -> (description of what it takes, check)
    "forced_path": ("None, 'auto', 'in_place' or 'parallel'", lambda v: v in (None, "auto", "in_place", "parallel")),
    "accept_in_place_risk": ("true or false", lambda v: isinstance(v, bool)),
    "target_host": ("None or an inventory host name", lambda v: v is None or (isinstance(v, str) and v.strip() != "")),
    "status": (f"one of {STATUSES}", lambda v: v in STATUSES),
    "cause": ("None or text", lambda v: v is None or isinstance(v, str)),
    "non_commercial": ("true or false", lambda v: isinstance(v, bool)),
    "inventory_hosts": ("None or a list of host names",
                        lambda v: v is None or (isinstance(v, list | tuple) and all(isinstance(h, str) for h in v))),
    "target_assessment": ("None or {status, cause, facts}", lambda v: v is None or (
        isinstance(v, dict) and v.get("status") in STATUSES and isinstance(v.get("facts") or {}, dict))),
    "target_claimed_by": ("a list of host names", lambda v: isinstance(v, list | tuple) and all(
        isinstance(h, str) for h in v)),
    "source_host": ("None or this host's inventory name", lambda v: v is None or isinstance(v, str)),
    "tenant_servers": ("None or a list of {host, tenant, active, why} (the other servers assessed in this run)",
                       lambda v: v is None or (isinstance(v, list | tuple) and all(
                           isinstance(s, dict) and isinstance(s.get("host"), str) and s.get("active") in (
                               True, False, None) for s in v))),
}
URGENCY = ("ok", "due", "degraded", "stopped")  # rising; "unknown" when there is no evidence to judge
ENTRA_CONNECTOR_ID = "b891884f-051e-4a83-95af-2544101c9083"

# ---------------------------------------------------------------------------------------------- the policy file
_FIELDS = {  # Policy attribute: (dotted key in lifecycle.yml, kind)
    "minimum_version": ("minimum_version.version", "version"), "minimum_date": ("minimum_version.date", "date"),
    "signin_commercial": ("signin_minimum.commercial", "version"),
    "signin_non_commercial": ("signin_minimum.non_commercial", "version"),
    "signin_date": ("signin_minimum.date", "date"),
    "v1_retired": ("connect_1x.retired", "date"), "v1_stopped": ("connect_1x.stopped", "date"),
    "dirsync_stopped": ("dirsync.stopped", "date"), "aadsync_stopped": ("aadsync.stopped", "date"),
    "fim_connector_stopped": ("fim_connector.stopped", "date"),
    "target_version": ("recommended_target.version", "version"),
    "target_confirmed": ("recommended_target.confirmed", "bool"),
    "dirsync_max_objects": ("dirsync_in_place.max_objects", "int"),
    "localdb_max_mb": ("localdb.max_size_mb", "int"), "localdb_max_objects": ("localdb.max_objects", "int"),
    "auto_upgrade_max_mb": ("localdb.auto_upgrade_max_size_mb", "int"),
    "supported_builds": ("os.supported_builds", "builds"), "unsupported_builds": ("os.unsupported_builds", "builds"),
    "dotnet_min_release": ("dotnet.min_release", "int"), "dotnet_min_version": ("dotnet.min_version", "version"),
    "connect_max_objects": ("connect_in_place.max_objects", "int"),
    "ws2025_fix_kb": ("ws2025_fix.kb", "text"), "ws2025_fix_ubr": ("ws2025_fix.min_ubr", "int"),
    "sql_unsupported": ("sql_server.unsupported_versions", "builds"),
}
_SECTIONS = sorted({key.split(".")[0] for key, _ in _FIELDS.values()})
_WANT = {"version": "a quoted version like '2.5.79.0'", "date": "a date like 2026-09-30",
         "int": "a positive integer", "bool": "true or false", "builds": "a map of number: name",
         "text": "a non-empty text"}

# The validated policy: one attribute per _FIELDS entry (versions as text, dates as datetime.date) + sources.
Policy = make_dataclass("Policy", [*((name, object) for name in _FIELDS), ("sources", dict)], frozen=True)


def _convert(value, kind):
    if kind == "version" and isinstance(value, str) and parse_version(value):
        return value.strip()
    if kind == "date" and isinstance(value, dt.date | str) and not isinstance(value, dt.datetime):
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(value)
    if kind == "int" and isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    if kind == "bool" and isinstance(value, bool):
        return value
    if kind == "builds" and isinstance(value, dict) and all(isinstance(n, str) for n in value.values()):
        return {int(build): name for build, name in value.items()}  # ValueError for a non-numeric build
    if kind == "text" and isinstance(value, str) and value.strip():
        return value.strip()
    raise ValueError


class _PolicyLoader(yaml.SafeLoader):
    """YAML without implicit timestamps: a date stays text until _convert checks it, so an impossible date
    (2026-13-01) is reported with its file and key instead of failing inside the YAML parser."""


_PolicyLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def _read(data: dict, dotted: str, kind: str, origin: str):
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            raise ValueError(f"{origin}: missing key '{dotted}'")
        node = node[part]
    try:
        return _convert(node, kind)
    except (TypeError, ValueError):
        raise ValueError(f"{origin}: key '{dotted}': expected {_WANT[kind]}, got {node!r}") from None


def load_policy(path=DEFAULT_POLICY) -> Policy:
    """Read and validate lifecycle.yml; a ValueError names the offending key when it is malformed."""
    origin = str(path)
    try:
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_PolicyLoader)  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise ValueError(f"{origin}: cannot read the policy file: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ValueError(f"{origin}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValueError(f"{origin}: expected a mapping of policy keys at the top level")
    if data.get("schema") != 1:
        raise ValueError(f"{origin}: key 'schema': expected 1, got {data.get('schema')!r}")
    sources = data.get("sources")
    if not isinstance(sources, dict) or not all(isinstance(v, str) for v in sources.values()):
        raise ValueError(f"{origin}: key 'sources': expected a map of source code: URL or title")
    for section in _SECTIONS:
        codes = data[section].get("source") if isinstance(data.get(section), dict) else None
        if not isinstance(codes, list) or not codes or not set(codes) <= set(sources):
            raise ValueError(f"{origin}: key '{section}.source': expected codes listed under 'sources', got {codes!r}")
    policy = Policy(**{name: _read(data, key, kind, origin) for name, (key, kind) in _FIELDS.items()},
                    sources=sources)
    if parse_version(policy.target_version) < parse_version(policy.minimum_version):
        raise ValueError(f"{origin}: key 'recommended_target.version': {policy.target_version} is below "
                         f"minimum_version.version {policy.minimum_version}")
    return policy


# ---------------------------------------------------------------------------------------------- one evaluation
def _int(value) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    text = value.strip() if isinstance(value, str) else ""
    return int(text) if text.isdigit() else None


def _map(value) -> dict:
    return value if isinstance(value, dict) else {}


@dataclass
class _Ctx:
    facts: dict
    policy: Policy
    options: dict
    today: dt.date
    rule: str = ""
    reasons: list = field(default_factory=list)
    blockers: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    deadlines: list = field(default_factory=list)
    votes: list = field(default_factory=list)  # (rule id, hard) per parallel vote
    change: bool = False  # an upgrade or a move is due
    override: str | None = None  # path set by a forcing rule
    stopped: bool = False
    urgency: str = "ok"

    def __post_init__(self):
        f, self.os = self.facts, _map(self.facts.get("os"))
        self.tool = str(f.get("tool") or "unknown").lower()
        self.version, self.vtext = parse_version(f.get("version")), str(f.get("version") or "unknown")
        self.objects, self.db = _int(f.get("object_count")), _map(f.get("database"))
        self.db_type, self.db_mb = str(self.db.get("type") or "unknown").lower(), _int(self.db.get("size_mb"))
        parts = str(self.os.get("version") or "").split(".")
        self.build = _int(self.os.get("build"))
        if self.build is None and len(parts) >= 3:
            self.build = _int(parts[2])
        caption = self.os.get("caption") if self.os.get("caption") not in (None, "", "unknown") else None
        names = {**self.policy.supported_builds, **self.policy.unsupported_builds}
        self.os_name = f"{caption or names.get(self.build, 'Windows')} (build {self.build})"
        self.forced = None if self.options.get("forced_path") in (None, "auto") else self.options["forced_path"]

    def add(self, kind: str, text: str):
        getattr(self, kind).append({"rule": self.rule, "text": text})

    def vote(self, text: str, hard: bool, change: bool = True):
        """A parallel vote; ``change=False`` votes only matter when something else makes a change due."""
        self.change = self.change or change
        self.votes.append((self.rule, hard))
        self.add("reasons", text)

    def raise_urgency(self, level: str):
        self.urgency = max(self.urgency, level, key=URGENCY.index)

    def below(self, minimum: str) -> bool:
        return self.version is not None and self.version < parse_version(minimum)

    def deadline(self, date: dt.date, what: str, effect: str):
        passed = self.today >= date
        self.deadlines.append({"rule": self.rule, "text": what, "date": date.isoformat(), "passed": passed})
        if passed:
            self.add("reasons", f"since {date.isoformat()}: {what}")
        else:
            self.add("warnings", f"in {(date - self.today).days} day(s), on {date.isoformat()}: {what}")
        self.raise_urgency(effect if passed else "due")

    def proposed(self) -> str:
        if self.override:
            return self.override
        return "none" if not self.change else "parallel" if self.votes else "in_place"

    @property
    def path(self) -> str:
        return "blocked" if self.blockers else self.proposed()

    def result(self) -> dict:
        path = self.path
        if path == "none":  # votes on a server with no change due are advice, not reasons for a move
            voted = {rule for rule, _ in self.votes}
            self.warnings = [r for r in self.reasons if r["rule"] in voted] + self.warnings
            self.reasons = [r for r in self.reasons if r["rule"] not in voted]
        return {"path": path, "proposed_path": None if self.stopped and self.blockers else self.proposed(),
                "target_version": self.policy.target_version if path in ("in_place", "parallel") else None,
                "reasons": self.reasons, "blockers": self.blockers, "warnings": self.warnings,
                "deadlines": self.deadlines, "urgency": self.urgency, "forced": self.forced is not None}


# ---------------------------------------------------------------------------------------------- rule actions
def _not_assessed(c):
    status, cause = c.options["status"], c.options.get("cause") or "no cause reported"
    c.add("blockers", f"not assessed ({status}): {cause}. No decision without the host's facts: fix it and re-run")
    c.stopped, c.urgency = True, "unknown"


def _no_tool(c):
    c.add("reasons", "no directory-sync tool on this server: nothing to upgrade")
    if c.forced:
        c.add("warnings", f"{FORCE_VAR}={c.forced} ignored: there is no sync tool here to upgrade or move")
    c.stopped = True


def _cut_over(c) -> bool:
    """This server's parallel target carries its deployment and the cutover made the target the active server."""
    assessment = c.options.get("target_assessment") or {}
    mark = _map(_map(assessment.get("facts")).get("deployment"))
    return (c.options.get("source_host") is not None and mark.get("source") == c.options["source_host"]
            and isinstance(mark.get("cutover"), dict))


def _replaced(c):
    cutover = c.options["target_assessment"]["facts"]["deployment"]["cutover"]
    target, mode = c.options.get("target_host"), cutover.get("old_server")
    c.add("reasons", f"cut over to {target} on {cutover.get('completed')}: the new server is the active one; this "
          f"server stays {'a staging-mode standby' if mode == 'standby' else 'disabled'} (playbooks/rollback.yml "
          "brings it back while the new server has not exported)")
    if mode == "standby" and c.tool == "connect":
        c.add("warnings", f"the standby runs {c.tool} {c.vtext}: upgrade it or remove it once the new server has "
              "proved itself (Microsoft's swing migration)")
    c.stopped = True


def _tenant_of(facts) -> str | None:
    tenant = str(_map(facts).get("tenant") or "unknown").strip().lower()
    return None if tenant in ("unknown", "none", "") else tenant


def _tenant_two_active(c):
    """Two active servers for one tenant: a blocker on each when both are known, a warning when a tenant or an
    activity is unknown and the pair cannot be ruled out. The warning goes to the server whose own tenant or
    activity is unknown (where the operator confirms it), and to a fully known one only about servers of its own
    tenant whose activity is unknown: a server of unknown tenant warns about the others, not the reverse."""
    mine, tenant = activity(c.facts), _tenant_of(c.facts)
    if mine["active"] is False:
        return
    uncertain = tenant is None or mine["active"] is None
    clashes, doubts = [], []
    for other in c.options["tenant_servers"]:
        theirs = str(other.get("tenant") or "unknown").strip().lower()
        theirs = None if theirs in ("unknown", "none", "") else theirs
        if other.get("active") is False or (tenant and theirs and theirs != tenant):
            continue
        if tenant and theirs and mine["active"] and other["active"]:
            clashes.append(f"{other['host']} ({other.get('why') or 'active'})")
            continue
        if not uncertain and not theirs:
            continue  # that server's own warning names this one
        unknown = (["tenant unknown"] if not theirs else []) + (
            [f"activity unknown: {other.get('why') or 'not reported'}"] if other.get("active") is None else [])
        doubts.append(f"{other['host']} ({'; '.join(unknown) or 'active'})")
    if clashes:
        c.add("blockers", f"two active sync servers for the tenant {tenant}: this one ({mine['why']}) and "
              f"{', '.join(clashes)}. Two active servers overwrite each other's changes in the cloud; Microsoft "
              "keeps exactly one server exporting and the others in staging mode. Switch all but one to staging "
              "mode (or stop and disable their sync), then re-run: nothing was changed")
    if doubts:
        me = f"this server's tenant {tenant}" if tenant else "this server's tenant (unknown)"
        if mine["active"] is None:
            me += f", its activity unknown ({mine['why']})"
        c.add("warnings", f"cannot rule out a second active sync server for {me}: {', '.join(doubts)}; confirm "
              "that only one server per tenant exports (the others in staging mode or off) before a cutover")


def _unknown(c):
    c.add("blockers", f"sync tool {c.tool!r}: the evidence does not say what runs here, so no path can be "
          "decided (see the facts' warnings)" if c.tool not in TOOLS else
          f"Connect version {c.vtext!r} unknown: cannot tell whether it is below {c.policy.minimum_version}")
    c.stopped, c.urgency = True, "unknown"


def _dirsync_objects(c):
    limit = c.policy.dirsync_max_objects
    if c.objects is None:
        c.vote(f"object count unknown: fewer than {limit:,} objects cannot be proven, so parallel", False)
    elif c.objects >= limit:
        c.vote(f"{c.objects:,} objects >= {limit:,}: Microsoft recommends a parallel deployment", False)
    else:
        c.add("reasons", f"{c.objects:,} objects < {limit:,}: in place allowed by object count (DirSync to "
              "current 2.x in place is UNCONFIRMED; parallel is the safer choice)")


def _foreign_entra_connector(c) -> bool:
    ids = [str(_map(x).get("identifier") or "").strip("{}").lower() for x in c.facts.get("connectors") or []]
    return bool(ids) and all(ids) and ENTRA_CONNECTOR_ID not in ids


def _connect_minimum(c):
    if c.below(c.policy.minimum_version):
        c.change = True
        c.add("reasons", f"version {c.vtext} < {c.policy.minimum_version}: must be upgraded")
    else:
        c.add("reasons", f"version {c.vtext} >= {c.policy.minimum_version}: at or above Microsoft's minimum")


def _os_supported(c):
    caption = str(c.os.get("caption") or "unknown")
    if c.build is None:
        text = "OS build unknown: cannot confirm that Connect 2.x (Windows Server 2016-2022) installs here"
        if c.change:
            c.vote(text, False, change=False)
        else:
            c.add("warnings", text)
    elif c.build not in c.policy.supported_builds or (caption != "unknown" and "Server" not in caption):
        c.raise_urgency("degraded")
        c.vote(f"{c.os_name} cannot run Connect 2.x, which needs Windows Server 2016, 2019 or 2022: parallel "
               "deployment to a new server", True)
    elif c.change:
        c.add("reasons", f"{c.os_name} is a Windows Server release Connect 2.x supports")


def _ws2025(c):
    c.raise_urgency("degraded")
    c.vote(f"{c.os_name}: {c.policy.unsupported_builds[c.build]} is not supported for Connect Sync (known sync "
           "issue): move to a 2016-2022 server", True)
    kb, ubr, need = c.policy.ws2025_fix_kb, _int(c.os.get("ubr")), c.policy.ws2025_fix_ubr
    if ubr is None:
        c.add("warnings", f"cannot tell whether {kb} ({c.build}.{need}) is installed: the OS build revision is "
              f"unknown; until the move, keep {kb} or later installed")
    elif ubr >= need:
        c.add("reasons", f"{kb} or later is installed (OS build {c.build}.{ubr} >= {c.build}.{need}): keep it until "
              "the move")
    else:
        c.add("warnings", f"{kb} is not installed (OS build {c.build}.{ubr} < {c.build}.{need}): install it and "
              "restart until the move, as Microsoft asks for servers already on Windows Server 2025")


def _server_core(c):
    if c.os.get("server_core") is True:
        c.raise_urgency("degraded")
        c.vote("Server Core is unsupported and the wizard-only installer needs the Desktop Experience: move to "
               "a full-GUI server", True)
    elif c.change and not any(hard for _, hard in c.votes):  # moot when the server must move anyway
        c.add("warnings", "installation type unknown: confirm the Desktop Experience (Server Core unsupported)")


def _localdb(c):
    p = c.policy
    over = (c.db_mb or 0) >= p.localdb_max_mb or (c.objects or 0) >= p.localdb_max_objects
    if over and c.db_type != "unknown":
        c.vote(f"{c.db_type} database at {c.db_mb} MB / {c.objects} objects reaches the {p.localdb_max_mb // 1024}"
               f" GB / {p.localdb_max_objects:,}-object limit: parallel to a server with full SQL Server", False,
               change=False)
    elif over:
        c.add("warnings", f"database type unknown at {c.db_mb} MB / {c.objects} objects: if it is LocalDB, it "
              "is over its limit")
    elif c.db_type in ("localdb", "sql_express") and c.db_mb is None and c.objects is None:
        c.add("warnings", f"{c.db_type} database size and object count both unknown: cannot confirm it is under "
              f"the {p.localdb_max_mb // 1024} GB / {p.localdb_max_objects:,}-object limit; check the database "
              "size on the server before an in-place upgrade")
    elif c.db_type == "localdb" and (c.db_mb or 0) >= p.auto_upgrade_max_mb:
        c.add("warnings", f"LocalDB at {c.db_mb} MB >= {p.auto_upgrade_max_mb} MB: auto-upgrade skips this server")


def _signin_minimum(c) -> str:
    return c.policy.signin_non_commercial if c.options.get("non_commercial") else c.policy.signin_commercial


def _forced_parallel(c):
    c.override, c.change = "parallel", True
    c.add("reasons", f"{FORCE_VAR}=parallel: parallel deployment by request")


def _forced_in_place(c):
    proposed = c.proposed()
    against, hard = sorted({r for r, _ in c.votes}), sorted({r for r, h in c.votes if h})
    if proposed == "none":
        c.add("warnings", f"{FORCE_VAR}=in_place ignored: nothing to upgrade")
    elif proposed == "in_place":
        c.add("reasons", f"{FORCE_VAR}=in_place agrees with the rules")
    elif hard:
        c.add("blockers", f"{FORCE_VAR}=in_place is impossible here ({', '.join(hard)}): the Connect 2.x "
              f"installer cannot run in place on this server, and {RISK_VAR} does not change that; use parallel")
    elif not c.options.get("accept_in_place_risk"):
        c.add("blockers", f"{FORCE_VAR}=in_place goes against {', '.join(against)}: set {RISK_VAR}: true to "
              "accept the risk, or remove the override")
    else:
        c.override = "in_place"
        c.add("reasons", f"risk accepted ({RISK_VAR}=true): in place against {', '.join(against)}; a failed "
              "in-place upgrade has no rollback")


def _needs_target(c):
    target, inventory = c.options.get("target_host"), c.options.get("inventory_hosts")
    if not target:
        c.add("blockers", f"parallel deployment needs a new server: set the host variable {TARGET_VAR} to the "
              "inventory name of a clean, domain-joined Windows Server 2016-2022 (2022 recommended) with the "
              f"Desktop Experience, e.g. {TARGET_VAR}: target-2022")
    elif inventory is not None and target not in inventory:
        c.add("blockers", f"{TARGET_VAR} names {target!r}, which is not a host in this inventory: add the new "
              "server to the inventory, or correct the name")


def _target_named(c) -> bool:
    target, inventory = c.options.get("target_host"), c.options.get("inventory_hosts")
    return c.proposed() == "parallel" and bool(target) and (inventory is None or target in inventory)


def _target_shared(c):
    others = ", ".join(sorted(c.options["target_claimed_by"]))
    c.add("blockers", f"{TARGET_VAR} {c.options['target_host']} is also the target of {others}: each parallel "
          "deployment needs its own new server (two sync servers must never share one); give each source its own")


def _target_ready(c):
    target, assessment = c.options["target_host"], c.options.get("target_assessment")
    before = len(c.blockers)
    if assessment is None:
        c.add("blockers", f"the parallel target {target} was not assessed in this run (left out by --limit?): "
              "include it, so that its readiness is checked before anything changes")
        return
    if assessment["status"] != "assessed":
        c.add("blockers", f"the parallel target {target} could not be assessed ({assessment['status']}): "
              f"{assessment.get('cause') or 'no cause reported'}")
        return
    f = _map(assessment.get("facts"))
    os_, tool = _map(f.get("os")), str(f.get("tool") or "unknown")
    build, caption = _int(os_.get("build")), str(os_.get("caption") or "unknown")
    mark = _map(f.get("deployment"))
    ours = bool(mark) and c.options.get("source_host") is not None and mark.get("source") == c.options["source_host"]
    if tool in TOOLS and ours and tool == "connect":
        # the run installed it: a re-run continues the deployment instead of refusing its own work
        c.add("reasons", f"the parallel target {target} already carries this server's parallel deployment "
              f"(Connect {f.get('version')}, started {mark.get('started') or 'earlier'}): the run continues it")
    elif tool in TOOLS:
        c.add("blockers", f"the parallel target {target} already runs {tool} {f.get('version')}: it must be a clean "
              "server without a sync engine (two engines for one tenant overwrite each other)")
    elif mark and not ours:
        c.add("blockers", f"the parallel target {target} is marked as the new server of {mark.get('source')}: give "
              "each source its own new server")
    elif tool != "none":
        c.add("blockers", f"the parallel target {target}: its assessment cannot confirm that no sync engine runs "
              "there (see its facts' warnings)")
    if build is None:
        c.add("warnings", f"the parallel target {target}: OS build unknown: confirm Windows Server 2016-2022")
    elif build not in c.policy.supported_builds or (caption != "unknown" and "Server" not in caption):
        c.add("blockers", f"the parallel target {target} runs {caption} (build {build}): Connect 2.x needs Windows "
              "Server 2016, 2019 or 2022")
    if os_.get("server_core") is True:
        c.add("blockers", f"the parallel target {target} is a Server Core installation: the wizard needs the "
              "Desktop Experience")
    elif os_.get("server_core") is None:
        c.add("warnings", f"the parallel target {target}: installation type unknown: confirm the Desktop Experience")
    if os_.get("part_of_domain") is False:
        c.add("blockers", f"the parallel target {target} is not joined to a domain: Connect needs a domain-joined "
              "server")
    elif os_.get("part_of_domain") is None:
        c.add("warnings", f"the parallel target {target}: domain membership unknown: confirm it is domain-joined")
    edition = str(os_.get("edition") or "")
    if re.search(r"Essentials|Foundation|SmallBusiness", edition, re.I) and (build or 0) < 17763:
        c.add("blockers", f"the parallel target {target} runs the {edition} edition: Connect needs Standard or "
              "better (Essentials only from Windows Server 2019)")
    if len(c.blockers) == before:
        c.add("reasons", f"parallel target: {target}, assessed ready (clean {caption}, domain-joined); it gets "
              f"Connect {c.policy.target_version} in staging mode, then the cutover")


def _connect_objects(c):
    limit = c.policy.connect_max_objects
    if c.objects is None:
        c.add("warnings", f"object count unknown: in-place upgrades are documented for fewer than about {limit:,} "
              "objects; confirm the count (Synchronization Service Manager, metaverse search) before an in-place "
              "upgrade")
    elif c.objects >= limit:
        c.vote(f"{c.objects:,} objects >= {limit:,}: Microsoft documents in-place upgrades for a single server with "
               "fewer than about 100,000 objects; a swing (parallel) deployment is the safer path", False,
               change=False)


def _sql_version(c):
    version = str(c.db.get("version") or "")
    major = _int(version.split(".")[0]) if version else None
    if major is None:
        c.add("warnings", "full SQL Server version unknown: confirm it is a version Connect Sync still supports "
              "(not SQL Server 2012 or 2016)")
        return
    name = c.policy.sql_unsupported.get(major) or (
        "an older SQL Server" if major < min(c.policy.sql_unsupported) else None)
    if name:
        c.vote(f"the sync database runs on {name} ({version}), which Connect Sync no longer supports: a parallel "
               "deployment with a supported SQL Server, or upgrade SQL Server first", False, change=False)


def _runs_connect_here(c) -> bool:
    return c.path == "in_place" or (c.path == "none" and c.tool == "connect")


def _dotnet(c):
    dotnet = _map(c.facts.get("dotnet"))
    release, p = _int(dotnet.get("release")), c.policy
    if release is None:
        c.add("warnings", f".NET Framework release unknown: confirm >= {p.dotnet_min_version}")
    elif release < p.dotnet_min_release:
        c.add("warnings", f".NET Framework {dotnet.get('version')} (release {release}) < {p.dotnet_min_version} "
              f"({p.dotnet_min_release}): install 4.8 before the upgrade")


def _tls12(c):
    tls = _map(c.facts.get("tls12"))
    if tls.get("enabled") is False:
        missing = ", ".join(str(m) for m in tls.get("missing") or []) or "values not reported"
        c.add("warnings", f"TLS 1.2 not fully enabled, missing: {missing}; set them and reboot")
    elif tls.get("enabled") is not True:
        c.add("warnings", "TLS 1.2 state unknown: confirm the eight registry values")


# ---------------------------------------------------------------------------------------------- the table
@dataclass(frozen=True)
class Rule:
    id: str
    when: Callable[[_Ctx], bool]
    then: Callable[[_Ctx], None]


def _is(*tools):
    return lambda c: c.tool in tools


def _say(kind, text):
    return lambda c: c.add(kind, text(c) if callable(text) else text)


def _move(text, hard=False):
    return lambda c: c.vote(text, hard)


def _change(text):
    return lambda c: (setattr(c, "change", True), c.add("reasons", text))


def _due(date, what, effect):
    return lambda c: c.deadline(date(c), what(c) if callable(what) else what, effect)


def _connect_1x(c) -> bool:
    return c.tool == "connect" and c.below("2.0")

RULES: list[Rule] = [
    # evidence: no decision without it
    Rule("R-NOT-ASSESSED", lambda c: c.options.get("status", "assessed") != "assessed", _not_assessed),
    Rule("R-NO-SYNC-TOOL", _is("none"), _no_tool),
    Rule("R-TENANT-TWO-ACTIVE", lambda c: bool(c.options.get("tenant_servers")), _tenant_two_active),
    Rule("R-CUT-OVER", _cut_over, _replaced),
    Rule("R-UNKNOWN-EVIDENCE", lambda c: c.tool not in TOOLS or (c.tool == "connect" and c.version is None),
         _unknown),
    # product
    Rule("R-DIRSYNC", _is("dirsync"), _change("DirSync is retired: replace it with Entra Connect Sync")),
    Rule("R-DIRSYNC-OBJECTS", _is("dirsync"), _dirsync_objects),
    Rule("R-AADSYNC", _is("aadsync"),
         _move("Azure AD Sync is retired: Microsoft prefers a swing (parallel) migration for it")),
    Rule("R-MIM-CONNECTOR", _is("mim_connector"),
         _move("FIM/MIM Azure AD connector: a new Entra Connect Sync server replaces it; MIM stays for its other "
               "agents (nothing here to upgrade in place)", hard=True)),
    Rule("R-CONNECTOR-GUID", lambda c: c.tool in ("connect", "aadsync") and _foreign_entra_connector(c),
         _move(f"no connector has the fixed Entra connector id {ENTRA_CONNECTOR_ID}: this configuration cannot "
               "be upgraded in place (clean install on a new server)", hard=True)),
    Rule("R-CONNECT-1X", _connect_1x, _say("reasons", lambda c: f"Connect {c.vtext} is on the retired 1.x line")),
    Rule("R-CONNECT-MINIMUM", _is("connect"), _connect_minimum),
    Rule("R-UNFINISHED-UPGRADE", lambda c: c.tool == "connect" and isinstance(c.facts.get("unfinished_upgrade"), dict),
         _change("an upgrade by this toolkit is unfinished here (the sync scheduler it suspended is not back yet): "
                 "the run finishes it in place (scheduler as it was, a delta cycle, verification)")),
    Rule("R-BELOW-RECOMMENDED", lambda c: c.tool == "connect" and not c.change and c.below(c.policy.target_version),
         _say("warnings", lambda c: f"{c.vtext} is supported but below the recommended {c.policy.target_version}")),
    # platform
    Rule("R-OS-2X-SUPPORTED", lambda c: c.build not in c.policy.unsupported_builds, _os_supported),
    Rule("R-WS2025", lambda c: c.build in c.policy.unsupported_builds, _ws2025),
    Rule("R-SERVER-CORE", lambda c: c.os.get("server_core") is not False, _server_core),
    Rule("R-LOCALDB-LIMIT", lambda c: c.db_type in ("localdb", "sql_express", "unknown"), _localdb),
    Rule("R-CONNECT-OBJECTS", lambda c: c.tool == "connect" and c.change, _connect_objects),
    Rule("R-SQL-VERSION", lambda c: c.tool in ("connect", "aadsync") and c.db_type == "sql", _sql_version),
    Rule("R-DOMAIN-CONTROLLER", lambda c: c.os.get("domain_controller") is True,
         _say("warnings", "runs on a domain controller: allowed (sMSA service account) but without an explicit "
              "support statement; a member server is the cleaner host")),
    Rule("R-STAGING-MODE", lambda c: c.facts.get("staging_mode") is True,
         _say("reasons", "staging server (imports and syncs, never exports): it stays in staging mode")),
    # deadlines, judged against the run date (passed on or after the date)
    Rule("R-DEADLINE-DIRSYNC", _is("dirsync"), _due(lambda c: c.policy.dirsync_stopped, "DirSync stopped working",
                                                     "stopped")),
    Rule("R-DEADLINE-DIRSYNC", _is("aadsync"), _due(lambda c: c.policy.aadsync_stopped,
                                                     "Azure AD Sync stopped working", "stopped")),
    Rule("R-DEADLINE-1X", _connect_1x, _due(lambda c: c.policy.v1_retired, "Connect 1.x retired", "degraded")),
    Rule("R-DEADLINE-1X", _connect_1x, _due(lambda c: c.policy.v1_stopped, "Connect 1.x stopped syncing", "stopped")),
    Rule("R-DEADLINE-SIGNIN", lambda c: c.tool == "connect" and c.below(_signin_minimum(c)),
         _due(lambda c: c.policy.signin_date, lambda c: f"below {_signin_minimum(c)}, wizard tasks that need an "
              "Entra sign-in fail (sync continues)", "degraded")),
    Rule("R-DEADLINE-MINIMUM", lambda c: c.tool == "connect" and c.below(c.policy.minimum_version),
         _due(lambda c: c.policy.minimum_date, lambda c: f"below {c.policy.minimum_version}, the sync service "
              "stops", "stopped")),
    Rule("R-DEADLINE-FIM-CONNECTOR", _is("mim_connector"), _due(lambda c: c.policy.fim_connector_stopped,
                                                                 "the FIM Azure AD connector cannot connect",
                                                                 "stopped")),
    # forcing and the parallel target
    Rule("R-FORCED-PARALLEL", lambda c: c.forced == "parallel",
         _forced_parallel),
    Rule("R-FORCED-IN-PLACE", lambda c: c.forced == "in_place", _forced_in_place),
    Rule("R-PARALLEL-NEEDS-TARGET", lambda c: c.path == "parallel", _needs_target),
    Rule("R-PARALLEL-TARGET-SHARED", lambda c: _target_named(c) and bool(c.options.get("target_claimed_by")),
         _target_shared),
    Rule("R-PARALLEL-TARGET-READY", _target_named, _target_ready),
    # prerequisites of a server that runs Connect after the change (remediable: warnings, not blockers)
    Rule("R-DOTNET", _runs_connect_here, _dotnet),
    Rule("R-TLS12", _runs_connect_here, _tls12),
    Rule("R-PENDING-REBOOT", lambda c: c.facts.get("pending_reboot") is True and c.path != "none",
         _say("warnings", "a reboot is pending: reboot before changing this server")),
    Rule("R-TARGET-UNCONFIRMED", lambda c: c.path in ("in_place", "parallel") and not c.policy.target_confirmed,
         _say("warnings", lambda c: f"target {c.policy.target_version} is UNCONFIRMED: re-check Microsoft's version "
              "history, then set recommended_target.confirmed in policy/lifecycle.yml")),
]


def _checked(facts, policy, options, today) -> tuple[dict, dict, dt.date]:
    """The inputs, or ValueError naming what is wrong: the library is safe for any caller, not just the action."""
    if facts is not None and not isinstance(facts, Mapping):
        raise ValueError(f"facts must be a mapping (ansible_facts.sync), not {type(facts).__name__}")
    if not isinstance(policy, Policy):
        raise ValueError("policy must come from load_policy()")
    options = dict(options or {})
    for name, value in options.items():
        if name not in OPTIONS:
            raise ValueError(f"unknown option {name!r}; the options are {sorted(OPTIONS)}")
        want, check = OPTIONS[name]
        if not check(value):
            raise ValueError(f"option {name} must be {want}, not {value!r}")
    options.setdefault("status", "assessed")
    return dict(facts or {}), options, as_date(today)


def as_date(today) -> dt.date:
    """The day deadlines are judged against, from a date or YYYY-MM-DD text; ValueError otherwise."""
    if isinstance(today, dt.datetime):
        return today.date()
    if isinstance(today, dt.date):
        return today
    if isinstance(today, str):
        try:
            return dt.date.fromisoformat(today.strip())
        except ValueError:
            pass
    raise ValueError(f"today must be a date (YYYY-MM-DD), not {today!r}")


def decide(facts: dict, policy: Policy, options: dict | None, today: dt.date | str) -> dict:
    """Walk RULES over one host's facts (ansible_facts.sync) and return the decision dict."""
    facts, options, today = _checked(facts, policy, options, today)
    c = _Ctx(facts, policy, options, today)
    for entry in RULES:
        if c.stopped:
            break
        if entry.when(c):
            c.rule = entry.id
            entry.then(c)
    return c.result()
