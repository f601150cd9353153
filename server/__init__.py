"""zeromeet server: the aiohttp application, its CLI, auth, API and embedded services."""
