"""Domain ``adreports``: a daily pull of an ad-mediation revenue report from a third-party API."""
