"""Install a Debian package a test needs (redis-server, chromium) when it is missing.

CI and developers' machines are root with apt-get; elsewhere the caller skips the test with
the reason returned here.
"""

from __future__ import annotations

import os
import shutil
import subprocess


def ensure_binary(names: tuple[str, ...], package: str) -> tuple[str | None, str]:
    """(path of the first binary found, "") or (None, why it is not available)."""

    def find() -> str | None:
        return next((p for p in map(shutil.which, names) if p), None)

    found = find()
    if found:
        return found, ""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or not shutil.which("apt-get"):
        return None, (f"{names[0]} is not installed and this is not root with apt-get: "
                      f"install it (Debian: apt-get install {package}) to run this test")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", package]):
        try:
            done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, f"{' '.join(cmd)} failed: {e}"
        if done.returncode != 0:
            return None, f"{' '.join(cmd)} failed: {done.stderr.strip()[-500:]}"
    found = find()
    return found, "" if found else f"apt-get installed {package} but {names[0]} is not on PATH"
