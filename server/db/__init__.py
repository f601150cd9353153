"""Database layer: engine, models and migrations."""
