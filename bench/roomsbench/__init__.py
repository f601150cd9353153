"""The pieces of the live-interview benchmark; bench/rooms.py is the entry point."""
