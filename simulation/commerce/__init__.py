"""Sample data of the commerce domain: the shop's CSV exports and product-view JSON batches."""
