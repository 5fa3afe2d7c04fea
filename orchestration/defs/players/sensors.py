"""New player-event files start a run of the players assets (what ``players_refresh`` runs).

Unlike gaming, the players marts are dbt tables rebuilt by ``dbt build``, so the sensor does
no loading itself: it compares the landing location with the manifest ``players_raw.files``
(and the time-zone file's fingerprint with the one the last request saw) and requests one run
per distinct set of pending files (the run key).
"""

from loaders.players.landing import read_timezones
from loaders.players.pipeline import DOMAIN
from loaders.players.settings import PlayersSettings
from orchestration.lib.sensors import pending_files_sensor

players_landing_sensor = pending_files_sensor(
    DOMAIN,
    name="players_landing_sensor",
    interval_seconds=PlayersSettings().sensor_interval_seconds,
    description="Requests a run of the players assets when new or rewritten event files land.",
    state=lambda: read_timezones()[1],
)
