"""``python -m loaders.location``: load the changed minutes into the warehouse once (pages
done, minutes and minutes/s show on a terminal)."""

from __future__ import annotations

import pyarrow as pa

from loaders.location import pipeline as location
from loaders.location.source import location_minutes_source
from tributary import warehouse
from tributary.progress import Progress


def main() -> None:
    with warehouse.locked():
        source = location_minutes_source()
        with Progress("location: loading", unit="pages") as shown:

            def count(page: pa.Table) -> pa.Table:
                shown.advance(1, page.num_rows)
                return page

            source.resources["minutes"].add_map(count)
            print(location.pipeline().run(source))
        with warehouse.connect(read_only=True, lock=False) as con:
            print(location.reconcile(con))


if __name__ == "__main__":
    main()
