"""``python -m simulation.commerce [--views N --days N --out DIR]``: write sample commerce data
(product-view JSON per platform under the views landing dir, the shop's CSV exports beside it)."""

from __future__ import annotations

import argparse
from pathlib import Path

from simulation.commerce.generator import write_sample
from tributary import settings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=None, help="default: the commerce landing dir")
    parser.add_argument("--products", type=int, default=3000)
    parser.add_argument("--views", type=int, default=60_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--start", default="2016-01-04")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args()
    out = args.out or settings.landing_dir("commerce")
    g = write_sample(
        out,
        products=args.products,
        views=args.views,
        days=args.days,
        start=args.start,
        seed=args.seed,
    )
    print(
        f"commerce: {len(g.view_files)} view files ({g.product_views} product views, "
        f"{g.defective_events} defective), {g.orders} orders, {g.order_items} items in {out}"
    )


if __name__ == "__main__":
    main()
