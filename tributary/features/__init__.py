"""Real-time product features for re-ranking (events scenario 4): per product, counts of
impressions, likes and conversations in the last hour, day and week, kept in an online store
(Redis or embedded SQLite) by the events stream's features consumer and read by the API."""
