"""How a module twin fails: as the real module's FailJson, or as an unhandled .NET error, or not simulated."""

from __future__ import annotations

import functools
import zipfile

from ..twin.errors import NotSimulated, Win32Error
from ..twin.filesystem import FileSystemError
from ..twin.registry import RegistryError


def twin_errors(run):
    """A twin error (a file in the way, a bad registry path, ...) fails the module as an unhandled .NET error
    would; a lookup the twin cannot answer fails as not simulated."""
    @functools.wraps(run)
    def wrapper(ctx):
        try:
            return run(ctx)
        except NotSimulated as exc:
            ctx.fail(str(exc))
        except Win32Error as exc:
            ctx.fail(f"Unhandled exception while executing module: {exc.message}")
        except (FileSystemError, RegistryError, zipfile.BadZipFile) as e:
            ctx.fail(f"Unhandled exception while executing module: {e.args[0] if e.args else e}")
    return wrapper


def fail_with(ctx, msg: str, result: dict):
    """FailJson with what the module had put in its result so far (its msg replaced by the failure's)."""
    ctx.fail(msg, **{k: v for k, v in result.items() if k != "msg"})


def not_simulated(ctx, module: str, option: str):
    ctx.fail(f"lab: not simulated: {module} option {option}")
