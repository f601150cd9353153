# The two commands of README.md. Each sets up whatever is missing first.
# `make check` runs the fast tier (unit tests: no server, store or database) in well
# under a minute, for a developer between edits; `make test` runs every tier.
.PHONY: run test check

run:
	./scripts/setup.sh
	.venv/bin/zeromeet serve

test:
	./scripts/setup.sh --test
	.venv/bin/python -m pytest

check:
	@test -x .venv/bin/python || ./scripts/setup.sh --test
	.venv/bin/python -m pytest -m unit -q --durations=5
