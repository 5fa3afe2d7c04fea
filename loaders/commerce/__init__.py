"""Commerce: the shop's orders (CSV exports → shop SQL database → warehouse via dlt's
``sql_database``) and product-view JSON batches per platform (loaded incrementally by file)."""
