"""Question analysis: follow-ups condensed, regions, time, indicators and the route."""
