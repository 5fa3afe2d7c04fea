"""A local ad-mediation reporting API (AdMob-like) with faults injectable on command."""
