"""``python -m loaders.location``: load the changed minutes into the warehouse once."""

from __future__ import annotations

from loaders.location import pipeline as location
from loaders.location.source import location_minutes_source
from tributary import warehouse


def main() -> None:
    with warehouse.locked():
        print(location.pipeline().run(location_minutes_source()))
        with warehouse.connect(read_only=True, lock=False) as con:
            print(location.reconcile(con))


if __name__ == "__main__":
    main()
