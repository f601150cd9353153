# The two commands of README.md. Each sets up whatever is missing first.
# `make check` runs the fast tier (unit tests: no server, store or database) in well
# under a minute, for a developer between edits; `make test` runs every tier;
# `make coverage` runs every tier and reports line coverage of the four packages.
.PHONY: run test check coverage

run:
	./scripts/setup.sh
	.venv/bin/zeromeet serve

test:
	./scripts/setup.sh --test
	.venv/bin/python -m pytest -n auto --maxprocesses=4

check:
	@test -x .venv/bin/python || ./scripts/setup.sh --test
	.venv/bin/python -m pytest -m unit -q --durations=5

coverage:
	./scripts/setup.sh --test
	.venv/bin/python -m pytest -n auto --maxprocesses=4 --cov --cov-report=term --cov-report=json:var/coverage.json
