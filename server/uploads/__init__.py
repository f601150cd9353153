"""Evidence files sent by parties and inspectors: receiving the bytes and reading images."""
