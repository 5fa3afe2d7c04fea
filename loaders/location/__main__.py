"""``python -m loaders.location``: load the changed minutes into the warehouse once."""

from __future__ import annotations

from loaders.common import open_warehouse
from loaders.location import pipeline as location
from loaders.location.source import location_minutes_source
from tributary.locking import warehouse_lock


def main() -> None:
    with warehouse_lock():
        info = location.pipeline().run(location_minutes_source())
        print(info)
        con = open_warehouse(read_only=True)
        try:
            print(location.reconcile(con))
        finally:
            con.close()


if __name__ == "__main__":
    main()
