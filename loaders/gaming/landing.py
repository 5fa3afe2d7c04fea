"""Where game events land: ``GAMING_EVENTS_URL`` (a folder or ``s3://bucket/prefix``)."""

from __future__ import annotations

from loaders.gaming.settings import GamingSettings
from loaders.incremental_files import LandedFile
from loaders.incremental_files import Landing as _Landing

__all__ = ["LandedFile", "Landing"]


class Landing(_Landing):
    """The gaming landing location (``GAMING_EVENTS_URL`` unless another URL is given)."""

    def __init__(self, url: str | None = None) -> None:
        super().__init__(url or GamingSettings().events_url)
