r"""The sync engine's configuration as a model, and the files it is exported to and imported from.

The configuration is what Get-ADSyncServerConfiguration reports and the Connect wizard exports and imports:
connectors (name, type, identifier, partitions with their OU inclusions/exclusions, the object types and the
attributes they bring in) and synchronization rules (name, identifier, precedence, direction, connector, object
types, scope filter groups, join rules, attribute flows), plus a few global settings (tenant, password hash sync).

It is derived deterministically from the profile's `sync:` state (connectors, server_configuration
{standard_rules, custom_rules}, tenant, password_hash_sync) unless the state carries an explicit `configuration`
(what an import wrote). The files (docs/configuration-compare.md, "Settings methods"):

- export_files: what `Get-ADSyncServerConfiguration -Path` writes: Connectors\Connector_{GUID}.xml (element
  `ma-data`), GlobalSettings\GlobalSettings.xml and GlobalSettings\MV.xml, SynchronizationRules\
  SynchronizationRule_{GUID}.xml (element `synchronizationRule`). Element names and nesting follow the sample
  export in the public microsoft/AADConnectConfigDocumenter repository; the schema, run profiles and
  private configuration are left out; GlobalSettings.xml's content is UNCONFIRMED (a lab stand-in).
- settings_files: the wizard's Applied-SynchronizationPolicy-<stamp>.json (its public shape is not documented:
  the lab's JSON is a stand-in), MigrateSettings.ps1's Exported-ServerConfiguration-<GUID>\ folder, DirSync's
  export file (a lab stand-in too).
- apply_settings: the wizard's "Import synchronization settings" (or /migrate for DirSync) on a new engine,
  with what Microsoft says the import does not carry (how-to-connect-import-export-config.md, "Import gaps").
"""

from __future__ import annotations

import copy
import json
import re
import time
import uuid
import xml.etree.ElementTree as ET
from xml.sax.saxutils import escape as xml_escape

from . import authenticode
from .errors import NotSimulated

ENTRA_CONNECTOR_ID = "b891884f-051e-4a83-95af-2544101c9083"  # the fixed Entra connector GUID (upgrade docs)
AD_TYPE, ENTRA_TYPE = "AD", "Extensible2"
METHODS = ("json_export", "migrate_settings", "dirsync_export")
AADCONNECT_DATA = "C:\\ProgramData\\AADConnect"
JSON_SCHEMA = "entra-sync-upgrade lab: applied synchronization policy v1"  # the lab's stand-in shape
DIRSYNC_SCHEMA = "entra-sync-upgrade lab: DirSync exported settings v1"  # UNCONFIRMED: DirSync's export format
NOT_SETTINGS = "The selected file is not a valid synchronization settings file. Select a settings file exported " \
               "from a Microsoft Entra Connect server."  # UNCONFIRMED: the wizard's exact text

# The object classes an AD connector's partition filter selects by default (as in the public sample export) and
# the object types of the Entra connector.
AD_OBJECT_TYPES = ("computer", "contact", "foreignSecurityPrincipal", "group", "inetOrgPerson", "msDS-Device",
                   "user", "container", "domainDNS", "organizationalUnit")
ENTRA_OBJECT_TYPES = ("user", "group", "contact", "device")
# The attributes a connector brings in (a representative subset of the default attribute inclusion).
AD_ATTRIBUTES = ("cn", "company", "department", "description", "displayName", "extensionAttribute1",
                 "extensionAttribute2", "givenName", "l", "mail", "mailNickname", "manager", "member", "mobile",
                 "objectGUID", "objectSid", "physicalDeliveryOfficeName", "proxyAddresses", "pwdLastSet",
                 "sAMAccountName", "sn", "streetAddress", "telephoneNumber", "thumbnailPhoto", "title",
                 "userAccountControl", "userCertificate", "userPrincipalName")
ENTRA_ATTRIBUTES = ("accountEnabled", "cloudAnchor", "commonName", "displayName", "mail", "member",
                    "onPremiseSecurityIdentifier", "proxyAddresses", "sourceAnchor", "userPrincipalName")

# The standard rules a Connect install creates, in precedence order (names as Microsoft's default configuration
# names them; which rules exist in a given build: UNCONFIRMED). (name, object type in, object type out)
STANDARD_RULES = (
    ("In from AD - User Join", "user", "person"), ("In from AD - InetOrgPerson Join", "inetOrgPerson", "person"),
    ("In from AD - User AccountEnabled", "user", "person"), ("In from AD - User Common", "user", "person"),
    ("In from AD - User Common from ExchangeOnline", "user", "person"),
    ("In from AD - User Identity", "user", "person"), ("In from AD - User Exchange", "user", "person"),
    ("In from AD - InetOrgPerson AccountEnabled", "inetOrgPerson", "person"),
    ("In from AD - InetOrgPerson Common", "inetOrgPerson", "person"),
    ("In from AD - InetOrgPerson Identity", "inetOrgPerson", "person"),
    ("In from AD - InetOrgPerson Exchange", "inetOrgPerson", "person"),
    ("In from AD - Contact Join", "contact", "person"), ("In from AD - Contact Common", "contact", "person"),
    ("In from AD - Group Join", "group", "group"), ("In from AD - Group Common", "group", "group"),
    ("In from AD - Group Exchange", "group", "group"), ("In from AD - Computer Join", "computer", "device"),
    ("In from AD - Computer Common", "computer", "device"),
    ("In from AD - ForeignSecurityPrincipal Join User", "foreignSecurityPrincipal", "person"),
    ("In from AD - Device Join", "msDS-Device", "device"),
    ("In from AAD - User Join", "user", "person"), ("In from AAD - User Exchange Hybrid", "user", "person"),
    ("In from AAD - Group Join", "group", "group"), ("In from AAD - Contact Join", "contact", "person"),
    ("In from AAD - Device Join", "device", "device"),
    ("Out to AAD - User Join", "person", "user"), ("Out to AAD - User Identity", "person", "user"),
    ("Out to AAD - User ExchangeOnline", "person", "user"), ("Out to AAD - User DynamicsCRM", "person", "user"),
    ("Out to AAD - Contact Join", "person", "contact"), ("Out to AAD - Contact Identity", "person", "contact"),
    ("Out to AAD - Group Join", "group", "group"), ("Out to AAD - Group Identity", "group", "group"),
    ("Out to AAD - Group ExchangeOnline", "group", "group"), ("Out to AAD - Device Join SOAInAD", "device", "device"),
    ("Out to AAD - Device Identity", "device", "device"), ("Out to AD - User ExchangeOnline", "person", "user"),
    ("Out to AD - Group SOAInAAD", "group", "group"),
)


class SettingsError(ValueError):
    """The wizard refuses the settings (its message)."""


# --- the model ------------------------------------------------------------------------------------------------
def configuration(twin) -> dict:
    """The engine's configuration: {global, connectors, rules}; deep copies, so callers may change them."""
    sync = twin.state.get("sync") or {}
    if sync.get("configuration") is not None:
        return copy.deepcopy(sync["configuration"])
    return derive(twin)


def derive(twin) -> dict:
    """The configuration the profile's `sync:` state implies."""
    sync = twin.state.get("sync") or {}
    tenant = tenant_of(twin)
    connectors = [_connector(twin, c, tenant) for c in sync.get("connectors") or []]
    rules = []
    if sync.get("engine") == "adsync":  # DirSync and MIM have no declarative rules
        server = sync.get("server_configuration") or {}
        rules = standard_rules(twin, connectors, int(server.get("standard_rules", len(STANDARD_RULES))))
        for i, custom in enumerate(server.get("custom_rules") or []):
            rules.append(_custom_rule(twin, connectors, custom, i))
    return {"engine": str(sync.get("engine") or ""),
            "global": {"tenant": tenant, "password_hash_sync": bool(sync.get("password_hash_sync"))},
            "connectors": connectors, "rules": rules}


def tenant_of(twin) -> str:
    sync = twin.state.get("sync") or {}
    if sync.get("tenant"):
        return str(sync["tenant"])
    # lab convention: a profile without a tenant (DirSync) syncs to <the domain's second label>.onmicrosoft.com
    labels = str(twin.state.get("domain") or "contoso.com").split(".")
    return f"{labels[-2] if len(labels) > 1 else labels[0]}.onmicrosoft.com"


def domain_dn(domain: str) -> str:
    return ",".join(f"DC={label}" for label in domain.split(".") if label)


def _connector(twin, spec: dict, tenant: str) -> dict:
    kind = str(spec.get("type"))
    name = str(spec["name"])
    if kind == AD_TYPE:
        domain = name if "." in name and " " not in name else str(twin.state.get("domain") or "")
        partitions = [{"name": domain_dn(domain), "display_name": domain, "inclusions": [domain_dn(domain)],
                       "exclusions": []}]
        object_types, attributes = list(AD_OBJECT_TYPES), list(AD_ATTRIBUTES)
    else:
        partitions = [{"name": tenant, "display_name": tenant, "inclusions": [], "exclusions": []}]
        object_types, attributes = list(ENTRA_OBJECT_TYPES), list(ENTRA_ATTRIBUTES)
    overrides = spec.get("filtering") or {}  # a profile may say: {exclusions: [...], attributes_excluded: [...]}
    if overrides.get("exclusions"):
        partitions[0]["exclusions"] = [str(x) for x in overrides["exclusions"]]
    return {"name": name, "type": kind, "identifier": str(spec["identifier"]).lower(), "partitions": partitions,
            "object_types": object_types, "attributes": attributes,
            "attributes_excluded": [str(a) for a in overrides.get("attributes_excluded") or []]}


def _rule_id(twin, name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{twin.state.get('hostname')}/rule/{name}"))


def _connector_for(connectors: list[dict], entra: bool) -> dict | None:
    for c in connectors:
        if (c["type"] != AD_TYPE) == entra:
            return c
    return None


def _rule(twin, connectors, name, precedence, source_type, target_type, standard) -> dict:
    inbound = name.startswith("In from")
    entra = " AAD " in f" {name.split(' - ')[0]} "
    connector = _connector_for(connectors, entra)
    join = name.endswith("Join") or " Join " in name
    anchor = "sourceAnchor"
    return {
        "name": name, "identifier": _rule_id(twin, name), "precedence": precedence,
        "direction": "Inbound" if inbound else "Outbound",
        "connector": connector["identifier"] if connector else "", "source_object_type": source_type,
        "target_object_type": target_type, "link_type": "Provision" if join else "Join", "disabled": False,
        "standard": standard,
        "scope": [[{"attribute": "isCriticalSystemObject", "operator": "NOTEQUAL", "value": "True"}]] if inbound
        else [[{"attribute": "cloudFiltered", "operator": "NOTEQUAL", "value": "True"}]],
        "join": [[{"source": anchor if not inbound else "objectGUID", "target": anchor}]] if join else [],
        "flows": [{"type": "Direct", "source": ["displayName"], "target": "displayName", "expression": None},
                  {"type": "Expression", "source": ["objectGUID"] if inbound else [anchor], "target": anchor,
                   "expression": "ConvertToBase64([objectGUID])" if inbound else f"[{anchor}]"}],
    }


def standard_rules(twin, connectors: list[dict], count: int) -> list[dict]:
    """The first `count` standard rules at precedence 100 upward (custom rules take 0-99)."""
    rules = []
    for i in range(count):
        name, source, target = STANDARD_RULES[i] if i < len(STANDARD_RULES) else \
            (f"In from AD - Standard rule {i + 1}", "user", "person")
        rules.append(_rule(twin, connectors, name, 100 + i, source, target, True))
    return rules


def _custom_rule(twin, connectors, custom, index: int) -> dict:
    spec = custom if isinstance(custom, dict) else {"name": str(custom)}
    name = str(spec["name"])
    rule = _rule(twin, connectors, name, int(spec.get("precedence", 50 + index)),
                 str(spec.get("source_object_type", "user")), str(spec.get("target_object_type", "person")), False)
    if not name.startswith(("In from", "Out to")):
        rule["direction"] = str(spec.get("direction", "Inbound"))
        connector = _connector_for(connectors, rule["direction"] == "Outbound")
        rule["connector"] = connector["identifier"] if connector else ""
    return rule


def included_attributes(connector: dict) -> list[str]:
    excluded = {a.lower() for a in connector.get("attributes_excluded") or []}
    return sorted((a for a in connector.get("attributes") or [] if a.lower() not in excluded), key=str.lower)


# --- Get-ADSyncServerConfiguration -Path ----------------------------------------------------------------------
def export_files(twin) -> dict[str, bytes]:
    """What Get-ADSyncServerConfiguration -Path writes: relative path -> bytes."""
    config = configuration(twin)
    out = {"GlobalSettings\\GlobalSettings.xml": _global_xml(twin, config),
           "GlobalSettings\\MV.xml": _mv_xml(twin)}
    for connector in config["connectors"]:
        out[f"Connectors\\Connector_{{{connector['identifier']}}}.xml"] = _connector_xml(connector)
    for rule in config["rules"]:
        out[f"SynchronizationRules\\SynchronizationRule_{{{rule['identifier']}}}.xml"] = _rule_xml(rule)
    return out


def _sub(parent, tag: str, text=None) -> ET.Element:
    element = ET.SubElement(parent, tag)
    if text is not None:
        element.text = str(text)
    return element


def _bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def _global_xml(twin, config: dict) -> bytes:
    # UNCONFIRMED: GlobalSettings.xml's layout; the lab keeps the settings it compares as parameters
    root = ET.Element("global-settings")
    values = _sub(root, "parameter-values")
    for name, value in (("Tenant", config["global"]["tenant"]),
                        ("PasswordHashSync", str(bool(config["global"]["password_hash_sync"]))),
                        ("Server", str(twin.state.get("hostname")))):
        _sub(values, "parameter", value).set("name", name)
    return _bytes(root)


def _mv_xml(twin) -> bytes:
    root = ET.Element("saved-mv-configuration", {"server": str(twin.state.get("hostname"))})
    data = _sub(root, "mv-data")
    _sub(data, "format-version", 1)
    _sub(data, "schema")  # the metaverse schema is not modeled
    return _bytes(root)


def _connector_xml(connector: dict) -> bytes:
    root = ET.Element("ma-data")
    _sub(root, "format-version", 1)
    _sub(root, "id", "{" + connector["identifier"].upper() + "}")
    _sub(root, "name", connector["name"])
    _sub(root, "category", connector["type"])
    inclusion = _sub(root, "attribute-inclusion")
    for attribute in included_attributes(connector):
        _sub(inclusion, "attribute", attribute)
    partitions = _sub(root, "ma-partition-data")
    for p in connector["partitions"]:
        partition = _sub(partitions, "partition")
        _sub(partition, "id", "{" + str(uuid.uuid5(uuid.NAMESPACE_URL, connector["identifier"] + p["name"])) + "}")
        _sub(partition, "name", p["name"])
        _sub(partition, "selected", 1)
        _sub(partition, "display-name", p.get("display_name") or p["name"])
        filt = _sub(partition, "filter")
        classes = _sub(filt, "object-classes")
        for object_type in connector["object_types"]:
            _sub(classes, "object-class", object_type)
        containers = _sub(filt, "containers")
        exclusions, inclusions = _sub(containers, "exclusions"), _sub(containers, "inclusions")
        for dn in p.get("exclusions") or []:
            _sub(exclusions, "exclusion", dn)
        for dn in p.get("inclusions") or []:
            _sub(inclusions, "inclusion", dn)
    return _bytes(root)


def _rule_xml(rule: dict) -> bytes:
    root = ET.Element("synchronizationRule")
    _sub(root, "id", "{" + rule["identifier"] + "}")
    _sub(root, "version", 1)
    _sub(root, "name", rule["name"])
    _sub(root, "description")
    if rule.get("standard"):
        _sub(root, "immutable-tag", "Microsoft." + re.sub(r"[^A-Za-z]", "", rule["name"]) + ".001")
    _sub(root, "direction", rule["direction"])
    _sub(root, "disabled", str(bool(rule.get("disabled"))))
    _sub(root, "connector", "{" + rule["connector"] + "}")
    _sub(root, "sourceObjectType", rule["source_object_type"])
    _sub(root, "targetObjectType", rule["target_object_type"])
    _sub(root, "linkType", rule["link_type"])
    _sub(root, "precedence", rule["precedence"])
    mappings = _sub(root, "attribute-mappings")
    for flow in rule["flows"]:
        mapping = _sub(mappings, "mapping")
        _sub(mapping, "dest", flow["target"])
        src = _sub(mapping, "src")
        for attribute in flow.get("source") or []:
            _sub(src, "attr", attribute)
        if flow.get("expression") is not None:
            _sub(mapping, "expression", flow["expression"])
        _sub(mapping, "valueMergeType", "Update")
    relationship = _sub(root, "relationshipCriteria")
    for group in rule["join"]:
        conditions = _sub(relationship, "conditions")
        for c in group:
            condition = _sub(conditions, "condition")
            _sub(condition, "csAttribute", c["source"])
            _sub(condition, "ilmAttribute", c["target"])
    criteria = _sub(root, "synchronizationCriteria")
    for group in rule["scope"]:
        conditions = _sub(criteria, "conditions")
        for s in group:
            scope = _sub(conditions, "scope")
            _sub(scope, "csAttribute", s["attribute"])
            _sub(scope, "csOperator", s["operator"])
            _sub(scope, "csValue", s["value"] if s.get("value") not in (None, "") else None)
    return _bytes(root)


# --- reading the export back (the wizard's import of MigrateSettings' folder) -----------------------------------
def _text(element, tag: str, default: str = "") -> str:
    found = element.find(tag)
    return (found.text or "").strip() if found is not None and found.text is not None else default


def _guid(text: str) -> str:
    return text.strip().strip("{}").lower()


def parse_export(files: dict[str, bytes]) -> dict:
    """The configuration in a Get-ADSyncServerConfiguration folder (paths relative to it, either slash)."""
    connectors, rules, glob = [], [], {}
    for path, data in sorted(files.items()):
        folder, _, name = path.replace("/", "\\").rpartition("\\")
        folder = folder.rpartition("\\")[2].lower()
        try:
            root = ET.fromstring(data)
        except ET.ParseError as exc:
            raise SettingsError(f"{NOT_SETTINGS} ({path}: {exc})") from None
        if folder == "connectors" and root.tag == "ma-data":
            connectors.append(_parse_connector(root))
        elif folder == "synchronizationrules" and root.tag == "synchronizationRule":
            rules.append(_parse_rule(root))
        elif folder == "globalsettings" and root.tag == "global-settings":
            for p in root.iter("parameter"):
                glob[p.get("name")] = (p.text or "").strip()
    if not connectors:
        raise SettingsError(f"{NOT_SETTINGS} (no Connectors\\Connector_*.xml)")
    return {"engine": "adsync", "global": {"tenant": glob.get("Tenant", ""),
                                           "password_hash_sync": glob.get("PasswordHashSync") == "True"},
            "connectors": connectors, "rules": sorted(rules, key=lambda r: (r["precedence"], r["name"]))}


def _parse_connector(root) -> dict:
    kind = _text(root, "category")
    attributes = [a.text for a in root.iter("attribute") if a.text]
    defaults = list(AD_ATTRIBUTES if kind == AD_TYPE else ENTRA_ATTRIBUTES)
    partitions, object_types = [], []
    for p in root.iter("partition"):
        object_types = [c.text for c in p.iter("object-class") if c.text]
        partitions.append({"name": _text(p, "name"), "display_name": _text(p, "display-name"),
                           "inclusions": [i.text for i in p.iter("inclusion") if i.text],
                           "exclusions": [e.text for e in p.iter("exclusion") if e.text]})
    lower = {a.lower() for a in attributes}
    return {"name": _text(root, "name"), "type": kind, "identifier": _guid(_text(root, "id")),
            "partitions": partitions, "object_types": object_types,
            "attributes": sorted(set(defaults) | set(attributes), key=str.lower),
            "attributes_excluded": [a for a in defaults if a.lower() not in lower]}


def _children(root, tag: str) -> list:
    found = root.find(tag)
    return list(found) if found is not None else []


def _parse_rule(root) -> dict:
    flows = []
    for m in root.iter("mapping"):
        source = [a.text for a in m.iter("attr") if a.text]
        expression = m.find("expression")
        expression = expression.text if expression is not None else None
        flows.append({"type": "Expression" if expression is not None and source else
                      "Constant" if expression is not None else "Direct",
                      "source": source, "target": _text(m, "dest"), "expression": expression})
    join = [[{"source": _text(c, "csAttribute"), "target": _text(c, "ilmAttribute")} for c in group.iter("condition")]
            for group in _children(root, "relationshipCriteria")]
    scope = [[{"attribute": _text(s, "csAttribute"), "operator": _text(s, "csOperator"),
               "value": _text(s, "csValue")} for s in group.iter("scope")]
             for group in _children(root, "synchronizationCriteria")]
    return {"name": _text(root, "name"), "identifier": _guid(_text(root, "id")),
            "precedence": int(_text(root, "precedence", "0")), "direction": _text(root, "direction"),
            "connector": _guid(_text(root, "connector")), "source_object_type": _text(root, "sourceObjectType"),
            "target_object_type": _text(root, "targetObjectType"), "link_type": _text(root, "linkType"),
            "disabled": _text(root, "disabled") == "True", "standard": root.find("immutable-tag") is not None,
            "scope": scope, "join": join, "flows": flows}


# --- the settings files ---------------------------------------------------------------------------------------
def _stamp() -> str:
    return time.strftime("%Y%m%d-%H%M%S", time.gmtime())


def policy_json(twin) -> bytes:
    """The lab's Applied-SynchronizationPolicy JSON: the configuration with each connector's included attributes."""
    config = configuration(twin)
    sync = twin.state.get("sync") or {}
    for connector in config["connectors"]:
        connector["attributes_included"] = included_attributes(connector)
    doc = {"schema": JSON_SCHEMA, "server": twin.state.get("hostname"), "product_version": sync.get("version"),
           **config}
    return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")


def persisted_state_xml(twin) -> bytes:
    """The wizard's install state, %ProgramData%\\AADConnect\\PersistedState.xml (a short lab stand-in with the
    tenant it signed in to and that the install completed; the real file holds much more)."""
    element = "<PersistedStateElement><Key>{}</Key><Value>{}</Value></PersistedStateElement>"
    rows = [element.format("IAzureActiveDirectoryContext.TenantDomain", xml_escape(tenant_of(twin))),
            element.format("ISynchronizationServiceContext.InstallCompleted", "True")]
    return ('<?xml version="1.0" encoding="utf-8"?>\n<PersistedStateContainer>\n  <Elements>\n'
            + "".join(f"    {row}\n" for row in rows) + "  </Elements>\n</PersistedStateContainer>\n").encode("utf-8")


def write_persisted_state(twin) -> None:
    """The wizard writes its install state again after a change of tenant (an install with imported settings)."""
    path = f"{AADCONNECT_DATA}\\PersistedState.xml"
    if twin.files.exists(path):
        twin.files.write(path, persisted_state_xml(twin))


def newest_policy_name(twin) -> str | None:
    """The newest Applied-SynchronizationPolicy-*.json in %ProgramData%\\AADConnect (by name: the stamp sorts)."""
    try:
        entries = twin.files.listdir(AADCONNECT_DATA)
    except Exception:  # no such folder
        return None
    names = sorted(e["path"].rpartition("\\")[2] for e in entries
                   if re.fullmatch(r"(?i)Applied-SynchronizationPolicy-.*\.json", e["path"].rpartition("\\")[2]))
    return names[-1] if names else None


def settings_files(twin, method: str) -> dict[str, bytes]:
    """The settings a method produces on `twin` (the source): file name (relative) -> bytes."""
    if method == "json_export":
        return {newest_policy_name(twin) or f"Applied-SynchronizationPolicy-{_stamp()}.json": policy_json(twin)}
    if method == "migrate_settings":
        return migrate_settings_files(twin)
    if method == "dirsync_export":
        return {"DirSyncSettings.json": dirsync_export_json(twin)}
    raise NotSimulated(f"settings method {method}")


class MigrateSettingsError(Exception):
    """MigrateSettings.ps1 stops with this message."""


def migrate_settings_files(twin, folder_id: str | None = None) -> dict[str, bytes]:
    """MigrateSettings.ps1's output: Exported-ServerConfiguration-<GUID>\\ with the server configuration,
    PersistedState.xml and MigratedPolicy.json. It needs the wizard's WizardPath value and the ADSync service
    key (the script's own checks; its messages here are UNCONFIRMED)."""
    wizard = twin.registry.get_value("HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect", "WizardPath")
    if wizard is None:
        raise MigrateSettingsError("Azure AD Connect is not installed on this server: the registry value "
                                   "HKLM\\SOFTWARE\\Microsoft\\Azure AD Connect\\WizardPath was not found.")
    parameters = "HKLM\\SYSTEM\\CurrentControlSet\\Services\\ADSync\\Parameters"
    if not twin.registry.key_exists("HKLM\\SYSTEM\\CurrentControlSet\\Services\\ADSync"):
        raise MigrateSettingsError("The Azure AD Sync service (ADSync) is not installed on this server.")
    folder = f"Exported-ServerConfiguration-{folder_id or uuid.uuid4()}"
    out = {f"{folder}\\{k}": v for k, v in export_files(twin).items()}
    persisted = f"{AADCONNECT_DATA}\\PersistedState.xml"
    if twin.files.get(persisted) is not None:
        out[f"{folder}\\PersistedState.xml"] = twin.files.read(persisted)

    def value(name):
        found = twin.registry.get_value(parameters, name)
        return None if found is None else found.get("data", found.get("value"))

    config = configuration(twin)
    migrated = {"schema": JSON_SCHEMA, "Server": value("Server"), "SQLInstance": value("SQLInstance"),
                "DBName": value("DBName"), "ConnectorIds": [c["identifier"] for c in config["connectors"]],
                "ServerConfiguration": folder}
    out[f"{folder}\\MigratedPolicy.json"] = json.dumps(migrated, indent=2, sort_keys=True).encode("utf-8")
    return out


def dirsync_export_json(twin) -> bytes:
    """DirSync's exported settings (the lab's stand-in): its two connectors, OU and attribute filtering,
    password sync and the tenant."""
    config = derive(twin)
    doc = {"schema": DIRSYNC_SCHEMA, "server": twin.state.get("hostname"),
           "global": config["global"], "connectors": config["connectors"]}
    return json.dumps(doc, indent=2, sort_keys=True).encode("utf-8")


# --- the wizard's import --------------------------------------------------------------------------------------
def read_settings(files: dict[str, bytes], method: str) -> dict:
    """The configuration in a set of settings files; SettingsError for files that are not settings."""
    if method == "migrate_settings":
        policy = [k for k in files if k.replace("/", "\\").rpartition("\\")[2].lower() == "migratedpolicy.json"]
        if not policy:
            raise SettingsError(f"{NOT_SETTINGS} (no MigratedPolicy.json)")
        _json(files[policy[0]], JSON_SCHEMA)
        base = policy[0].replace("/", "\\").rpartition("\\")[0]
        inner = {k.replace("/", "\\")[len(base) + 1 if base else 0:]: v for k, v in files.items()
                 if k.lower().endswith(".xml")}
        return parse_export({k: v for k, v in inner.items() if "\\" in k})
    if method not in ("json_export", "dirsync_export"):
        raise NotSimulated(f"settings method {method}")
    if len(files) != 1:
        raise SettingsError(f"{NOT_SETTINGS} (expected one file, got {len(files)})")
    doc = _json(next(iter(files.values())), JSON_SCHEMA if method == "json_export" else DIRSYNC_SCHEMA)
    for connector in doc.get("connectors") or []:
        connector.pop("attributes_included", None)
    return {"engine": "dirsync" if method == "dirsync_export" else "adsync", "global": doc.get("global") or {},
            "connectors": doc.get("connectors") or [], "rules": doc.get("rules") or []}


def _json(data: bytes, schema: str) -> dict:
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise SettingsError(NOT_SETTINGS) from None
    if not isinstance(doc, dict) or doc.get("schema") != schema:
        raise SettingsError(NOT_SETTINGS)
    return doc


def imported_configuration(twin, settings: dict) -> dict:
    """What the new engine on `twin` is configured with after importing `settings`, following Microsoft's import
    gaps (how-to-connect-import-export-config.md): custom rule precedence must stay 0-99 (else the import stops);
    the new build's standard rules replace the exported ones (edits to standard rules are not carried);
    object-type and attribute selections are redone by hand (the connectors come back with the defaults); DirSync
    (/migrate) gets Connect's connectors: the AD connector named after its forest, the Entra connector
    '<tenant> - AAD' with the fixed GUID."""
    tenant = str((settings.get("global") or {}).get("tenant") or tenant_of(twin))
    connectors = []
    for old in settings.get("connectors") or []:
        entra = old.get("type") != AD_TYPE
        if entra:
            name, identifier = f"{tenant} - AAD", ENTRA_CONNECTOR_ID
        else:
            name = old["name"] if settings.get("engine") != "dirsync" else \
                (old.get("partitions") or [{}])[0].get("display_name") or old["name"]
            identifier = str(uuid.uuid5(uuid.NAMESPACE_URL, f"{twin.state.get('hostname')}/connector/{name}"))
        connectors.append({
            "name": name, "type": ENTRA_TYPE if entra else AD_TYPE, "identifier": identifier,
            "partitions": copy.deepcopy(old.get("partitions") or []),
            "object_types": list(ENTRA_OBJECT_TYPES if entra else AD_OBJECT_TYPES),
            "attributes": list(ENTRA_ATTRIBUTES if entra else AD_ATTRIBUTES),
            # DirSync's attribute filtering is migrated (DirSync upgrade docs); Connect's import leaves it out
            "attributes_excluded": list(old.get("attributes_excluded") or []) if settings.get("engine") == "dirsync"
            else []})
    ids = {old["identifier"]: new["identifier"] for old, new in zip(settings.get("connectors") or [], connectors, strict=True)}
    rules = standard_rules(twin, connectors, len(STANDARD_RULES))
    for rule in settings.get("rules") or []:
        if rule.get("standard"):
            continue
        precedence = int(rule.get("precedence", 0))
        if not 0 <= precedence <= 99:
            # UNCONFIRMED: the wizard's text; Microsoft: custom rules must keep a precedence of 0-99
            raise SettingsError(f"The synchronization rule '{rule['name']}' has precedence {precedence}. Custom "
                                "synchronization rules must have a precedence between 0 and 99.")
        rule = copy.deepcopy(rule)
        rule["connector"] = ids.get(rule.get("connector"), rule.get("connector"))
        rule["identifier"] = _rule_id(twin, rule["name"])
        rules.append(rule)
    return {"engine": "adsync", "global": {"tenant": tenant, "password_hash_sync": bool(
        (settings.get("global") or {}).get("password_hash_sync"))}, "connectors": connectors,
        "rules": sorted(rules, key=lambda r: (r["precedence"], r["name"]))}


def apply_settings(twin, files: dict[str, bytes], method: str) -> None:
    """The wizard's import on `twin` (the new server): its engine's connectors and configuration become what the
    settings carry, as the import carries them. SettingsError (a ValueError) for files that are not settings."""
    config = imported_configuration(twin, read_settings(files, method))
    sync = twin.state.setdefault("sync", {})
    sync["configuration"] = config
    sync["connectors"] = [{"name": c["name"], "type": c["type"], "identifier": c["identifier"]}
                          for c in config["connectors"]]
    sync["tenant"] = config["global"]["tenant"]
    sync["password_hash_sync"] = config["global"]["password_hash_sync"]
    server = sync.get("server_configuration") or {}
    sync["server_configuration"] = {**server, "standard_rules": sum(1 for r in config["rules"] if r.get("standard")),
                                    "custom_rules": [r["name"] for r in config["rules"] if not r.get("standard")]}


# --- MigrateSettings.ps1 ----------------------------------------------------------------------------------------
MIGRATE_SETTINGS_MARKER = "# lab: Microsoft Entra Connect Tools\\MigrateSettings.ps1"


def migrate_settings_script(version: str) -> bytes:
    """The Tools\\MigrateSettings.ps1 a Connect build ships (a lab stand-in text, Microsoft-signed in the lab's
    Authenticode model): the lab recognizes it by this content, never by its file name."""
    text = (f"{MIGRATE_SETTINGS_MARKER} {version}\r\n"
            "# Exports this server's synchronization settings for the Connect wizard's import on a new server:\r\n"
            "# Get-ADSyncServerConfiguration, PersistedState.xml and MigratedPolicy.json into\r\n"
            "# %ProgramData%\\AADConnect\\Exported-ServerConfiguration-<id>\\.\r\n")
    return authenticode.sign(text.encode("ascii"))


def is_migrate_settings(data: bytes) -> bool:
    """The bytes are a (lab) MigrateSettings.ps1 as Microsoft shipped it: its text, signature intact."""
    status, subject = authenticode.signature(data)
    return (status == "Valid" and subject == authenticode.MICROSOFT
            and authenticode.body(data).startswith(MIGRATE_SETTINGS_MARKER.encode()))


def run_migrate_settings(twin) -> str:
    """MigrateSettings.ps1 run on `twin`: its folder written under %ProgramData%\\AADConnect; returns the folder.
    MigrateSettingsError when the script stops."""
    files = migrate_settings_files(twin)
    for relative, data in files.items():
        twin.files.write(f"{AADCONNECT_DATA}\\{relative}", data)
    return f"{AADCONNECT_DATA}\\{next(iter(files)).split(chr(92))[0]}"
