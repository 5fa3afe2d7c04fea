"""Where game events land: ``GAMING_EVENTS_URL`` (a folder or ``s3://bucket/prefix``)."""

from __future__ import annotations

from loaders.incremental_files import LandedFile
from loaders.incremental_files import Landing as _Landing
from tributary import settings

__all__ = ["LandedFile", "Landing", "events_url"]


def events_url() -> str:
    return settings.env_url("GAMING_EVENTS_URL", settings.landing_dir("gaming"))


class Landing(_Landing):
    """The gaming landing location (``GAMING_EVENTS_URL`` unless another URL is given)."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or events_url())
