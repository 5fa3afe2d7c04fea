"""Where the players domain reads from: the event files and the time-zone file.

Listing and fetching files is the shared ``loaders.incremental_files.Landing`` (any fsspec
URL); this module only knows the players' URLs.
"""

from __future__ import annotations

from loaders.incremental_files import LandedFile, Landing, fingerprint
from loaders.players.settings import PlayersSettings

__all__ = ["LandedFile", "Landing", "events_landing", "read_timezones"]


def events_landing(url: str | None = None) -> Landing:
    return Landing(url or PlayersSettings().events_url)


def read_timezones(url: str | None = None) -> tuple[bytes | None, str]:
    """Bytes and fingerprint of the time-zone file; ``(None, "")`` when it does not exist."""
    landing = Landing(url or PlayersSettings().timezones_url)
    try:
        info = landing.fs.info(landing.root)
        return landing.fs.cat_file(landing.root), fingerprint(info)
    except FileNotFoundError:
        return None, ""
