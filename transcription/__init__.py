"""transcription: turn every party's recorded Opus audio into 问/答 turns, offline.

A pure library: no database, no HTTP. The server runs `pipeline` in a worker process:
decode a party's WebM segments and find its speech (`prepare_party`), let Whisper hear
each piece (`transcribe_speech`), then merge all parties' utterances on the interview
clock into turns (`turns.merge_turns`). `record` and `pdf` make the inquiry record
from those turns.
"""

from transcription.errors import AudioError, ModelError, TranscriptionError

__all__ = ["AudioError", "ModelError", "TranscriptionError"]
