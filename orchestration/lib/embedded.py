"""Stand-ins the embedded default starts for a headless run when no real service is configured.

Today one: the ad-report provider. With ``ADREPORTS_API_URL`` unset, ``make materialize``
starts the simulated provider (``python -m simulation.adreports``) as a child process on a free
port for the duration of the run and points the loader at it through the same two variables
a real deployment sets. The loader itself never knows, and never imports the simulation.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from loaders.adreports.settings import AdreportsSettings

SIMULATED_TOKEN = "sim-refresh-token"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the simulated ad-report provider exited ({proc.returncode})")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"the simulated ad-report provider did not listen within {timeout:.0f} s")


@contextmanager
def adreports_provider(timeout: float = 30.0) -> Iterator[str]:
    """The provider URL to pull from: the configured one, else a simulated one started here
    (profile ``ADREPORTS_SIM_PROFILE``, default ``mild``) and stopped on exit."""
    env = AdreportsSettings()
    if url := env.configured_url():
        yield url
        return
    port = _free_port()
    token = env.api_token or SIMULATED_TOKEN
    command = [sys.executable, "-m", "simulation.adreports", "--port", str(port)]
    proc = subprocess.Popen(
        [*command, "--profile", env.sim_profile],
        env={**os.environ, "ADREPORTS_API_TOKEN": token},  # the child's whole environment
        stdout=subprocess.DEVNULL,
    )
    # The run reads the provider from the environment, as a real deployment configures it
    # (Dagster's run and step processes inherit it): set for the duration, then restored.
    saved = {name: os.environ.get(name) for name in ("ADREPORTS_API_URL", "ADREPORTS_API_TOKEN")}
    try:
        _wait_for_port(port, proc, timeout)
        url = f"http://127.0.0.1:{port}"
        os.environ["ADREPORTS_API_URL"], os.environ["ADREPORTS_API_TOKEN"] = url, token
        yield url
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
