# The two commands of README.md. Each sets up whatever is missing first.
.PHONY: run test

run:
	./scripts/setup.sh
	.venv/bin/zeromeet serve

test:
	./scripts/setup.sh --test
	.venv/bin/python -m pytest
