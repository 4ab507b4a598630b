"""Twin of ansible.windows.win_copy: the query, single, explode and remote modes its action plugin uses."""

import base64
import io
import ntpath
import os
import time
import zipfile

from ._failures import twin_errors
from ._legacy import legacy_param
from ._paths import abspath, checksum, has_trailing_sep


class _Copy:
    def __init__(self, ctx, force, backup):
        self.ctx, self.fs, self.force, self.backup = ctx, ctx.twin.files, force, backup
        self.result = {"changed": False}
        if ctx.diff:
            self.result["diff"] = {}

    def fail(self, msg):
        self.ctx.fail(msg, **{k: v for k, v in self.result.items() if k != "changed"})

    def is_file(self, path):
        return self.fs.exists(path) and not self.fs.is_dir(path)

    def mkdir(self, path):
        if not self.ctx.check_mode:
            self.fs.mkdir(path)

    def copy_item(self, src, dest):  # Copy-Item keeps content, file version and LastWriteTime
        if self.ctx.check_mode:
            return
        self.fs.copy(src, dest)

    def backup_file(self, path):  # Ansible.ModuleUtils.Backup: Backup-File -WhatIf:$check_mode
        if not self.is_file(path):
            return None
        backup = f"{path}.{os.getpid()}.{time.strftime('%Y%m%d-%H%M%S')}.bak"
        self.copy_item(path, backup)
        return backup

    def copy_file(self, source, dest):
        diff, do_copy = "", False
        source_checksum = checksum(self.fs, source) if self.force else None
        if self.fs.is_dir(dest):
            self.fail(f"cannot copy file from '{source}' to '{dest}': dest is already a folder")
        elif self.is_file(dest):
            do_copy = self.force and checksum(self.fs, dest) != source_checksum
        else:
            do_copy = True
        if do_copy:
            file_dir = ntpath.dirname(dest)
            if self.is_file(file_dir):
                self.fail(f"cannot copy file from '{source}' to '{dest}': object at dest parent dir is not a folder")
            elif not self.fs.exists(file_dir):
                self.mkdir(file_dir)
                diff += f"+{file_dir}\\\n"
            if self.backup:
                self.result["backup_file"] = self.backup_file(dest)
            if self.is_file(dest):
                diff += f"-{dest}\n"
            self.copy_item(source, dest)
            diff += f"+{dest}\n"
            self.result["changed"] = True
        return diff, source_checksum

    def copy_folder(self, source, dest):
        diff = ""
        if not self.fs.is_dir(dest):
            if self.is_file(ntpath.dirname(dest)):
                self.fail(f"cannot copy file from '{source}' to '{dest}': object at dest parent dir is not a folder")
            if self.is_file(dest):
                self.fail(f"cannot copy folder from '{source}' to '{dest}': dest is already a file")
            self.mkdir(dest)
            diff += f"+{dest}\\\n"
            self.result["changed"] = True
        return diff + self.copy_children(source, dest)

    def copy_children(self, source, dest):
        diff = ""
        for child in self.fs.listdir(source):
            target = ntpath.join(dest, ntpath.basename(child["path"]))
            if child["type"] == "dir":
                diff += self.copy_folder(child["path"], target)
            else:
                diff += self.copy_file(child["path"], target)[0]
        return diff

    def size(self, path):
        if self.fs.is_dir(path):
            return sum(int(e.get("size", 0)) for e in self.fs.walk(path) if e["type"] == "file")
        return self.fs.size(path)

    def parent_for(self, dest, remote_dest):
        parent = ntpath.dirname(remote_dest)
        if self.is_file(parent):
            self.fail(f"object at destination parent dir '{parent}' is currently a file")
        elif not self.fs.is_dir(parent):
            if dest == remote_dest:
                self.fail(f"Destination directory '{parent}' does not exist")
            self.mkdir(parent)


@twin_errors
def run(ctx):
    mode = legacy_param(ctx, "_copy_mode", type="str", default="single",
                        choices=("explode", "query", "remote", "single"))
    src = legacy_param(ctx, "src", type="path", required=mode in ("explode", "single"))
    dest_raw = legacy_param(ctx, "dest", type="path", required=True)
    backup = legacy_param(ctx, "backup", type="bool", default=False)
    original_basename = legacy_param(ctx, "_original_basename", type="str")
    force = legacy_param(ctx, "force", type="bool", default=True)
    files = legacy_param(ctx, "files", type="list") or []
    directories = legacy_param(ctx, "directories", type="list") or []
    c = _Copy(ctx, force, backup)
    fs, dest = ctx.twin.files, abspath(ctx, dest_raw)
    src_path = abspath(ctx, src) if src is not None else None

    if mode == "query":
        changed_files, changed_dirs = [], []
        for f in files:
            filepath = abspath(ctx, ntpath.join(dest, f["dest"]))
            if fs.is_dir(filepath):
                filepath = abspath(ctx, ntpath.join(filepath, ntpath.basename(f["src"].replace("/", "\\"))))
            if c.is_file(filepath):
                if force and checksum(fs, filepath) != f.get("checksum"):
                    changed_files.append(f)
            elif fs.is_dir(filepath):
                c.fail(f"cannot copy file to dest '{filepath}': object at path is already a directory")
            else:
                changed_files.append(f)
        for d in directories:
            dirpath = abspath(ctx, ntpath.join(dest, d["dest"]))
            if c.is_file(ntpath.dirname(dirpath)):
                c.fail(f"cannot copy folder to dest '{dirpath}': object at parent directory path is already a file")
            if c.is_file(dirpath):
                c.fail(f"cannot copy folder to dest '{dirpath}': object at path is already a file")
            elif not fs.is_dir(dirpath):
                changed_dirs.append(d)
        c.result.update(files=changed_files, directories=changed_dirs, symlinks=[])

    elif mode == "explode":
        if not c.is_file(src_path):
            c.fail(f"Cannot expand src zip file: '{src}' as it does not exist")
        with zipfile.ZipFile(io.BytesIO(fs.read(src_path))) as archive:
            for info in archive.infolist():
                is_dir = len(info.filename) % 4 == 1
                name = base64.b64decode(info.filename[:-1] if is_dir else info.filename).decode("utf-8")
                target = abspath(ctx, ntpath.join(dest, name))
                parent = target if is_dir else ntpath.dirname(target)
                if not fs.exists(parent):
                    c.mkdir(parent)
                if not is_dir and not ctx.check_mode:
                    fs.write(target, archive.read(info))
        c.result["changed"] = True

    elif mode == "remote":
        c.result.update(src=src, dest=dest_raw)
        if src_path is None or not fs.exists(src_path):
            c.fail(f"Cannot copy src file: '{src}' as it does not exist")
        remote_dest = dest
        if fs.is_dir(src_path):
            c.result["operation"] = "folder_copy"
            if has_trailing_sep(src):  # copy the folder's contents
                diff = c.copy_children(src_path, dest)
            else:
                remote_dest = ntpath.join(dest, ntpath.basename(src_path))
                c.result["dest"] = remote_dest
                diff = c.copy_folder(src_path, remote_dest)
        else:
            c.result.update(operation="file_copy", original_basename=ntpath.basename(src_path))
            if has_trailing_sep(dest_raw) or fs.is_dir(dest):
                remote_dest = ntpath.join(dest, ntpath.basename(src_path))
            c.result["dest"] = remote_dest
            c.parent_for(dest, remote_dest)
            diff, c.result["checksum"] = c.copy_file(src_path, remote_dest)
        exists = c.is_file(remote_dest) or (fs.is_dir(remote_dest) and not ctx.check_mode)
        c.result["size"] = c.size(remote_dest) if exists else None
        if ctx.diff:
            c.result["diff"]["prepared"] = diff

    else:  # single: the action plugin already decided a copy is needed and uploaded the file to src
        if not c.is_file(src_path):
            c.fail(f"Cannot copy src file: '{src}' as it does not exist")
        remote_dest = dest
        if has_trailing_sep(dest_raw) or fs.is_dir(dest):
            remote_dest = abspath(ctx, ntpath.join(dest, original_basename or ""))
        c.parent_for(dest, remote_dest)
        if backup:
            c.result["backup_file"] = c.backup_file(remote_dest)
        c.copy_item(src_path, remote_dest)
        c.result["changed"] = True
    return c.result
