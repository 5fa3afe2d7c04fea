"""Domain ``adreports``: a daily pull of an ad-mediation revenue report → ``adreports.daily_revenue``."""
