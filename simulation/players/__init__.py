"""A season of football-manager events with every defect the cleaning rules know, plus the
expected answers computed independently in plain Python."""
