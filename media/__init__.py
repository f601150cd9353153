"""media: the live path of a call. Peers and their signalling state, rooms, what comes in
from each party (`source`: as received, tapped for the recorder and pictures), what goes
out to the others (`forward`, `fanout`), the recorder that cuts each track into segments
and the snapshot maker. It speaks in Python objects and events, never wire JSON, and
imports only `evidence` (the WebM bytes a segment is written in, and the segment it
hands over)."""
