"""JSON API v1: cohort completion and participant progress, for organizers' own systems."""
