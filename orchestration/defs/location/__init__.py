"""Domain ``location``: minute averages from the ``PUT /location`` store → ``location.user_minute``
and ``location.user_day``."""
