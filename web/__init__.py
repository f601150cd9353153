"""Browser front end: static pages served by the server."""
