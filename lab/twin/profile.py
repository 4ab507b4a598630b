"""Profiles: YAML descriptions of hosts, built from fragments, and how a fragment is written onto a twin.

A profile `extends` fragments (each may extend others); they apply in order, the profile last. Fragments under
`base/` are the base layer (lab/profiles/base/README.md): what every installation of a Windows version has.
What they create is *partial* (the lab knows only part of Windows' own folders and keys) and only they may say,
under `modeled:`, which areas the lab models completely. Everything else (products, configuration, the profile,
installers at run time) creates complete nodes (lab/twin/modeled.py).
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

from . import modeled, syncconfig
from .registry import RegistryError, normalize
from .services import CONFIG_VALUES, SERVICES_KEY

CONTENT_KEYS = ("registry", "services", "files", "modeled")
HOST_KEYS = ("description", "hostname", "domain", "domain_role", "os", "disk", "wmi", "sql", "sync", "web",
             "installers", "winrm", "groups", "power", "machine")
SERVICE_FIELDS = ("display_name", "description", "path", "type", "start_mode", "username", "dependencies",
                  "error_control")
BASE_PREFIX = "base/"


class ProfileError(ValueError):
    pass


def deep_merge(base: dict, extra: dict) -> dict:
    out = copy.deepcopy(base)
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def fragments(name: str, profiles_dir: Path, _seen: tuple = ()) -> list[tuple[str, dict]]:
    """(name, data) of the profile and everything it extends, in the order they apply; each fragment once."""
    if name in _seen:
        raise ProfileError(f"profile cycle: {' -> '.join(_seen + (name,))}")
    path = profiles_dir / f"{name}.yml"
    if not path.is_file():
        raise ProfileError(f"no profile {path}")
    data = yaml.safe_load(path.read_text()) or {}
    if not isinstance(data, dict):
        raise ProfileError(f"{path}: not a mapping")
    unknown = set(data) - set(CONTENT_KEYS) - set(HOST_KEYS) - {"extends"}
    if unknown:
        raise ProfileError(f"{name}: unknown keys {sorted(unknown)}")
    if "modeled" in data and not name.startswith(BASE_PREFIX):
        raise ProfileError(f"{name}: only the base layer (lab/profiles/base/) may declare modeled:")
    ordered: list[tuple[str, dict]] = []
    for parent in data.pop("extends", []) or []:
        for item in fragments(parent, profiles_dir, _seen + (name,)):
            if item[0] not in (n for n, _ in ordered):
                ordered.append(item)
    return ordered + [(name, data)]


def merge(fragment_list: list[tuple[str, dict]]) -> dict:
    """Fragments as one mapping (later ones win)."""
    merged: dict = {}
    for _, data in fragment_list:
        merged = deep_merge(merged, data)
    return merged


def load_profile(name: str, profiles_dir: Path) -> dict:
    """The whole profile as one mapping."""
    return merge(fragments(name, profiles_dir))


def mode_of(fragment_name: str) -> str:
    return modeled.BASE if fragment_name.startswith(BASE_PREFIX) else modeled.PROFILE


# writing fragments ---------------------------------------------------------------------------------------------
def registry_value(value) -> tuple[str, object]:
    if isinstance(value, dict):
        return value["type"], value.get("data")
    if isinstance(value, bool):
        return "dword", int(value)
    if isinstance(value, int):
        return "dword", value
    if isinstance(value, list):
        return "multistring", [str(v) for v in value]
    return "string", "" if value is None else str(value)


def _service_config_value(key: str, name: str) -> bool:
    """A value the SCM owns: declared under services:, never under registry:."""
    try:
        parent, _, _ = normalize(key).rpartition("\\")
    except RegistryError:
        return False
    return parent.lower() == SERVICES_KEY.lower() and name.lower() in (v.lower() for v in CONFIG_VALUES)


def apply(twin, fragment: dict) -> None:
    """Write the registry keys, services and files a fragment declares (its `modeled:` is applied apart)."""
    for key, values in (fragment.get("registry") or {}).items():
        twin.registry.create_key(key)
        for name, value in (values or {}).items():
            if _service_config_value(key, name):
                raise ProfileError(f"{key}\\{name}: declare the service under services:, the SCM writes its key")
            vtype, data = registry_value(value)
            try:
                twin.registry.set_value(key, "" if name == "(default)" else name, vtype, data)
            except RegistryError as exc:
                raise ProfileError(f"{key}\\{name}: {exc.args[0]}") from None
    for name, svc in (fragment.get("services") or {}).items():
        _apply_service(twin, name, svc or {})
    for path, spec in (fragment.get("files") or {}).items():
        spec = spec or {}
        if spec.get("type") == "dir":
            twin.files.mkdir(path)
        elif spec.get("content_from") == "applied_synchronization_policy":  # what the wizard wrote: the settings
            twin.files.write(path, syncconfig.policy_json(twin))
        elif spec.get("content_from") == "persisted_state":  # the wizard's install state, naming the tenant
            twin.files.write(path, syncconfig.persisted_state_xml(twin))
        elif spec.get("content_from") == "migrate_settings_script":  # the build's Tools\MigrateSettings.ps1
            twin.files.write(path, syncconfig.migrate_settings_script(str((twin.state.get("sync") or {}).get(
                "version"))))
        elif "content" in spec:
            twin.files.write(path, str(spec["content"]).encode("utf-8"), version=spec.get("version"))
        else:  # a placeholder of known size: the lab never needs its bytes
            twin.files.write(path, None, version=spec.get("version"), size=int(spec.get("size", 0)))


def _apply_service(twin, name: str, spec: dict) -> None:
    unknown = set(spec) - set(SERVICE_FIELDS) - {"state"}
    if unknown:
        raise ProfileError(f"service {name}: unknown settings {sorted(unknown)}")
    config = {k: spec[k] for k in SERVICE_FIELDS if k in spec}
    try:
        if twin.services.peek(name) is None:
            twin.services.create(name, **{"path": "", "start_mode": "manual", **config})
        elif config:
            twin.services.configure(name, **config)
        if "state" in spec:
            twin.services.set_state(name, spec["state"])
    except (ValueError, RegistryError) as exc:
        raise ProfileError(f"service {name}: {exc}") from None


def build(twin, fragment_list: list[tuple[str, dict]]) -> None:
    """Write a profile's fragments onto a new twin: the whole base layer first, then what it models (so that
    '**' reaches everything the base layer created), then the products, configuration and the profile."""
    base = [data for name, data in fragment_list if mode_of(name) == modeled.BASE]
    with twin.building(modeled.BASE):
        for data in base:
            apply(twin, data)
        for data in base:
            apply_modeled(twin, data.get("modeled") or {})
    with twin.building(modeled.PROFILE):
        for name, data in fragment_list:
            if mode_of(name) != modeled.BASE:
                apply(twin, data)


def apply_modeled(twin, declared: dict) -> None:
    unknown = set(declared) - {"files", "registry", "services", "wmi"}
    if unknown:
        raise ProfileError(f"modeled: unknown sections {sorted(unknown)}")
    try:
        for path, names in (declared.get("files") or {}).items():
            twin.files.model(path, names)
        for key, names in (declared.get("registry") or {}).items():
            twin.registry.model(key, names)
        if declared.get("services"):
            twin.registry.model(SERVICES_KEY, list(declared["services"]))
    except ValueError as exc:
        raise ProfileError(f"modeled: {exc}") from None
    if declared.get("wmi"):
        twin.state["modeled_wmi"] = sorted(set(twin.state.get("modeled_wmi") or []) | set(declared["wmi"]))


def remove(twin, fragment: dict) -> None:
    """Undo apply: the declared values (and keys left empty), files and services go."""
    for key, values in (fragment.get("registry") or {}).items():
        if not twin.registry.key_exists(key):
            continue
        for vname in values or {}:
            twin.registry.delete_value(key, "" if vname == "(default)" else vname)
        if not twin.registry.values(key) and not twin.registry.subkeys(key):
            twin.registry.delete_key(key)
    for path in fragment.get("files") or {}:
        twin.files.remove(path)
    for name in fragment.get("services") or {}:
        if twin.services.get(name) is not None:
            twin.services.delete(name)
