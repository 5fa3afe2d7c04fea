"""How long the project image takes to build with podman (issue 17's goal: under 5 minutes from a
cached base). Measures, on a copy of the checked-in sources in a temp dir:

1. the local base images (`deploy/local-base.sh`; 0 s when its tarballs are cached, a cold
   mmdebstrap with `--cold-base`, into a temp cache dir);
2. a full image build from that base with no layer cache (`podman build --no-cache`): what a
   machine pays once per lock change; uv's download cache (the build's cache mount) is whatever
   the machine holds, so the first run on a fresh machine is the cold figure;
3. the baseline's counterpart: a rebuild after a source change (one file edited), with the layer
   cache: what each commit pays. The ratio is 3 / 2.

Needs podman, runc and mmdebstrap (`make ci-deps`). Removes the images it built at the end.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from bench.common import REPO, machine_info, rule, write_result

TAG = "localhost/tributary:bench-image-build"
BASE = "localhost/debian-python:bookworm"


def _timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.monotonic()
    subprocess.run(command, cwd=cwd, env=env, check=True, timeout=3600)
    return time.monotonic() - started


def _sources(into: Path) -> None:
    """The checked-in files of the working tree (what a clean clone builds)."""
    files = subprocess.check_output(["git", "ls-files", "-z"], cwd=REPO).split(b"\0")
    for name in filter(None, (f.decode() for f in files)):
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (REPO / name).is_file():
            shutil.copy2(REPO / name, target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cold-base", action="store_true", help="base tarballs from nothing")
    args = parser.parse_args()
    env = {**os.environ, "CONTAINERS_CONF": str(REPO / "deploy" / "containers.conf")}
    figures: dict[str, float] = {}
    info = machine_info()
    with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
        context, cache = Path(tmp) / "context", Path(tmp) / "base-cache"
        _sources(context)
        local_base = [str(REPO / "deploy" / "local-base.sh")]
        figures["base"] = _timed(local_base + ([str(cache)] if args.cold_base else []), env, REPO)
        build = ["podman", "build", "--runtime", "runc", "--network", "host", "--quiet"]
        build += ["--build-arg", f"BASE_IMAGE={BASE}", "-t", TAG, "."]
        full = None
        try:
            figures["full build"] = _timed([*build[:2], "--no-cache", *build[2:]], env, context)
            full = subprocess.check_output(
                ["podman", "image", "inspect", "--format", "{{.Id}}", TAG], env=env, text=True
            ).strip()
            with (context / "README.md").open("a", encoding="utf-8") as readme:
                readme.write("\n<!-- a source change -->\n")
            figures["rebuild after a source change"] = _timed(build, env, context)
        finally:
            # Both images this run made (the full build's was untagged by the rebuild).
            for image in filter(None, (TAG, full)):
                subprocess.run(["podman", "rmi", "--force", image], env=env, capture_output=True)
    ratio = figures["rebuild after a source change"] / figures["full build"]
    print(rule("image build (podman, local Debian base)"))
    print(f"load average at start: {info['loadavg']}")
    for name, seconds in figures.items():
        print(f"  {name:<32} {seconds:7.1f} s")
    print(f"  rebuild / full build             {ratio:7.2f}")
    write_result("image_build", {"machine": info, "seconds": figures, "ratio": ratio})


if __name__ == "__main__":
    main()
