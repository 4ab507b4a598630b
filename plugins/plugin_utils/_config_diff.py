# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Comparing two sync configurations: the source server's baseline and the new server's export.

Each source of a configuration has a small parser into one normalized model (docs/configuration-compare.md):
  server_configuration  a folder Get-ADSyncServerConfiguration -Path wrote (Connectors\\, GlobalSettings\\,
                        SynchronizationRules\\)
  json_export           the wizard's Applied-SynchronizationPolicy-<stamp>.json (the lab's stand-in shape)
  migrate_settings      MigrateSettings.ps1's Exported-ServerConfiguration-<id>\\ folder (its server
                        configuration files; MigratedPolicy.json names the server and database)
  dirsync_export        DirSync's exported settings: its connectors mapped to Connect's as /migrate does
                        (the AD connector named after its forest, the Azure AD one '<tenant> - AAD')
The model: {kind, global: {...}|None, connectors: {name: {...}}|None, rules: {name: {...}}|None, why: {area:
reason}}; None means the source cannot tell, and the area is reported as not compared, never as clean.
"""

from __future__ import annotations

import fnmatch
import json
import xml.etree.ElementTree as ET
from pathlib import Path

AREAS = ("global", "connector", "partition", "attribute_inclusion", "rule")
LAB_POLICY_SCHEMA = "entra-sync-upgrade lab: applied synchronization policy v1"
LAB_DIRSYNC_SCHEMA = "entra-sync-upgrade lab: DirSync exported settings v1"
AD_TYPE = "AD"
MANIFEST = "manifest.json"


class ConfigParseError(ValueError):
    """The files are not a configuration this module can read (the message says why)."""


# --- the normalized model -------------------------------------------------------------------------------------
def _connector(c: dict) -> dict:
    excluded = {a.lower() for a in c.get("attributes_excluded") or []}
    included = c.get("attributes_included")
    if included is None:
        included = [a for a in c.get("attributes") or [] if a.lower() not in excluded]
    return {"type": str(c.get("type") or ""), "object_types": sorted(str(o) for o in c.get("object_types") or []),
            "attributes": sorted({str(a) for a in included}, key=str.lower),
            "partitions": {str(p["name"]): {"inclusions": sorted(p.get("inclusions") or []),
                                            "exclusions": sorted(p.get("exclusions") or [])}
                           for p in c.get("partitions") or []}}


def _rule(r: dict, connector_names: dict) -> dict:
    return {"precedence": int(r.get("precedence") or 0), "direction": str(r.get("direction") or ""),
            "connector": connector_names.get(str(r.get("connector") or "").strip("{}").lower(),
                                             str(r.get("connector") or "")),
            "source_object_type": str(r.get("source_object_type") or ""),
            "target_object_type": str(r.get("target_object_type") or ""),
            "link_type": str(r.get("link_type") or ""), "disabled": bool(r.get("disabled")),
            "scope": _canon(r.get("scope") or []), "join": _canon(r.get("join") or []),
            "flows": {str(f.get("target")): _canon({"type": f.get("type"), "source": f.get("source") or [],
                                                    "expression": f.get("expression")})
                      for f in r.get("flows") or []}}


def _canon(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def model(kind: str, glob: dict | None, connectors: list[dict] | None, rules: list[dict] | None,
          why: dict | None = None) -> dict:
    names = {str(c.get("identifier") or "").strip("{}").lower(): str(c["name"]) for c in connectors or []}
    return {"kind": kind,
            "global": None if glob is None else {"tenant": str(glob.get("tenant") or ""),
                                                 "password_hash_sync": bool(glob.get("password_hash_sync"))},
            "connectors": None if connectors is None else {str(c["name"]): _connector(c) for c in connectors},
            "rules": None if rules is None else {str(r["name"]): _rule(r, names) for r in rules},
            "why": dict(why or {})}


# --- parsers --------------------------------------------------------------------------------------------------
def _text(element, tag: str) -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None else ""


def parse_server_configuration(files: dict[str, bytes], kind: str = "server_configuration") -> dict:
    """Get-ADSyncServerConfiguration's folder: relative path -> bytes (either slash)."""
    connectors, rules, glob = [], [], None
    for path, data in sorted(files.items()):
        parts = path.replace("/", "\\").split("\\")
        folder = parts[-2].lower() if len(parts) > 1 else ""
        if not parts[-1].lower().endswith(".xml"):
            continue
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise ConfigParseError(f"{path}: not XML ({exc})") from None
        if folder == "connectors" and root.tag == "ma-data":
            connectors.append(_xml_connector(root))
        elif folder == "synchronizationrules" and root.tag == "synchronizationRule":
            rules.append(_xml_rule(root))
        elif folder == "globalsettings" and root.tag == "global-settings":
            values = {p.get("name"): (p.text or "").strip() for p in root.iter("parameter")}
            glob = {"tenant": values.get("Tenant"), "password_hash_sync": values.get("PasswordHashSync") == "True"}
    if not connectors:
        raise ConfigParseError("no Connectors\\Connector_{id}.xml: not a Get-ADSyncServerConfiguration folder")
    why = {} if glob is not None else {"global": "GlobalSettings\\GlobalSettings.xml holds no settings this "
                                                 "comparison reads"}
    return model(kind, glob, connectors, rules, why)


def _xml_connector(root) -> dict:
    partitions, object_types = [], []
    for p in root.iter("partition"):
        object_types = [c.text for c in p.iter("object-class") if c.text]
        partitions.append({"name": _text(p, "name"), "inclusions": [i.text for i in p.iter("inclusion") if i.text],
                           "exclusions": [e.text for e in p.iter("exclusion") if e.text]})
    inclusion = root.find("attribute-inclusion")
    return {"name": _text(root, "name"), "type": _text(root, "category"), "identifier": _text(root, "id"),
            "partitions": partitions, "object_types": object_types,
            "attributes_included": [a.text for a in (inclusion if inclusion is not None else []) if a.text]}


def _xml_rule(root) -> dict:
    flows = []
    for m in root.iter("mapping"):
        source = [a.text for a in m.iter("attr") if a.text]
        expression = m.find("expression")
        expression = expression.text if expression is not None else None
        flows.append({"type": "Expression" if expression is not None and source else
                      "Constant" if expression is not None else "Direct",
                      "source": source, "target": _text(m, "dest"), "expression": expression})
    relationship, criteria = root.find("relationshipCriteria"), root.find("synchronizationCriteria")
    return {"name": _text(root, "name"), "identifier": _text(root, "id"),
            "precedence": int(_text(root, "precedence") or 0), "direction": _text(root, "direction"),
            "connector": _text(root, "connector"), "source_object_type": _text(root, "sourceObjectType"),
            "target_object_type": _text(root, "targetObjectType"), "link_type": _text(root, "linkType"),
            "disabled": _text(root, "disabled") == "True",
            "join": [[{"source": _text(c, "csAttribute"), "target": _text(c, "ilmAttribute")}
                      for c in group.iter("condition")] for group in (relationship if relationship is not None else [])],
            "scope": [[{"attribute": _text(s, "csAttribute"), "operator": _text(s, "csOperator"),
                        "value": _text(s, "csValue")} for s in group.iter("scope")]
                      for group in (criteria if criteria is not None else [])],
            "flows": flows}


def _json(data: bytes, what: str) -> dict:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ConfigParseError(f"{what}: not JSON ({exc})") from None
    if not isinstance(doc, dict):
        raise ConfigParseError(f"{what}: not a JSON object")
    return doc


def parse_json_export(data: bytes) -> dict:
    """The wizard's Applied-SynchronizationPolicy JSON. Microsoft does not publish its shape; this reads the
    lab's stand-in and refuses anything else (so a real file is reported as not compared, never as clean)."""
    doc = _json(data, "Applied-SynchronizationPolicy JSON")
    if doc.get("schema") != LAB_POLICY_SCHEMA:
        raise ConfigParseError("this Applied-SynchronizationPolicy JSON has a shape this comparison cannot read "
                               "(compare the server configuration export instead)")
    return model("json_export", doc.get("global"), doc.get("connectors"), doc.get("rules"))


def parse_migrate_settings(files: dict[str, bytes]) -> dict:
    """MigrateSettings.ps1's folder: its Get-ADSyncServerConfiguration files (MigratedPolicy.json must be there)."""
    names = {k.replace("/", "\\").split("\\")[-1].lower() for k in files}
    if "migratedpolicy.json" not in names:
        raise ConfigParseError("no MigratedPolicy.json: not MigrateSettings.ps1's folder")
    return parse_server_configuration(files, "migrate_settings")


def parse_dirsync_export(data: bytes) -> dict:
    """DirSync's exported settings, with its connectors named as the /migrate import names Connect's. DirSync
    has no declarative sync rules: the rules are not compared (the new server runs Connect's standard rules)."""
    doc = _json(data, "DirSync export")
    if doc.get("schema") != LAB_DIRSYNC_SCHEMA:
        raise ConfigParseError("not a DirSync settings export this comparison can read")
    glob = doc.get("global") or {}
    connectors = []
    for c in doc.get("connectors") or []:
        c = dict(c)
        if c.get("type") == AD_TYPE:
            c["name"] = ((c.get("partitions") or [{}])[0].get("display_name")) or c["name"]
        else:
            c["name"] = f"{glob.get('tenant')} - AAD"
        connectors.append(c)
    return model("dirsync_export", glob, connectors, None,
                 {"rule": "DirSync has no declarative synchronization rules; the new server runs Connect's "
                          "standard rules"})


def read_folder(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (but the controller's manifest), by relative Windows-style path."""
    return {str(p.relative_to(folder)).replace("/", "\\"): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != MANIFEST}


def load(path, kind: str | None = None) -> dict:
    """The model of a configuration on the controller: a folder sync_settings fetched (its manifest names the
    method), a Get-ADSyncServerConfiguration folder, or a single JSON file."""
    path = Path(path)
    if path.is_file():
        data = path.read_bytes()
        kind = kind or ("dirsync_export" if LAB_DIRSYNC_SCHEMA.encode() in data else "json_export")
        return parse_json_export(data) if kind == "json_export" else parse_dirsync_export(data)
    if not path.is_dir():
        raise ConfigParseError(f"{path}: no such file or folder")
    if kind is None and (path / MANIFEST).is_file():
        kind = _json((path / MANIFEST).read_bytes(), str(path / MANIFEST)).get("method")
    files = read_folder(path)
    if kind is None:
        lower = {k.lower() for k in files}
        kind = ("migrate_settings" if any(k.endswith("migratedpolicy.json") for k in lower) else
                "server_configuration" if any(k.startswith("connectors\\") or "\\connectors\\" in k for k in lower)
                else None)
    if kind == "dirsync_export" and len(files) == 1:
        # DirSync's wizard export is one file, named as the operator saved it
        return parse_dirsync_export(next(iter(files.values())))
    if kind in ("json_export", "dirsync_export"):
        jsons = [v for k, v in files.items() if k.lower().endswith(".json")]
        if len(jsons) != 1:
            raise ConfigParseError(f"{path}: expected one JSON file for {kind}, found {len(jsons)}")
        return parse_json_export(jsons[0]) if kind == "json_export" else parse_dirsync_export(jsons[0])
    if kind == "migrate_settings":
        return parse_migrate_settings(files)
    if kind in ("server_configuration", "export_config"):
        return parse_server_configuration(files)
    raise ConfigParseError(f"{path}: not a configuration this comparison can read (kind {kind})")


# --- the comparison -------------------------------------------------------------------------------------------
def _row(area, name, prop, source, target) -> dict:
    return {"area": area, "name": name, "property": prop, "source": source, "target": target}


def _diff_connectors(base: dict, target: dict) -> dict[str, list]:
    rows = {"connector": [], "partition": [], "attribute_inclusion": []}
    for name in sorted(set(base) | set(target)):
        b, t = base.get(name), target.get(name)
        if b is None or t is None:
            rows["connector"].append(_row("connector", name, "present", b is not None, t is not None))
            continue
        for prop in ("type", "object_types"):
            if b[prop] != t[prop]:
                rows["connector"].append(_row("connector", name, prop, b[prop], t[prop]))
        for dn in sorted(set(b["partitions"]) | set(t["partitions"])):
            bp, tp = b["partitions"].get(dn), t["partitions"].get(dn)
            label = f"{name}/{dn}"
            if bp is None or tp is None:
                rows["partition"].append(_row("partition", label, "present", bp is not None, tp is not None))
                continue
            for prop in ("inclusions", "exclusions"):
                if bp[prop] != tp[prop]:
                    rows["partition"].append(_row("partition", label, prop, bp[prop], tp[prop]))
        battrs, tattrs = {a.lower(): a for a in b["attributes"]}, {a.lower(): a for a in t["attributes"]}
        for key in sorted(set(battrs) ^ set(tattrs)):
            rows["attribute_inclusion"].append(_row(
                "attribute_inclusion", name, battrs.get(key) or tattrs[key],
                "included" if key in battrs else "excluded", "included" if key in tattrs else "excluded"))
    return rows


def _diff_rules(base: dict, target: dict) -> list:
    rows = []
    for name in sorted(set(base) | set(target)):
        b, t = base.get(name), target.get(name)
        if b is None or t is None:
            rows.append(_row("rule", name, "present", b is not None, t is not None))
            continue
        for prop in ("precedence", "direction", "connector", "source_object_type", "target_object_type",
                     "link_type", "disabled", "scope", "join"):
            if b[prop] != t[prop]:
                rows.append(_row("rule", name, prop, b[prop], t[prop]))
        for attribute in sorted(set(b["flows"]) | set(t["flows"])):
            if b["flows"].get(attribute) != t["flows"].get(attribute):
                rows.append(_row("rule", name, f"flow {attribute}", b["flows"].get(attribute),
                                 t["flows"].get(attribute)))
    return rows


def _matches(pattern: dict, area: str, name: str, prop: str) -> bool:
    return all(fnmatch.fnmatchcase(str(value), str(pattern.get(key, "*")))
               for key, value in (("area", area), ("name", name), ("property", prop)))


def accepted_by(patterns: list, area: str, name: str, prop: str) -> bool:
    return any(_matches(p or {}, area, name, prop) for p in patterns or [])


def compare(baseline: dict, target: dict, accepted: list | None = None) -> dict:
    """Rows for every difference, each marked accepted when a pattern {area, name, property} (shell-style
    wildcards, a missing key matches anything) covers it; `clean` only when every row is accepted and every area
    was compared (an area one side cannot tell about is listed in not_compared, which a pattern with property
    'not_compared' may accept)."""
    rows, compared, not_compared = [], [], []

    def skip(area: str, side: dict, who: str):
        why = side["why"].get(area) or f"the {who} ({side['kind']}) does not tell"
        not_compared.append({"area": area, "why": why,
                             "accepted": accepted_by(accepted, area, "*", "not_compared")})

    sides = (("baseline", baseline), ("target", target))
    if baseline["global"] is None or target["global"] is None:
        skip("global", *next((s, w) for w, s in sides if s["global"] is None))
    else:
        compared.append("global")
        for prop in ("tenant", "password_hash_sync"):
            if baseline["global"][prop] != target["global"][prop]:
                rows.append(_row("global", "global", prop, baseline["global"][prop], target["global"][prop]))
    if baseline["connectors"] is None or target["connectors"] is None:
        for area in ("connector", "partition", "attribute_inclusion"):
            side, who = next((s, w) for w, s in sides if s["connectors"] is None)
            skip(area, side, who)
    else:
        for area, found in _diff_connectors(baseline["connectors"], target["connectors"]).items():
            compared.append(area)
            rows.extend(found)
    if baseline["rules"] is None or target["rules"] is None:
        side, who = next((s, w) for w, s in sides if s["rules"] is None)
        skip("rule", side, who)
    else:
        compared.append("rule")
        rows.extend(_diff_rules(baseline["rules"], target["rules"]))
    for row in rows:
        row["accepted"] = accepted_by(accepted, row["area"], row["name"], row["property"])
    clean = all(r["accepted"] for r in rows) and all(n["accepted"] for n in not_compared)
    return {"clean": clean, "rows": rows, "compared": [a for a in AREAS if a in compared],
            "not_compared": not_compared, "baseline_kind": baseline["kind"], "target_kind": target["kind"]}
