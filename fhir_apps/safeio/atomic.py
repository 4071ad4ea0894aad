"""Write a user file so that a kill, a full disk or a concurrent run never loses or half-writes it.

The new content goes to a temp file in the target's directory (same filesystem, so the final
step is an atomic rename), is flushed and fsynced, and only then takes the target's name; the
directory is fsynced so the rename itself survives a crash. Any failure removes the temp file
and leaves the previous file as it was.

`exclusive=True` creates the target only if it does not exist, atomically: the temp file is
hard-linked to the target name (link(2) fails with EEXIST if another run got there first), so
of two concurrent runs exactly one succeeds and the other changes nothing.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from pathlib import Path

__all__ = ["WriteError", "write_atomic"]


class WriteError(OSError):
    """The file could not be written; `str()` is one line naming the file and why."""


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str, *, exclusive: bool) -> None:
    """Write `text` (UTF-8) to `path`; see the module docstring. Raises WriteError."""
    directory = path.parent
    if not directory.is_dir():
        raise WriteError(f"{path}: cannot write: the directory {directory} does not exist")
    if exclusive and (path.exists() or path.is_symlink()):
        raise WriteError(f"{path}: exists")
    try:
        data = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate, e.g. from a JSON "\ud800" escape
        raise WriteError(f"{path}: cannot write: the text is not valid Unicode") from None
    try:
        fd, temp_name = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None
    temp = Path(temp_name)
    try:
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            # mkstemp creates 0600; a config file gets the permissions a plain open() would.
            os.chmod(temp, 0o666 & ~_umask())
            if exclusive:
                _link_exclusive(temp, path)
            else:
                os.replace(temp, path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                temp.unlink()
        _fsync_directory(directory)
    except FileExistsError:
        raise WriteError(f"{path}: exists") from None
    except OSError as exc:
        raise WriteError(f"{path}: cannot write: {exc.strerror or exc}") from None


def _link_exclusive(temp: Path, path: Path) -> None:
    try:
        os.link(temp, path)
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        # No hard links on this filesystem: reserve the name exclusively, then rename over it.
        # A kill between the two steps leaves an empty new file, never a damaged old one.
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
        os.replace(temp, path)


def _fsync_directory(directory: Path) -> None:
    # Not every platform or filesystem can open a directory for fsync; the rename stands anyway.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
