"""Writing files so that an interrupted or failed write never leaves half a file.

:func:`atomic_write` gives a temporary path in the target's folder; when the block ends
without an exception the temporary file replaces the target in one ``os.replace`` (atomic on
POSIX and Windows within one file system), else it is removed. The old file stays as it was
until the new one is complete.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

__all__ = ["atomic_write", "check_writable"]


def check_writable(path) -> Path:
    """``path`` as a Path when a file can be written there, else a clear ``OSError``.

    The folder must exist and accept a new file (tested by creating and removing an empty
    temporary file in it), and ``path`` must not be a folder. Nothing is written to ``path``.

    Raises
    ------
    FileNotFoundError
        The folder does not exist.
    IsADirectoryError
        ``path`` is a folder.
    PermissionError
        The folder does not accept new files.
    """
    p = Path(path)
    folder = p.parent
    if not folder.is_dir():
        raise FileNotFoundError(f"cannot write {str(p)!r}: folder {str(folder)!r} does not exist")
    if p.is_dir():
        raise IsADirectoryError(f"cannot write {str(p)!r}: it is a folder; expected a file name")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise PermissionError(
            f"cannot write {str(p)!r}: folder {str(folder)!r} does not accept new files "
            f"({exc.strerror or exc})"
        ) from None
    os.close(fd)
    os.unlink(tmp)
    return p


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path) -> Iterator[Path]:
    """Yield a temporary path to write; on success it becomes ``path``, else it is removed.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_write(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    p = check_writable(path)
    fd, name = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); give it the permissions a new file gets
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
