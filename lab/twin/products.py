"""Installed products and the installers that bring them (the profile's `installers:` map).

An installer entry says what running it does: the product code and Programs and Features values it registers,
the registry keys, files and services it writes (a profile-style fragment), and its exit code
(`exit_code`, default 0, or 3010 when `reboot_required`; `uninstall_exit_code` for removal).
"""

from __future__ import annotations

import ntpath
from urllib.parse import unquote, urlsplit

from . import profile

UNINSTALL = r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall"
UNINSTALL_ROOTS = tuple(f"{hive}\\{sw}\\Microsoft\\Windows\\CurrentVersion\\Uninstall"
                        for hive in ("HKLM", "HKCU") for sw in ("SOFTWARE", "SOFTWARE\\Wow6432Node"))


class Products:
    def __init__(self, twin):
        self.twin = twin

    def installers(self) -> dict[str, dict]:
        return {k.lower(): v or {} for k, v in (self.twin.state.get("installers") or {}).items()}

    def installer_for(self, where: str) -> dict | None:
        """The installer a path or URL holds: matched by full lower-case path/URL, else by file name."""
        name = ntpath.basename(unquote(urlsplit(where).path) if where.lower().startswith("http") else where)
        table = self.installers()
        return table.get(where.lower()) or table.get(name.lower())

    def installer_with_product_id(self, product_id: str) -> dict | None:
        return next((s for s in self.installers().values()
                     if str(s.get("product_id", "")).lower() == str(product_id).lower()), None)

    def uninstall_key(self, product_id: str | None) -> str | None:
        """Where Programs and Features registers the product, in any of the four views; None if nowhere."""
        if not product_id:
            return None
        return next((f"{root}\\{product_id}" for root in UNINSTALL_ROOTS
                     if self.twin.registry.key_exists(f"{root}\\{product_id}")), None)

    @staticmethod
    def exit_code(spec: dict, install: bool) -> int:
        default = 3010 if install and spec.get("reboot_required") else 0
        return int(spec.get("exit_code" if install else "uninstall_exit_code", default))

    def install(self, spec: dict, msi: bool) -> None:
        twin, product_id = self.twin, spec.get("product_id")
        uninstall_string = spec.get("uninstall_string") or (f"MsiExec.exe /X{product_id}" if msi else None)
        if spec.get("install_location"):
            twin.files.mkdir(spec["install_location"])
        profile.apply(twin, spec)
        if product_id:
            key = f"{UNINSTALL}\\{product_id}"
            twin.registry.create_key(key)
            for name, value in (("DisplayName", spec.get("name")), ("DisplayVersion", spec.get("version")),
                                ("Publisher", spec.get("publisher")),
                                ("InstallLocation", spec.get("install_location")),
                                ("UninstallString", uninstall_string),
                                ("QuietUninstallString", spec.get("quiet_uninstall_string"))):
                if value is not None:
                    twin.registry.set_value(key, name, "string", str(value))

    def uninstall(self, spec: dict, product_id: str | None) -> None:
        profile.remove(self.twin, spec)
        if spec.get("install_location"):
            self.twin.files.remove(spec["install_location"])
        for root in UNINSTALL_ROOTS:
            if product_id and self.twin.registry.key_exists(f"{root}\\{product_id}"):
                self.twin.registry.delete_key(f"{root}\\{product_id}")
