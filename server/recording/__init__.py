"""Evidence-grade recording: tracks as received, in hashed, chained, sealed segments."""
