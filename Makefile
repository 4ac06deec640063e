# mysql-server-mock: `make run` serves the built-in default trace on 127.0.0.1:3306,
# `make test` runs every test (Swift unit and live tests, then real clients against the binary).
SWIFT ?= swift
# Release builds link the Swift runtime and Foundation statically: the dynamic loader's work was
# a third of the start-up time (issue 18: 16 ms to the port accepting, 12 ms linked statically).
RELEASE_BUILD = $(SWIFT) build -c release --static-swift-stdlib
PORT ?= 3306
ARGS ?=

.PHONY: run build release test unit integration screenshots drivers drivers-calibrate bench bench-ab bench-micro fuzz soak sanitize protos clean-venv

run: release
	.build/release/mysql_server_mock --bind-address 127.0.0.1 --port $(PORT) --filename builtin:default $(ARGS)

release:
	scripts/setup.sh build
	$(RELEASE_BUILD) --product mysql_server_mock

build:
	scripts/setup.sh build
	$(SWIFT) build

test:
	scripts/setup.sh test
	scripts/generate-protos.sh --check
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build
	$(SWIFT) build --product mysql_server_mock
	.venv/bin/python -m pytest -q Tests/Integration
	.venv/bin/python -m pytest -q python/tests

unit:
	$(SWIFT) test

integration:
	scripts/setup.sh test
	$(SWIFT) build --product mysql_server_mock
	.venv/bin/python -m pytest -q Tests/Integration

# The README's dashboard screenshots (docs/screenshots), taken by the dashboard's browser tests.
screenshots:
	scripts/setup.sh test
	$(SWIFT) build --product mysql_server_mock
	DASHBOARD_SCREENSHOTS=docs/screenshots .venv/bin/python -m pytest -q Tests/Integration/test_dashboard.py

# The driver matrix alone (issue 15): every probe against the mock and against a MariaDB it starts
# (the calibration runs in the same test, so drivers-calibrate is the same target).
drivers drivers-calibrate:
	scripts/setup.sh test
	$(SWIFT) build --product mysql_server_mock
	.venv/bin/python -m pytest -q Tests/Integration/test_driver_matrix.py

# The mock against MariaDB with sysbench; writes bench/results/<time>.md. Not run by CI.
bench: release
	scripts/setup.sh bench
	$(RELEASE_BUILD) --product NIOFloor
	$(RELEASE_BUILD) --product CEpollFloor
	.venv/bin/python bench/bench.py $(BENCH_ARGS)

# This build against another mock binary, interleaved round by round: rates and server CPU per
# event. BASELINE=/path/to/previous/mysql_server_mock (e.g. a release build of the last landing).
bench-ab: release
	scripts/setup.sh bench
	.venv/bin/python bench/ab.py --baseline $(BASELINE) $(AB_ARGS)

# Statements per second, JSON vs JavaScript trace, through the real server (release build).
bench-micro:
	scripts/setup.sh build
	$(SWIFT) run -c release --static-swift-stdlib MockMicroBench

# libFuzzer + ASan on every decoder (issue 8), FUZZ_SECONDS per target; crashes land in
# Fuzz/regressions/<target>/ and are replayed by the unit tests. Not run by CI.
FUZZ_SECONDS ?= 60
fuzz:
	scripts/setup.sh build
	scripts/fuzz.sh --seconds $(FUZZ_SECONDS) $(FUZZ_TARGETS)

# 64 clients in a loop against a JavaScript trace while the REST API changes globals and drops all
# connections; checks memory and descriptors afterwards (issue 8). SOAK_ARGS="--seconds 600". Not run by CI.
soak: release
	scripts/setup.sh test
	.venv/bin/python scripts/soak.py $(SOAK_ARGS)

# The Swift tests under ThreadSanitizer and AddressSanitizer, each in its own build folder
# (a clean build each: about 10 minutes apiece here). Not run by CI; the README has the last result.
sanitize:
	scripts/setup.sh build
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	LSAN_OPTIONS=suppressions=$(CURDIR)/Fuzz/lsan-suppressions.txt SWIFT_BACKTRACE=enable=no \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan

# Regenerates Sources/MySQLXWire/Generated from Protos/mysqlx (needs protoc; installs it).
protos:
	scripts/generate-protos.sh

clean-venv:
	rm -rf .venv
