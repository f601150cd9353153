"""Domain services: take a session, do one job, raise domain errors."""
