# shoal -- top-level build.
#   make                 build src/shoal-server
#   make run             install missing deps, build, start on redis-compat.conf
#   make test            install missing deps, build, run every test
#   make test-asan       the unit tests against an AddressSanitizer build
#   make SANITIZE=address|undefined   instrumented build (src/shoal-server-<kind>)
#   make clean

.PHONY: all run test test-asan deps clean

all:
	$(MAKE) -C src

deps:
	@sh deps/install.sh

run: deps all
	./src/shoal-server ./redis-compat.conf

test: deps all
	tclsh tests/test_helper.tcl $(TEST_ARGS)

# The core unit programs and the Tcl unit tests, against an ASan build.
test-asan: deps
	$(MAKE) -C src SANITIZE=address
	$(MAKE) -C src SANITIZE=address test-units
	tclsh tests/test_helper.tcl --server src/shoal-server-address --tags -slow $(TEST_ARGS)

clean:
	$(MAKE) -C src clean
	$(MAKE) -C src clean SANITIZE=address
