"""The provider a pull talks to: the configured API, or the embedded simulated one.

With ``ADREPORTS_API_URL`` unset (the embedded default, like local files for the other
domains), a pull starts the simulated provider in a background thread for its duration, with
the fault profile ``ADREPORTS_SIM_PROFILE`` (default ``mild``: transient 5xx and 429 that the
retries absorb). ``make serve`` runs it as a service instead and points the URL at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

from loaders.adreports.config import ProviderConfig


@contextmanager
def provider(config: ProviderConfig | None = None) -> Iterator[ProviderConfig]:
    """The config to pull with, its ``url`` always set."""
    config = config or ProviderConfig.from_env()
    if config.url:
        yield config
        return
    from simulation.adreports.server import running_provider

    profile = os.environ.get("ADREPORTS_SIM_PROFILE", "mild")
    with running_provider(refresh_token=config.token, profile=profile) as server:
        yield replace(config, url=server.url)
