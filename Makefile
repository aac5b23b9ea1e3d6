# shoal -- top-level build.
#   make                 build src/shoal-server
#   make run             install missing deps, build, start on redis-compat.conf
#   make test            install missing deps, build, run every test
#   make test-asan       the unit tests against an AddressSanitizer build
#   make test-ubsan      the same against an UndefinedBehaviorSanitizer build
#   make SANITIZE=address|undefined   instrumented build (src/shoal-server-<kind>)
#   make clean

.PHONY: all run test test-asan test-ubsan deps clean

all:
	$(MAKE) -C src

deps:
	@sh deps/install.sh

run: deps all
	./src/shoal-server ./redis-compat.conf

test: deps all
	tclsh tests/test_helper.tcl $(TEST_ARGS)

# The core unit programs and the Tcl unit tests, against sanitizer builds.
test-asan: deps
	$(MAKE) -C src SANITIZE=address
	tclsh tests/test_helper.tcl --server src/shoal-server-address --tags -slow $(TEST_ARGS)

test-ubsan: deps
	$(MAKE) -C src SANITIZE=undefined
	tclsh tests/test_helper.tcl --server src/shoal-server-undefined --tags -slow $(TEST_ARGS)

clean:
	$(MAKE) -C src clean
