"""Unit tests of the module twins (lab/modules): run each against a tiny Twin built in memory."""

from __future__ import annotations

import base64
import hashlib
import importlib
import io
import json
import zipfile

import pytest

from lab.modules import SCRIPTS, ModuleContext, ModuleFailed, lookup
from lab.twin.host import Twin
from tests.twins import build_twin

TEMP = r"C:\Users\labadmin\AppData\Local\Temp"
APP_ID = "{11111111-2222-3333-4444-555555555555}"
TOOL_ID = "{AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE}"


SPEC = {
    "hostname": "T",
    "web": {
        "https://example.test/files/tool.zip": {"content": "zip-bytes"},
        "https://example.test/files/SHA256SUMS": {"content": hashlib.sha256(b"zip-bytes").hexdigest() + "  tool.zip\n"},
        "https://example.test/missing.bin": {"status_code": 404},
    },
    "installers": {
        "app.msi": {"product_id": APP_ID, "name": "Contoso App", "version": "2.1.0", "publisher": "Contoso",
                    "install_location": r"C:\Program Files\Contoso",
                    "registry": {r"HKLM\SOFTWARE\Contoso": {"Version": "2.1.0"}},
                    "files": {r"C:\Program Files\Contoso\app.exe": {"content": "exe", "version": "2.1.0.5"}},
                    "services": {"ContosoSvc": {"display_name": "Contoso Service", "start_mode": "auto",
                                                "path": r"C:\Program Files\Contoso\app.exe"}}},
        "needsreboot.msi": {"product_id": "{22222222-0000-0000-0000-000000000000}", "name": "Reboot me",
                            "version": "1.0", "publisher": "Contoso", "exit_code": 3010},
        "broken.msi": {"product_id": "{33333333-0000-0000-0000-000000000000}", "name": "Broken",
                       "version": "1.0", "publisher": "Contoso", "exit_code": 1603},
        r"c:\installers\tool.exe": {"product_id": TOOL_ID, "name": "Tool", "version": "1.0", "publisher": "T",
                                    "uninstall_string": r"C:\Program Files\Tool\uninstall.exe /S"},
    },
    "files": {
        r"C:\data\hello.txt": {"content": "hello"},
        r"C:\data\sub\deep.txt": {"content": "deep"},
        **{rf"C:\installers\{name}": {"content": name}
           for name in ("app.msi", "needsreboot.msi", "broken.msi", "unknown.msi", "tool.exe")},
        r"C:\NewSvc\new.exe": {"size": 1024}, r"C:\dep.exe": {"size": 1024}, r"C:\child.exe": {"size": 1024}, r"C:\off.exe": {"size": 1024},
    },
    "services": {
        "Dep": {"display_name": "Dependency", "state": "running", "start_mode": "auto", "path": r"C:\dep.exe"},
        "Child": {"state": "running", "start_mode": "auto", "path": r"C:\child.exe", "dependencies": ["Dep"]},
        "Off": {"state": "stopped", "start_mode": "disabled", "path": r"C:\off.exe"},
    },
    "registry": {
        r"HKLM\SOFTWARE\Lab": {"Name": "lab", "Count": 5, "Home": {"type": "expandstring", "data": r"%SystemRoot%\lab"},
                                "Blob": {"type": "binary", "data": [1, 22]}},
        r"HKLM\SOFTWARE\Lab\Sub": {},
    },
}
# names under partly modeled Windows keys that these tests create, declared as the base layer would
MODELED = {"registry": {r"HKLM\SOFTWARE": ["New", "Contoso", "Nope"]},
           "files": {r"C:\Program Files": ["Contoso", "Tool"]}, "services": ["NewSvc", "Ghost", "ContosoSvc"]}


@pytest.fixture
def twin() -> Twin:
    return build_twin(SPEC, modeled=MODELED)


def run(twin, module, check=False, diff=False, **params):
    meta = {"_ansible_check_mode": check, "_ansible_diff": diff, "_ansible_module_name": module}
    ctx = ModuleContext(twin, params, check_mode=check, diff=diff, meta=meta)
    result = importlib.import_module(f"lab.modules.{module}").run(ctx)
    json.dumps(result)  # the dispatcher sends it as JSON
    return result


def fails(twin, module, **params) -> ModuleFailed:
    before = twin.canonical()
    with pytest.raises(ModuleFailed) as info:
        run(twin, module, **params)
    assert twin.canonical() == before, "a failing module must not change the twin"
    return info.value


def converge(twin, module, **params) -> dict:
    """Check mode reports the change but changes nothing; the real run changes; a second run is idempotent."""
    before = twin.canonical()
    checked = run(twin, module, check=True, **params)
    assert checked["changed"] is True, checked
    assert twin.canonical() == before, "check mode changed the twin"
    result = run(twin, module, **params)
    assert result["changed"] is True, result
    assert twin.canonical() != before
    after = twin.canonical()
    again = run(twin, module, **params)
    assert again["changed"] is False, again
    assert twin.canonical() == after
    return result


def test_every_script_has_a_module():
    for script in SCRIPTS:
        assert callable(lookup(script).run)
    assert lookup("ansible_collections.community.windows.plugins.modules.win_nope.ps1") is None


# win_ping ------------------------------------------------------------------------------------
def test_win_ping(twin):
    assert run(twin, "win_ping") == {"changed": False, "ping": "pong"}
    assert run(twin, "win_ping", data="hi")["ping"] == "hi"
    assert fails(twin, "win_ping", data="crash").msg == "Unhandled exception while executing module: boom"
    err = fails(twin, "win_ping", foo=1)
    assert err.msg == "Unsupported parameters for (win_ping) module: foo. Supported parameters include: data"


# slurp ---------------------------------------------------------------------------------------
def test_slurp(twin):
    r = run(twin, "slurp", src=r"C:\data\hello.txt")
    assert base64.b64decode(r["content"]) == b"hello" and r["encoding"] == "base64" and not r["changed"]
    assert base64.b64decode(run(twin, "slurp", path=r"c:/DATA/hello.txt")["content"]) == b"hello"
    assert fails(twin, "slurp", src=r"C:\data").msg == r"Path C:\data is a directory"
    assert fails(twin, "slurp", src=r"C:\nope.txt").msg == r"Path C:\nope.txt is not found"
    assert fails(twin, "slurp").msg == "Get-AnsibleParam: Missing required argument: src"


# win_stat ------------------------------------------------------------------------------------
def test_win_stat_file_dir_and_missing(twin):
    st = run(twin, "win_stat", path=r"C:\data\hello.txt")["stat"]
    assert st["exists"] and st["isreg"] and not st["isdir"] and st["size"] == 5
    assert st["checksum"] == hashlib.sha1(b"hello").hexdigest()
    assert (st["filename"], st["extension"], st["attributes"]) == ("hello.txt", ".txt", "Archive")
    assert "version" not in st and "file_version" not in st  # the real win_stat reports no version
    st = run(twin, "win_stat", path=r"C:\data\hello.txt", checksum_algorithm="sha256", get_size=False)["stat"]
    assert st["checksum"] == hashlib.sha256(b"hello").hexdigest() and "size" not in st
    st = run(twin, "win_stat", path=r"C:\data")["stat"]
    assert st["isdir"] and st["size"] == 9 and "checksum" not in st
    assert run(twin, "win_stat", path=r"C:\nope")["stat"] == {"exists": False}
    assert run(twin, "win_stat", path=r"%TEMP%")["stat"]["path"] == TEMP
    assert run(twin, "win_stat", path="C:\\", get_size=False)["stat"]["isdir"]
    # the size of the system drive's tree would need every folder of Windows: the lab cannot know it
    assert fails(twin, "win_stat", path="C:\\").msg.startswith("lab: not simulated: listing the contents of C:\\")


def test_win_stat_rejects_bad_arguments(twin):
    assert fails(twin, "win_stat").msg == "missing required arguments: path"
    err = fails(twin, "win_stat", path=r"C:\x", checksum_algorithm="crc32")
    assert err.msg == "value of checksum_algorithm must be one of: md5, sha1, sha256, sha384, sha512. Got no match for: crc32"
    err = fails(twin, "win_stat", path=r"C:\x", get_checksum="maybe")
    assert err.msg.startswith("argument for get_checksum is of type System.String and we were unable to convert to bool")
    assert fails(twin, "win_stat", path=r"C:\x", bogus=1).msg.startswith("Unsupported parameters for (win_stat) module: bogus")
    ctx = ModuleContext(twin, {"path": r"C:\x", "get_mime": True}, meta={"_ansible_ignore_unknown_opts": True})
    assert lookup(next(s for s in SCRIPTS if "win_stat" in s)).run(ctx)["stat"] == {"exists": False}


# win_file ------------------------------------------------------------------------------------
def test_win_file_directory_and_absent(twin):
    converge(twin, "win_file", path=r"C:\new\a\b", state="directory")
    assert twin.files.is_dir(r"C:\new\a\b")
    converge(twin, "win_file", path=r"C:\new", state="absent")
    assert not twin.files.exists(r"C:\new\a\b")
    converge(twin, "win_file", path=r"%ProgramData%\Lab", state="directory")
    assert twin.files.is_dir(r"C:\ProgramData\Lab")


def test_win_file_touch_and_errors(twin):
    before = twin.canonical()
    assert run(twin, "win_file", check=True, path=r"C:\data\t.txt", state="touch")["changed"]
    assert twin.canonical() == before
    assert run(twin, "win_file", path=r"C:\data\t.txt", state="touch")["changed"]
    assert twin.files.read(r"C:\data\t.txt") == b""
    assert run(twin, "win_file", path=r"C:\data\t.txt", state="file")["changed"] is False
    assert fails(twin, "win_file", path=r"C:\data\nope.txt", state="file").msg == r"path C:\data\nope.txt will not be created"
    assert fails(twin, "win_file", path=r"C:\data\hello.txt", state="directory").msg == \
        r"path C:\data\hello.txt is not a directory"
    assert fails(twin, "win_file", path=r"C:\data", state="file").msg == r"path C:\data is not a file"
    assert fails(twin, "win_file", path=r"C:\x", state="link").msg == \
        "Get-AnsibleParam: Argument state needs to be one of absent,directory,file,touch but was link."
    assert fails(twin, "win_file", state="directory").msg == "Get-AnsibleParam: Missing required argument: path"
    assert fails(twin, "win_file", path=r"C:\x", state="touch", modification_time="2020-01-01 00:00:00").msg == \
        "lab: not simulated: win_file option modification_time"


def test_win_file_diff_peek(twin):
    r = run(twin, "win_file", path=r"C:\data\hello.txt", _diff_peek=True)
    assert r == {"path": r"C:\data\hello.txt", "change": False, "appears_binary": False, "state": "file"}
    assert run(twin, "win_file", path=r"C:\nope", _diff_peek=True)["state"] == "absent"


# win_copy ------------------------------------------------------------------------------------
def test_win_copy_query(twin):
    files = [{"src": "/ctl/hello.txt", "dest": "hello.txt", "checksum": hashlib.sha1(b"hello").hexdigest()},
             {"src": "/ctl/other.txt", "dest": "other.txt", "checksum": "x"}]
    r = run(twin, "win_copy", _copy_mode="query", dest=r"C:\data", files=files, directories=[{"src": "/c/s", "dest": "sub"},
                                                                                            {"src": "/c/n", "dest": "n"}])
    assert [f["dest"] for f in r["files"]] == ["other.txt"] and r["directories"] == [{"src": "/c/n", "dest": "n"}]
    files[0]["checksum"] = "different"
    assert len(run(twin, "win_copy", _copy_mode="query", dest=r"C:\data", files=files)["files"]) == 2
    err = fails(twin, "win_copy", _copy_mode="query", dest="C:\\", files=[{"src": "/c/sub", "dest": "data", "checksum": "x"}])
    assert "object at path is already a directory" in err.msg


def test_win_copy_single(twin):
    twin.files.write(TEMP + r"\ansible-tmp-1\source", b"new content")
    args = dict(_copy_mode="single", src=TEMP + r"\ansible-tmp-1\source", dest=r"C:\data\hello.txt",
                _original_basename="hello.txt", backup=True)
    before = twin.canonical()
    assert run(twin, "win_copy", check=True, **args)["changed"] and twin.canonical() == before
    r = run(twin, "win_copy", **args)
    assert r["changed"] and twin.files.read(r"C:\data\hello.txt") == b"new content"
    assert twin.files.read(r["backup_file"]) == b"hello" and r["backup_file"].startswith(r"C:\data\hello.txt.")
    r = run(twin, "win_copy", **{**args, "dest": "C:\\data\\", "backup": False})
    assert twin.files.read(r"C:\data\hello.txt") == b"new content"
    err = fails(twin, "win_copy", **{**args, "dest": r"C:\nodir\x.txt"})
    assert err.msg == r"Destination directory 'C:\nodir' does not exist"
    assert fails(twin, "win_copy", _copy_mode="single", dest=r"C:\x").msg == "Get-AnsibleParam: Missing required argument: src"
    assert "Cannot copy src file" in fails(twin, "win_copy", src=r"C:\nope", dest=r"C:\x").msg


def test_win_copy_remote(twin):
    r = converge(twin, "win_copy", _copy_mode="remote", src=r"C:\data\hello.txt", dest="C:\\copy\\")
    assert r["dest"] == r"C:\copy\hello.txt" and r["operation"] == "file_copy" and r["size"] == 5
    assert r["checksum"] == hashlib.sha1(b"hello").hexdigest()
    r = run(twin, "win_copy", diff=True, _copy_mode="remote", src=r"C:\data\hello.txt", dest=r"C:\copy\two.txt")
    assert r["diff"]["prepared"] == "+C:\\copy\\two.txt\n"
    r = converge(twin, "win_copy", _copy_mode="remote", src=r"C:\data", dest=r"C:\tree")
    assert r["operation"] == "folder_copy" and r["dest"] == r"C:\tree\data" and r["size"] == 9
    assert twin.files.read(r"C:\tree\data\sub\deep.txt") == b"deep"
    assert "does not exist" in fails(twin, "win_copy", _copy_mode="remote", src=r"C:\nope", dest=r"C:\x").msg


def test_win_copy_explode(twin):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(base64.b64encode(b"dir").decode() + "/", b"")
        z.writestr(base64.b64encode(b"dir/a.txt").decode(), b"AAA")
    twin.files.write(TEMP + r"\ansible-tmp-2\source.zip", buf.getvalue())
    args = dict(_copy_mode="explode", src=TEMP + r"\ansible-tmp-2\source.zip", dest="C:\\out\\")
    before = twin.canonical()
    assert run(twin, "win_copy", check=True, **args)["changed"] and twin.canonical() == before
    assert run(twin, "win_copy", **args)["changed"]
    assert twin.files.read(r"C:\out\dir\a.txt") == b"AAA"


# win_get_url ---------------------------------------------------------------------------------
def test_win_get_url_download(twin):
    r = converge(twin, "win_get_url", url="https://example.test/files/tool.zip", dest=TEMP + r"\tool.zip")
    assert (r["status_code"], r["msg"], r["dest"], r["size"]) == (200, "OK", TEMP + r"\tool.zip", 9)
    assert r["checksum_src"] == r["checksum_dest"] == hashlib.sha1(b"zip-bytes").hexdigest()
    assert twin.files.read(TEMP + r"\tool.zip") == b"zip-bytes"
    r = run(twin, "win_get_url", url="https://example.test/files/tool.zip", dest="%TEMP%")
    assert r["dest"] == TEMP + r"\tool.zip" and not r["changed"]
    sha = hashlib.sha256(b"zip-bytes").hexdigest()
    r = run(twin, "win_get_url", url="https://example.test/files/tool.zip", dest=r"C:\data\t.zip", force=False,
            checksum=sha.upper(), checksum_algorithm="sha256")
    assert r["changed"] and r["checksum_dest"] == sha
    r = run(twin, "win_get_url", url="https://example.test/files/tool.zip", dest=r"C:\data\u.zip",
            checksum_url="https://example.test/files/SHA256SUMS", checksum_algorithm="sha256")
    assert r["changed"]


def test_win_get_url_failures(twin):
    err = fails(twin, "win_get_url", url="https://nowhere.test/x", dest=r"C:\data\x")
    assert err.msg == "lab: not simulated: no web content for https://nowhere.test/x (add it to the profile's web:)"
    err = fails(twin, "win_get_url", url="https://example.test/missing.bin", dest=r"C:\data\m")
    assert err.extra["status_code"] == 404 and "(404) Not Found" in err.msg
    err = fails(twin, "win_get_url", url="https://example.test/files/tool.zip", dest=r"C:\data\t", checksum="abc")
    assert err.msg.startswith("The checksum for https://example.test/files/tool.zip did not match 'abc'")
    assert "does not exist for destination" in fails(twin, "win_get_url", url="https://example.test/files/tool.zip",
                                                     dest=r"C:\nodir\x").msg
    assert fails(twin, "win_get_url", dest=r"C:\x").msg == "missing required arguments: url"
    assert fails(twin, "win_get_url", url="u", dest=r"C:\x", checksum="a", checksum_url="b").msg == \
        "parameters are mutually exclusive: checksum, checksum_url"
    assert fails(twin, "win_get_url", url="u", dest=r"C:\x", method="POST").msg == \
        "lab: not simulated: win_get_url option url_method"


# win_service ---------------------------------------------------------------------------------
def test_win_service_create_configure_remove(twin):
    r = converge(twin, "win_service", name="NewSvc", path=r"%SystemDrive%\NewSvc\new.exe", display_name="New Service",
                 start_mode="delayed", state="started", username="NT AUTHORITY\\LocalService", password="s3cret")
    assert (r["exists"], r["state"], r["start_mode"], r["path"]) == (True, "running", "delayed", r"C:\NewSvc\new.exe")
    assert r["username"] == "NT AUTHORITY\\LOCAL SERVICE" and "s3cret" not in repr(r)
    svc = twin.services.get("NewSvc")
    assert (svc.state, svc.display_name, svc.start_mode) == ("running", "New Service", "delayed")
    assert "s3cret" not in twin.canonical()
    converge(twin, "win_service", name="New Service", state="stopped", description="about")
    assert run(twin, "win_service", name="NewSvc", password="x", username="LocalService",
               update_password="always")["changed"]
    converge(twin, "win_service", name="NewSvc", state="absent")
    assert run(twin, "win_service", name="NewSvc") == {"changed": False, "exists": False,
                                                       "diff": {"before": "", "after": ""}}


def test_win_service_state_rules(twin):
    r = run(twin, "win_service", name="Dep")
    assert r["depended_by"] == ["Child"] and r["state"] == "running" and r["username"] == "LocalSystem"
    assert "dependent services" in fails(twin, "win_service", name="Dep", state="stopped").msg
    run(twin, "win_service", name="Dep", state="stopped", force_dependent_services=True)
    assert twin.services.get("Child").state == "stopped"
    converge(twin, "win_service", name="Child", state="started")
    assert twin.services.get("Dep").state == "running"
    assert "cannot be started" in fails(twin, "win_service", name="Off", state="started").msg
    r = run(twin, "win_service", name="Off", start_mode="manual", state="started")
    assert r["changed"] and r["state"] == "running"
    assert run(twin, "win_service", name="Dep", state="restarted", force_dependent_services=True)["changed"]
    assert twin.services.get("Child").state == "running"


def test_win_service_rejections(twin):
    assert fails(twin, "win_service", name="Ghost", state="started").msg == \
        "Service 'Ghost' is not installed, need to set 'path' to create a new service"
    assert fails(twin, "win_service", name="Dep", password="x").msg == \
        "missing parameter(s) required by 'password': username"
    assert fails(twin, "win_service", name="Dep", state="running").msg.startswith("value of state must be one of: started")
    assert fails(twin, "win_service", name="Dep", error_control="ignore").msg == \
        "lab: not simulated: win_service option error_control"
    assert fails(twin, "win_service", name="Dep", state="paused").msg == \
        "failed to pause service Dep: The service does not support pausing"


# win_regedit ---------------------------------------------------------------------------------
def test_win_regedit_values(twin):
    r = converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\New\Key", name="Enabled", data=1, type="dword")
    assert twin.registry.get_value(r"HKLM\SOFTWARE\New\Key", "enabled")["data"] == 1
    r = run(twin, "win_regedit", diff=True, path=r"HKLM:\SOFTWARE\New\Key", name="Enabled", data="0x10", type="dword")
    assert r["changed"] and r["data_changed"] and not r["data_type_changed"]
    assert r["diff"] == {"before": {r"HKLM:\SOFTWARE\New\Key": {"Enabled": {"type": "DWord", "value": "0x00000001"}}},
                         "after": {r"HKLM:\SOFTWARE\New\Key": {"Enabled": {"type": "DWord", "value": "0x00000010"}}}}
    r = converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="Count", data="5", type="string")
    assert r["data_type_changed"] and not r["data_changed"]
    converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="List", data=["a", "b"], type="multistring")
    converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="Blob", data="hex:01,17", type="binary")
    assert twin.registry.get_value(r"HKLM\SOFTWARE\Lab", "Blob")["data"] == [1, 23]
    converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="Name", state="absent")
    converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", data="default text")
    assert twin.registry.get_value(r"HKLM\SOFTWARE\Lab", "")["data"] == "default text"
    converge(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", state="absent")
    assert not twin.registry.key_exists(r"HKLM\SOFTWARE\Lab\Sub")


def test_win_regedit_rejections(twin):
    assert fails(twin, "win_regedit", path=r"HKLM\SOFTWARE\Lab", name="x", data="y").msg == \
        r"path: HKLM\SOFTWARE\Lab is not a valid powershell path, see module documentation for examples."
    assert fails(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="x", data=2**32, type="dword").msg == \
        "data cannot be larger than 0xffffffff when type is dword"
    assert fails(twin, "win_regedit", path=r"HKLM:\SOFTWARE\Lab", name="x", type="text").msg.startswith(
        "value of type must be one of: none, binary, dword")
    assert fails(twin, "win_regedit", name="x").msg == "missing required arguments: path"
    assert fails(twin, "win_regedit", path=r"HKLM:\X", hive=r"C:\hive.dat").msg == \
        "lab: not simulated: win_regedit option hive"


# win_reg_stat --------------------------------------------------------------------------------
def test_win_reg_stat(twin):
    r = run(twin, "win_reg_stat", path=r"HKLM:\SOFTWARE\Lab")
    assert r["exists"] and r["sub_keys"] == ["Sub"]
    assert r["properties"]["Count"] == {"type": "REG_DWORD", "value": 5, "raw_value": 5}
    assert r["properties"]["Blob"] == {"type": "REG_BINARY", "value": [1, 22], "raw_value": ["0x01", "0x16"]}
    r = run(twin, "win_reg_stat", path=r"HKLM:\SOFTWARE\Lab", name="home")
    assert (r["type"], r["value"], r["raw_value"]) == ("REG_EXPAND_SZ", r"C:\Windows\lab", r"%SystemRoot%\lab")
    assert run(twin, "win_reg_stat", path=r"HKLM:\SOFTWARE\Lab", name="nope") == {"changed": False, "exists": False}
    assert run(twin, "win_reg_stat", path=r"HKLM:\SOFTWARE\Nope") == {"changed": False, "exists": False}
    assert fails(twin, "win_reg_stat", path=r"HKLM\SOFTWARE\Lab").msg == \
        r"path: HKLM\SOFTWARE\Lab is not a valid registry path, see module documentation for examples."


# win_package ---------------------------------------------------------------------------------
def test_win_package_msi_install_and_remove(twin):
    r = converge(twin, "win_package", path=r"C:\installers\app.msi", arguments=["ADDLOCAL=ALL"])
    assert (r["rc"], r["reboot_required"]) == (0, False)
    key = rf"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{APP_ID}"
    assert twin.registry.get_value(key, "DisplayName")["data"] == "Contoso App"
    assert twin.registry.get_value(key, "DisplayVersion")["data"] == "2.1.0"
    assert twin.services.get("ContosoSvc") and twin.files.exists(r"C:\Program Files\Contoso\app.exe")
    assert twin.registry.get_value(r"HKLM\SOFTWARE\Contoso", "Version")["data"] == "2.1.0"
    assert run(twin, "win_package", path=r"C:\installers\app.msi", creates_path=r"C:\Program Files\Contoso\app.exe",
               creates_version="2.1.0.5")["changed"] is False
    converge(twin, "win_package", product_id=APP_ID, state="absent")
    assert not twin.registry.key_exists(key) and twin.services.get("ContosoSvc") is None
    assert not twin.files.exists(r"C:\Program Files\Contoso")


def test_win_package_exit_codes(twin):
    r = converge(twin, "win_package", path=r"C:\installers\needsreboot.msi")
    assert r["rc"] == 3010 and r["reboot_required"] is True
    err = fails(twin, "win_package", path=r"C:\installers\broken.msi")
    assert err.extra["rc"] == 1603 and err.msg.startswith("unexpected rc from '")
    assert run(twin, "win_package", path=r"C:\installers\broken.msi", expected_return_code=[0, 1603])["rc"] == 1603


def test_win_package_registry_provider(twin):
    converge(twin, "win_package", path=r"C:\installers\tool.exe", product_id=TOOL_ID, arguments="/S")
    # without product_id an .exe cannot be checked, so the real module runs it every time
    assert run(twin, "win_package", path=r"C:\installers\tool.exe")["changed"] is True
    converge(twin, "win_package", product_id=TOOL_ID, state="absent")


def test_win_package_rejections(twin):
    assert fails(twin, "win_package", path=r"C:\installers\unknown.msi").msg == \
        r"lab: not simulated: installer C:\installers\unknown.msi is not described in the profile's installers:"
    assert fails(twin, "win_package", path=r"C:\installers\gone.msi").msg == \
        r"the file at the path 'C:\installers\gone.msi' cannot be reached"
    assert fails(twin, "win_package", state="present").msg == \
        "state is present but all of the following are missing: path"
    assert fails(twin, "win_package", state="absent").msg == \
        "state is absent but any of the following are missing: path, product_id"
    assert fails(twin, "win_package", path=r"C:\installers\app.msi", verify_signature=True).msg == \
        "lab: not simulated: win_package option verify_signature"
    assert fails(twin, "win_package", path=r"C:\installers\app.msi", creates_version="1.0").msg == \
        "missing parameter(s) required by 'creates_version': creates_path"
    twin.registry.set_value(r"HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{X}", "DisplayName", "string", "X")
    assert fails(twin, "win_package", product_id="{X}", state="absent").msg == \
        r"Failed to find registry uninstall string at registry path 'HKLM:\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{X}'"
