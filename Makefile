# shoal -- top-level build.
#   make                 build src/shoal-server
#   make run             install missing deps, build, start on redis-compat.conf
#   make test            install missing deps, build, run every test
#   make SANITIZE=address|undefined   instrumented build (separate objects)
#   make clean

.PHONY: all run test test-unit deps clean

all:
	$(MAKE) -C src

deps:
	@sh deps/install.sh

run: deps all
	./src/shoal-server ./redis-compat.conf

test: deps all
	tclsh tests/test_helper.tcl $(TEST_ARGS)

clean:
	$(MAKE) -C src clean
