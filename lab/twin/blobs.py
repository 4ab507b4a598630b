"""Content-addressed storage for large file bodies, so that a twin's JSON state stays small.

A file whose body is larger than BLOB_THRESHOLD keeps only `blob` (the SHA-256 of its bytes) and `size` in the
twin; its bytes live once in `<root>/<sha256[:2]>/<sha256>` however many twins or paths hold them. The snapshot
digest covers the SHA-256, so a changed body still changes the digest. Blobs are never rewritten in place (a
body with other bytes is another blob); `python -m lab reset` of every host drops the ones no twin holds.
"""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import shutil
import tempfile
from pathlib import Path

BLOB_THRESHOLD = 64 * 1024  # bytes: smaller bodies stay inline (base64 in the twin's JSON)


@functools.cache
def _private_root() -> Path:
    """The store of twins outside any lab (unit tests, tools): this process's own folder, removed when it exits. Never a
    lab's store: a lab's `reset` prunes the bodies its twins do not hold, and would take these away mid-test."""
    root = Path(tempfile.mkdtemp(prefix="entra-lab-blobs-"))
    atexit.register(shutil.rmtree, root, True)
    return root


class BlobStore:
    def __init__(self, root: Path | None = None):
        """A lab's store lives beside its twins' state (lab/twin/store.py); without `root`, a private one."""
        self.root = Path(root) if root is not None else _private_root()

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, content: bytes) -> str:
        """Store the bytes (once) and return their SHA-256."""
        digest = hashlib.sha256(content).hexdigest()
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            with os.fdopen(fd, "wb") as fh:
                fh.write(content)
            os.replace(tmp, target)  # atomic: a reader never sees half a blob
        return digest

    def get(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            raise LookupError(f"lab: the content store has no blob {digest} (was .lab/blobs removed?)") from None

    def read_range(self, digest: str, offset: int, length: int) -> bytes:
        """Bytes [offset, offset+length) of a blob, without reading the rest of it."""
        try:
            with self.path(digest).open("rb") as fh:
                fh.seek(offset)
                return fh.read(max(0, length))
        except FileNotFoundError:
            raise LookupError(f"lab: the content store has no blob {digest} (was .lab/blobs removed?)") from None

    def prune(self, keep: set[str]) -> int:
        """Remove every blob not in `keep`; the number removed."""
        removed = 0
        for blob in self.root.glob("*/*"):
            if blob.name not in keep and not blob.name.startswith("."):
                blob.unlink(missing_ok=True)
                removed += 1
        return removed
