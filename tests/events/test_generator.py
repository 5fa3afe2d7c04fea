"""The generator's marketplace interactions: the four types the serving cases read, their
string attributes, one owner per product, and the skew of users and products."""

from __future__ import annotations

from collections import Counter

from simulation.events.generator import INTERACTIONS, write_events
from tests.events.helpers import expected_lake, read_raw_lines

SCHEMAS = {
    "product_impression": {"user_id", "product_id"},
    "product_liked": {"user_id", "product_id", "owner_id"},
    "conversation_started": {"user_id", "product_id", "owner_id"},
    "product_sold": {"user_id", "product_id", "buyer_id"},
}


def test_interactions_have_their_schemas_one_owner_per_product_and_skew(tmp_path):
    write_events(tmp_path, events=20_000, files=2, users=500, hours=4)
    events = list(expected_lake(read_raw_lines(tmp_path)).values())
    types = Counter(e["type"] for e in events)
    assert set(INTERACTIONS) <= set(types)
    # product_impression is the most common type; the four are about a third of all events.
    assert types.most_common(1)[0][0] == "product_impression"
    share = sum(types[t] for t in INTERACTIONS) / len(events)
    assert 0.25 < share < 0.4, share

    owners: dict[str, set[str]] = {}
    for e in events:
        if e["type"] not in SCHEMAS:
            continue
        attrs = e["attributes"]
        assert set(attrs) == SCHEMAS[e["type"]], e
        assert all(isinstance(v, str) for v in attrs.values()), e
        owner = attrs["user_id"] if e["type"] == "product_sold" else attrs.get("owner_id")
        if owner is not None:
            owners.setdefault(attrs["product_id"], set()).add(owner)
    assert owners and all(len(o) == 1 for o in owners.values())

    # Skew: the top 1 % of users and products take far more than 1 % of the events.
    users = Counter(e["attributes"]["user_id"] for e in events if "user_id" in e["attributes"])
    top_users = sum(n for _, n in users.most_common(len(users) // 100 or 1))
    assert top_users / sum(users.values()) > 0.05
    seen = Counter(
        e["attributes"]["product_id"] for e in events if e["type"] == "product_impression"
    )
    top_products = sum(n for _, n in seen.most_common(len(seen) // 100 or 1))
    assert top_products / sum(seen.values()) > 0.15
