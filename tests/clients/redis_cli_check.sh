#!/bin/bash
# redis_cli_check.sh -- drives a server with the real redis-cli.
#
#   tests/clients/redis_cli_check.sh --host 127.0.0.1 --port N [--cli PATH]
#
# Checks plain commands in raw (pipe) and --no-raw output, commands read from
# stdin, -x binary input, -r repeat, RESP3 output with -3 (HELLO 3 map,
# CONFIG GET as a map), a --pipe bulk load of 100000 SET commands generated
# in RESP (summary must read "errors: 0, replies: 100000"), DBSIZE before and
# after, --scan over the loaded keys, and a --pipe bulk delete.
# Exit 0 on success, 1 with a "FAIL ..." line on the first mismatch, 2 if the
# server is unreachable. Every redis-cli call runs under `timeout`; the
# whole script takes a few seconds. Keys use a per-run prefix and are
# deleted at the end (no FLUSHALL). DBSIZE deltas assume nobody else writes
# to the server during the run.
set -u

host=127.0.0.1
port=
cli=${REDIS_CLI:-redis-cli}
N=100000
while [ $# -gt 0 ]; do
    case "$1" in
        --host) host=$2; shift 2 ;;
        --port) port=$2; shift 2 ;;
        --cli)  cli=$2; shift 2 ;;
        *) echo "usage: $0 --host HOST --port PORT [--cli redis-cli]" >&2; exit 2 ;;
    esac
done
[ -n "$port" ] || { echo "usage: $0 --host HOST --port PORT [--cli redis-cli]" >&2; exit 2; }

tmp=$(mktemp -d /tmp/redis_cli_check.XXXXXX)
P="clicheck:$$:$(date +%s):"
# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    # on failure, delete whatever this run left behind (bounded in time)
    if [ "${passed:-0}" != 1 ] && [ -n "$port" ]; then
        timeout 30 "$cli" -h "$host" -p "$port" --scan --pattern "${P}*" </dev/null 2>/dev/null |
            timeout 30 xargs -r -d '\n' -n 1000 "$cli" -h "$host" -p "$port" del >/dev/null 2>&1
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
checks=0

fail() { echo "FAIL redis_cli_check: $*" >&2; exit 1; }
# rc <args...>: redis-cli against the server, bounded in time, stdin closed
rc() { timeout 30 "$cli" -h "$host" -p "$port" "$@" </dev/null; }
# expect WANT DESCRIPTION CMD...: stdout of redis-cli CMD must equal WANT
expect() {
    local want=$1 what=$2 got
    shift 2
    got=$(rc "$@" 2>&1) || fail "$what: redis-cli exited $? (output: $got)"
    [ "$got" = "$want" ] || fail "$what: got [$got], want [$want]"
    checks=$((checks + 1))
}
# expect_has NEEDLE DESCRIPTION CMD...: stdout must contain NEEDLE (a line)
expect_has() {
    local needle=$1 what=$2 got
    shift 2
    got=$(rc "$@" 2>&1) || fail "$what: redis-cli exited $? (output: $got)"
    grep -qxF -- "$needle" <<<"$got" || fail "$what: no line [$needle] in: $(head -c 600 <<<"$got")"
    checks=$((checks + 1))
}

got=$(rc ping 2>&1)
[ "$got" = PONG ] || { echo "redis_cli_check: cannot reach $host:$port: $got" >&2; exit 2; }

# ---- plain commands, raw output (stdout is not a tty)
expect OK        "SET"               set "${P}a" hello
expect hello     "GET"               get "${P}a"
expect ""        "GET missing"       get "${P}missing"
expect 1         "INCR"              incr "${P}ctr"
expect 11        "INCRBY"            incrby "${P}ctr" 10
expect 10.5      "INCRBYFLOAT"       incrbyfloat "${P}f" 10.5
expect OK        "MSET"              mset "${P}m1" x "${P}m2" y
expect $'x\n\ny' "MGET"              mget "${P}m1" "${P}missing" "${P}m2"
expect 2         "EXISTS"            exists "${P}m1" "${P}m2" "${P}missing"
expect OK        "SET EX"            set "${P}e" v ex 100
expect_has 100   "TTL"               ttl "${P}e"
expect "ERR value is not an integer or out of range" "INCR on a string (error text)" incr "${P}a"
got=$(rc nosuchcommandxyz a 2>&1)
case "$got" in ERR*) checks=$((checks + 1)) ;; *) fail "unknown command: got [$got]" ;; esac
expect OK "SET value with a space" set "${P}sp" "hello world"
expect "hello world" "GET value with a space" get "${P}sp"

# ---- formatted output (--no-raw), as a terminal user sees it
expect '"hello"'      "--no-raw GET"         --no-raw get "${P}a"
expect '(nil)'        "--no-raw GET missing" --no-raw get "${P}missing"
expect '(integer) 12' "--no-raw INCR"        --no-raw incr "${P}ctr"
expect $'1) "x"\n2) (nil)' "--no-raw MGET"   --no-raw mget "${P}m1" "${P}missing"
expect $'1) "port"\n2) "'"$port"'"' "--no-raw CONFIG GET (RESP2 array)" --no-raw config get port
got=$(rc --no-raw incr "${P}a" 2>&1)
case "$got" in "(error) ERR"*) checks=$((checks + 1)) ;; *) fail "--no-raw error: got [$got]" ;; esac

# ---- commands from stdin, -r repeat, -x binary-safe last argument
got=$(printf 'set %sin 5\nincr %sin\nget %sin\n' "$P" "$P" "$P" |
      timeout 30 "$cli" -h "$host" -p "$port" 2>&1) || fail "stdin commands: exit $?"
[ "$got" = $'OK\n6\n6' ] || fail "commands from stdin: got [$got]"
checks=$((checks + 1))
got=$(rc -r 5 incr "${P}rep2" | tail -1)
[ "$got" = 5 ] || fail "-r 5 INCR: last reply [$got]"
checks=$((checks + 1))
printf 'bin\000ary\r\n\377end' > "$tmp/bin"
got=$(timeout 30 "$cli" -h "$host" -p "$port" -x set "${P}bin" < "$tmp/bin" 2>&1)
[ "$got" = OK ] || fail "-x SET: got [$got]"
binlen=$(wc -c < "$tmp/bin")
rc --raw get "${P}bin" | head -c "$binlen" > "$tmp/bin.out"   # --raw adds a \n
cmp -s "$tmp/bin" "$tmp/bin.out" || fail "-x binary value did not round-trip: $(od -c "$tmp/bin.out" | head -3)"
expect "$binlen" "STRLEN of -x value" strlen "${P}bin"
checks=$((checks + 2))

# ---- RESP3 (-3): redis-cli sends HELLO 3 and prints RESP3 types
expect OK    "-3 SET" -3 set "${P}r3" v3
expect v3    "-3 GET" -3 get "${P}r3"
expect '(nil)' "-3 GET missing (RESP3 null)" -3 --no-raw get "${P}missing"
expect '(integer) 1' "-3 INCR" -3 --no-raw incr "${P}r3ctr"
expect '1# "port" => "'"$port"'"' "-3 CONFIG GET port is a RESP3 map" -3 --no-raw config get port
expect_has '3# "proto" => (integer) 3' "-3 HELLO 3 map (proto field)" -3 --no-raw hello 3
got=$(rc -3 --no-raw hello 3)
grep -q '^1# "server" => ' <<<"$got" || fail "HELLO 3 map does not start with server: $got"
grep -q '^2# "version" => ' <<<"$got" || fail "HELLO 3 map lacks version second: $got"
checks=$((checks + 2))

# ---- --pipe bulk load of N SET commands in RESP
before=$(rc dbsize) || fail "DBSIZE: exit $?"
case "$before" in ''|*[!0-9]*) fail "DBSIZE before: [$before]" ;; esac
awk -v n="$N" -v p="$P" 'BEGIN {
    for (i = 0; i < n; i++) {
        k = p "bulk:" i; v = "value:" i
        printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, length(v), v
    }
}' > "$tmp/load.resp"
got=$(timeout 60 "$cli" -h "$host" -p "$port" --pipe < "$tmp/load.resp" 2>&1) ||
    fail "--pipe load: exit $? (output: $got)"
grep -qxF "errors: 0, replies: $N" <<<"$got" ||
    fail "--pipe load summary: want [errors: 0, replies: $N], got: $got"
checks=$((checks + 1))
after=$(rc dbsize)
[ "$after" = $((before + N)) ] || fail "DBSIZE after --pipe: $after, want $before + $N"
checks=$((checks + 1))
expect $'value:0\nvalue:4242\nvalue:99999' "GET of bulk-loaded keys" \
    mget "${P}bulk:0" "${P}bulk:4242" "${P}bulk:$((N - 1))"
got=$(timeout 60 "$cli" -h "$host" -p "$port" --scan --pattern "${P}bulk:*" </dev/null |
      sort -u | wc -l)
[ "$got" = "$N" ] || fail "--scan --pattern found $got distinct keys, want $N"
checks=$((checks + 1))

# a --pipe stream with errors in it is reported as such
# shellcheck disable=SC2016  # the $ are RESP length markers
printf '*2\r\n$4\r\nINCR\r\n$%d\r\n%s\r\n*1\r\n$4\r\nPING\r\n' \
    "$(printf '%s' "${P}a" | wc -c)" "${P}a" > "$tmp/err.resp"
got=$(timeout 30 "$cli" -h "$host" -p "$port" --pipe < "$tmp/err.resp" 2>&1)
grep -qxF "errors: 1, replies: 2" <<<"$got" || fail "--pipe with one error: got: $got"
checks=$((checks + 1))

# ---- clean up with --pipe: DEL in batches of 1000 keys
awk -v n="$N" -v p="$P" 'BEGIN {
    for (b = 0; b < n; b += 1000) {
        printf "*%d\r\n$3\r\nDEL\r\n", 1001
        for (i = b; i < b + 1000; i++) { k = p "bulk:" i; printf "$%d\r\n%s\r\n", length(k), k }
    }
}' > "$tmp/del.resp"
got=$(timeout 60 "$cli" -h "$host" -p "$port" --pipe < "$tmp/del.resp" 2>&1)
grep -qxF "errors: 0, replies: $((N / 1000))" <<<"$got" || fail "--pipe DEL: got: $got"
expect "$before" "DBSIZE after the --pipe DEL" dbsize
rc del "${P}a" "${P}ctr" "${P}f" "${P}m1" "${P}m2" "${P}e" "${P}sp" "${P}in" \
    "${P}rep2" "${P}bin" "${P}r3" "${P}r3ctr" >/dev/null
left=$(rc --scan --pattern "${P}*" | wc -l)
[ "$left" = 0 ] || fail "$left keys of this run left after cleanup"
checks=$((checks + 2))

passed=1
echo "redis_cli_check: all $checks checks passed ($("$cli" --version), $host:$port)"
exit 0
