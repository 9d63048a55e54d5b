"""A small real filesystem for fault tests: tmpfs (``mount -t tmpfs -o size=...``), or a
loop-mounted ext4 image where tmpfs cannot be mounted. CI runs as root; without root, or if
neither mount works, the test fails and says why (it never skips)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

SIZE_MIB = 2
FILLER = "filler.bin"


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(cmd), capture_output=True, text=True, check=False)


@dataclass
class SmallFs:
    """A mounted filesystem of :data:`SIZE_MIB` MiB at ``path``."""

    path: Path
    kind: str  # "tmpfs" or "loop ext4"

    def fill(self) -> int:
        """Fill every free byte with a filler file; returns how many bytes it took."""
        written = 0
        with (self.path / FILLER).open("ab", buffering=0) as out:
            for chunk in (1 << 16, 1 << 12, 1 << 9, 1):
                block = b"\0" * chunk
                while True:
                    try:
                        written += out.write(block) or 0
                    except OSError as exc:
                        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
                            raise
                        break
        assert shutil.disk_usage(self.path).free < 1 << 12
        return written

    def free(self) -> None:
        """Remove the filler: the space is back."""
        (self.path / FILLER).unlink()

    def remount(self, *, read_only: bool) -> None:
        """Remount read-only or read-write (read-only needs no file open for writing on it)."""
        mode = "ro" if read_only else "rw"
        done = _run("mount", "-o", f"remount,{mode}", str(self.path))
        assert done.returncode == 0, f"remount,{mode} of {self.path} failed: {done.stderr}"


@contextlib.contextmanager
def small_filesystem(root: Path) -> Iterator[SmallFs]:
    """Mount a small filesystem under ``root`` for the duration; unmount afterwards."""
    if os.geteuid() != 0:
        pytest.fail(
            f"the storage fault tests mount a small filesystem and need root (uid 0), not uid "
            f"{os.geteuid()}: run them as root (CI does), e.g. in the project's container"
        )
    mount = root / "smallfs"
    mount.mkdir()
    tmpfs = _run("mount", "-t", "tmpfs", "-o", f"size={SIZE_MIB}m,mode=0755", "tmpfs", str(mount))
    kind = "tmpfs"
    if tmpfs.returncode != 0:
        kind = "loop ext4"
        image = root / "smallfs.img"
        with image.open("wb") as out:
            out.truncate(SIZE_MIB << 20)
        made = _run("mkfs.ext4", "-q", "-F", "-m", "0", str(image))
        loop = _run("mount", "-o", "loop", str(image), str(mount)) if made.returncode == 0 else made
        if loop.returncode != 0:
            pytest.fail(
                "cannot mount a small filesystem for the storage fault tests: "
                f"tmpfs: {tmpfs.stderr.strip()}; loop image: {loop.stderr.strip()}"
            )
    try:
        yield SmallFs(mount, kind)
    finally:
        _run("mount", "-o", "remount,rw", str(mount))
        if _run("umount", str(mount)).returncode != 0:
            _run("umount", "-l", str(mount))  # a connection still open: detach it lazily
