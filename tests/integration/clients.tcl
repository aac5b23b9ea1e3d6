# tests/integration/clients.tcl -- real Redis clients against the server
# under test: redis-py, a hiredis C program, redis-cli (plain, -3, --pipe)
# and redis-benchmark. Each program lives in tests/clients/ and exits 0 on
# success, or prints a FAIL line (see tests/clients/README.md).

proc run_client_check {argv} {
    set status [catch {exec {*}$argv --host 127.0.0.1 --port [srv port] 2>@1} out]
    if {$status != 0} {
        fail "[lindex $argv end] failed:\n$out"
    }
    return $out
}

foreach threads {1 2} {
    start_server [list tags {clients} args [expr {[is_shoal] ? [list --threads $threads] : {}}]] {
        test "redis-py (python3-redis) works unchanged, threads $threads" {
            run_client_check [list /usr/bin/python3 tests/clients/redis_py_check.py]
        }

        test "hiredis C client works unchanged, threads $threads" {
            file mkdir tests/tmp
            set bin tests/tmp/hiredis_check.[pid]
            exec cc -o $bin tests/clients/hiredis_check.c -lhiredis -Wall -Wextra -Werror
            run_client_check [list $bin]
            file delete $bin
        }

        test "redis-cli: commands, RESP3 and --pipe bulk load, threads $threads" {
            run_client_check [list bash tests/clients/redis_cli_check.sh]
        }

        test "redis-benchmark runs with zero errors, threads $threads" {
            run_client_check [list bash tests/clients/benchmark_check.sh]
        }
    }
}
