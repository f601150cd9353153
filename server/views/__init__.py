"""HTTP handlers: parse, call one service, serialize."""
