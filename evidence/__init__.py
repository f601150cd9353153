"""evidence: what makes a recording, an upload or a record evidence. A recording's
segment in its two shapes (`segment`: closed by the recorder, stored in the chain), WebM
bytes (`webm`, `join`), SHA-256 hash chains and seals (`chain`), a recording's manifest
(`manifest`), the object store adapter (`store`), custody logs and checkpoints, bundles
and their offline verifier (`verify`). It imports none of the other packages: `media`,
`transcription` and `server` build on it."""
