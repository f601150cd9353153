"""evidence: what makes a recording, an upload or a record evidence. WebM bytes (`webm`,
`join`), SHA-256 hash chains (`chain`), the object store adapter (`store`), custody logs
and checkpoints, bundles and their offline verifier (`verify`). It imports none of the
other packages: `media`, `transcription` and `server` build on it."""
