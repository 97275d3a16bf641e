"""Writing results so that a reader never sees half of them.

Every writer in chainlab goes through one of these two: files are written under a temporary
name beside their final place and moved there only when the whole of it was written, so an
error, Ctrl+C or a crash leaves the old content (or nothing), never a torn file or folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    """The process's umask (there is no way to read it without setting it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextmanager
def atomic_folder(path, *, replace_subfolders: bool = False) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; on success move each entry into ``path``.

    ``path`` is created if missing; entries already there with other names are kept (a folder
    may hold more than one writer's files). A sub-folder already at ``path`` with the name of a
    new one is replaced when ``replace_subfolders`` (a rename cannot overwrite a non-empty
    folder). On an error the temporary folder is removed and ``path`` is left as it was.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}."))
    try:
        yield tmp
        path.mkdir(exist_ok=True)
        for f in sorted(tmp.iterdir()):
            target = path / f.name
            if replace_subfolders and target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            f.replace(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@contextmanager
def atomic_file(path, suffix: str = ".tmp") -> Iterator[Path]:
    """Yield a temporary path beside ``path`` to write to; on success rename it to ``path``.

    ``suffix`` is the temporary name's ending, for writers that choose a format by it
    (``.xlsx``, ``.png``).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        # mkstemp makes the file private (0600); a result is as readable as any new file
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` through :func:`atomic_file`."""
    path = Path(path)
    with atomic_file(path) as tmp:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    return path
