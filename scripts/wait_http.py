"""Wait until a URL answers 200 (``python -m scripts.wait_http URL [SECONDS]``): how
``scripts/serve.sh --materialize`` knows the Dagster UI is up before it starts the first build.
Exit 0 when it answered, 1 when the time ran out."""

from __future__ import annotations

import sys
import time
import urllib.error
import urllib.request


def wait(url: str, seconds: float) -> bool:
    """Poll ``url`` every half second until it answers 200 or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.5)
    return False


if __name__ == "__main__":
    sys.exit(0 if wait(sys.argv[1], float(sys.argv[2]) if len(sys.argv) > 2 else 120) else 1)
