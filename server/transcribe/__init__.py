"""Transcription jobs: queued when an interview ends, run by `TranscriptionRunner`."""
