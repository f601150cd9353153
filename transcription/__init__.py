"""transcription: filled in by later issues (see DESIGN.md)."""
