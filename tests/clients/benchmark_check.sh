#!/bin/bash
# benchmark_check.sh -- a short redis-benchmark run that must see no errors.
#
#   tests/clients/benchmark_check.sh --host 127.0.0.1 --port N [--benchmark PATH] [--cli PATH]
#
# Runs `redis-benchmark -t set,get,incr,mset -n 20000 -q`, then the same with
# -P 16, and fails (exit 1, "FAIL ..." line) unless every run
#   - exits 0 within 120 s,
#   - prints nothing on stderr except the harmless start-up line
#     "WARNING: Could not fetch server CONFIG",
#   - prints a final "<TEST>: <rps> requests per second" line, rps > 0, for
#     each of SET, GET, INCR and "MSET (10 keys)".
# How redis-benchmark 7 reports errors: on the first error reply it prints
# "Error from server: <msg>" (or "Node H:P replied with error:\n<msg>" when
# the error comes during start-up, e.g. NOAUTH) to stderr and exits 1, so the
# run stops early and the summary line of that test never appears. On a lost
# connection it prints "Error: ..." and exits 1; on a server that stops
# answering it hangs, hence the timeout.
# It also checks that no INCR was lost: redis-benchmark's INCR test hits
# the single key counter:__rand_int__ (no -r), so after the two runs that
# counter must read exactly 2 x 20000. The two keys the benchmark creates
# (key:__rand_int__, counter:__rand_int__) are deleted at the end.
# Exit 2 if the server is unreachable.
set -u

host=127.0.0.1
port=
bench=${REDIS_BENCHMARK:-redis-benchmark}
cli=${REDIS_CLI:-redis-cli}
n=20000
usage() { echo "usage: $0 --host HOST --port PORT [--benchmark PATH] [--cli PATH]" >&2; exit 2; }
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --benchmark) bench=$2; shift 2 ;;
        --cli) cli=$2; shift 2 ;;
        *) usage ;;
    esac
done
[ -n "$port" ] || usage

tmp=$(mktemp -d /tmp/benchmark_check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL benchmark_check: $*" >&2; exit 1; }
rc() { timeout 30 "$cli" -h "$host" -p "$port" "$@" </dev/null; }

got=$(rc ping 2>&1)
[ "$got" = PONG ] || { echo "benchmark_check: cannot reach $host:$port: $got" >&2; exit 2; }
[ "$(rc del counter:__rand_int__ 2>&1)" != "" ] || fail "DEL counter:__rand_int__ failed"

runs=0
for pipeline in 1 16; do
    out=$tmp/out.$pipeline err=$tmp/err.$pipeline
    timeout 120 "$bench" -h "$host" -p "$port" -t set,get,incr,mset -n "$n" -q \
        -P "$pipeline" </dev/null >"$out" 2>"$err"
    status=$?
    # progress lines end in \r; keep only the final summary lines
    tr '\r' '\n' <"$out" | grep -E '^[A-Z].*: [0-9.]+ requests per second' >"$out.final"
    errs=$(grep -v -e '^WARNING: Could not fetch server CONFIG$' -e '^[[:space:]]*$' "$err")
    what="redis-benchmark -P $pipeline"
    [ "$status" = 124 ] && fail "$what: timed out after 120 s; results so far: $(tr '\n' ';' <"$out.final")"
    [ -z "$errs" ] || fail "$what reported errors (exit $status): $errs"
    [ "$status" = 0 ] || fail "$what exited $status; stderr: $(cat "$err"); stdout: $(tr '\r' '\n' <"$out" | tail -3)"
    for t in "SET" "GET" "INCR" "MSET (10 keys)"; do
        line=$(awk -v t="$t: " 'index($0, t) == 1' "$out.final" | tail -1)
        [ -n "$line" ] || fail "$what: no summary line for $t; output: $(tr '\n' ';' <"$out.final")"
        rps=$(sed -E 's/^.*: ([0-9.]+) requests per second.*$/\1/' <<<"$line")
        awk -v r="$rps" 'BEGIN { exit !(r > 0) }' || fail "$what: $t at $rps requests/s"
        echo "  P$pipeline  $line"
    done
    if grep -q . "$err"; then echo "  note: $(cat "$err")"; fi
    runs=$((runs + 1))
done

got=$(rc get counter:__rand_int__)
[ "$got" = $((2 * n)) ] || fail "counter:__rand_int__ = [$got] after 2 x $n INCRs, want $((2 * n)) (lost or duplicated INCRs)"
got=$(rc get key:__rand_int__)
[ "$got" = VXK ] || fail "key:__rand_int__ = [$got], want the 3-byte benchmark value VXK"
rc del counter:__rand_int__ key:__rand_int__ >/dev/null

echo "benchmark_check: $runs redis-benchmark runs, 0 errors, INCR count exact ($("$bench" --version 2>/dev/null | head -1), $host:$port)"
exit 0
