#!/usr/bin/python3
"""redis_py_check.py -- drives a server with the real redis-py client.

    /usr/bin/python3 tests/clients/redis_py_check.py --host 127.0.0.1 --port N

Exit 0 if every check passes; 1 with a "FAIL ..." line per failed check;
2 if the server cannot be reached or redis-py is missing. Whole run is
bounded by --deadline seconds (default 60). Every key it writes starts with a
per-run prefix and is deleted at the end; it never flushes the database.

Covers: SET/GET and every SET option (EX PX EXAT PXAT NX XX GET KEEPTTL),
GETEX, GETDEL, MGET/MSET/MSETNX, the INCR family, binary values, pipelines
with transaction=False and transaction=True (MULTI/EXEC, including an
EXEC-time error), WATCH optimistic transactions (r.transaction) with a
conflicting write from a second connection forcing a retry, a WatchError
from pipe.execute(), one ConnectionPool shared by several threads, RESP3
when this redis-py supports protocol=3 (redis-py >= 5; otherwise a raw
HELLO 3 exchange instead), SCAN via scan_iter, CLIENT SETNAME/GETNAME/LIST,
INFO parsing and CONFIG GET.
"""

import argparse
import os
import signal
import socket
import sys
import threading
import time
import traceback

try:
    import redis
except ImportError:
    print("redis_py_check: redis-py is not importable by %s "
          "(use /usr/bin/python3 with Debian's python3-redis)" % sys.executable,
          file=sys.stderr)
    sys.exit(2)

ap = argparse.ArgumentParser()
ap.add_argument("--host", default="127.0.0.1")
ap.add_argument("--port", type=int, required=True)
ap.add_argument("--deadline", type=int, default=60,
                help="abort the whole run after this many seconds")
ap.add_argument("-v", "--verbose", action="store_true")
args = ap.parse_args()


def on_alarm(_signum, _frame):
    print("FAIL redis_py_check: did not finish within %d s" % args.deadline,
          file=sys.stderr)
    os._exit(1)


signal.signal(signal.SIGALRM, on_alarm)
signal.alarm(args.deadline)

P = "pycheck:%d:%d:" % (os.getpid(), int(time.time()))   # key prefix
KW = dict(host=args.host, port=args.port, socket_timeout=10,
          socket_connect_timeout=5)
r = redis.Redis(decode_responses=True, **KW)
rb = redis.Redis(**KW)                                    # bytes replies

try:
    r.ping()
except redis.RedisError as e:
    print("redis_py_check: cannot reach %s:%d: %s" % (args.host, args.port, e),
          file=sys.stderr)
    sys.exit(2)

failures = []


class CheckFailed(Exception):
    pass


def eq(got, want, what):
    if got != want:
        raise CheckFailed("%s: got %r, want %r" % (what, got, want))


def ok(cond, what):
    if not cond:
        raise CheckFailed(what)


def raises(exc, fn, what):
    try:
        res = fn()
    except exc as e:
        return e
    raise CheckFailed("%s: expected %s, got result %r" % (what, exc.__name__, res))


def check(fn):
    name = fn.__name__
    t0 = time.time()
    try:
        fn()
    except CheckFailed as e:
        failures.append(name)
        print("FAIL %s: %s" % (name, e))
    except Exception as e:           # client/server error where none expected
        failures.append(name)
        print("FAIL %s: unexpected %s: %s" % (name, type(e).__name__, e))
        if args.verbose:
            traceback.print_exc()
    else:
        print("ok   %s (%.2fs)" % (name, time.time() - t0))
    return fn


def ver():
    return tuple(int(x) for x in redis.__version__.split(".")[:2]
                 if x.isdigit())


# ------------------------------------------- raw RESP reader (for RESP3)

class Map(dict):
    pass


class Simple(bytes):
    pass


class Error(bytes):
    pass


class Null(object):
    def __eq__(self, other):
        return isinstance(other, Null)

    def __repr__(self):
        return "Null()"


def read_resp(f):
    """Reads one RESP2/RESP3 reply. $-1 / *-1 -> None, '_' -> Null()."""
    line = f.readline()
    if not line.endswith(b"\r\n"):
        raise CheckFailed("connection closed or bad line: %r" % line)
    t, rest = line[:1], line[1:-2]
    if t == b"+":
        return Simple(rest)
    if t == b"-":
        return Error(rest)
    if t == b":":
        return int(rest)
    if t == b"_":
        return Null()
    if t == b"#":
        return rest == b"t"
    if t == b",":
        return float(rest)
    if t == b"(":
        return int(rest)
    if t in (b"$", b"=", b"!"):
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)
        return data[:-2]
    if t in (b"*", b"~", b">"):
        n = int(rest)
        return None if n < 0 else [read_resp(f) for _ in range(n)]
    if t == b"%" or t == b"|":
        n = int(rest)
        m = Map()
        for _ in range(n):
            k = read_resp(f)
            m[k] = read_resp(f)
        if t == b"|":                 # attribute: the real reply follows
            return read_resp(f)
        return m
    raise CheckFailed("unknown RESP type byte %r in %r" % (t, line))


# ------------------------------------------------------------------ strings

@check
def set_get():
    eq(r.set(P + "a", "hello"), True, "SET")
    eq(r.get(P + "a"), "hello", "GET")
    eq(r.get(P + "missing"), None, "GET missing")
    eq(r.set(P + "a", "world"), True, "SET overwrite")
    eq(r.get(P + "a"), "world", "GET after overwrite")
    eq(r.set(P + "empty", ""), True, "SET empty")
    eq(r.get(P + "empty"), "", "GET empty value")
    eq(r.set(P + "uni", "h\u00e9llo \u2603"), True, "SET unicode")
    eq(r.get(P + "uni"), "h\u00e9llo \u2603", "GET unicode")
    big = "x" * (512 * 1024)
    eq(r.set(P + "big", big), True, "SET 512KiB")
    eq(r.get(P + "big"), big, "GET 512KiB")
    eq(r.strlen(P + "big"), len(big), "STRLEN")
    eq(r.exists(P + "a", P + "missing", P + "empty"), 2, "EXISTS")
    eq(r.delete(P + "a", P + "missing"), 1, "DEL")
    eq(r.get(P + "a"), None, "GET after DEL")


@check
def binary_values():
    val = bytes(range(256)) * 4 + b"\r\n\x00end"
    key = (P + "bin\x00\r\n").encode() + b"\xff\xfe"
    eq(rb.set(key, val), True, "SET binary key/value")
    eq(rb.get(key), val, "GET binary value")
    eq(rb.strlen(key), len(val), "STRLEN binary")
    eq(rb.delete(key), 1, "DEL binary key")


@check
def set_expiry_options():
    k = P + "exp"
    eq(r.set(k, "v", ex=100), True, "SET EX")
    t = r.ttl(k)
    ok(98 <= t <= 100, "TTL after SET EX 100: %r" % t)
    eq(r.set(k, "v", px=50000), True, "SET PX")
    t = r.pttl(k)
    ok(48000 <= t <= 50000, "PTTL after SET PX 50000: %r" % t)
    eq(r.set(k, "v", exat=int(time.time()) + 200), True, "SET EXAT")
    t = r.ttl(k)
    ok(197 <= t <= 200, "TTL after SET EXAT now+200: %r" % t)
    eq(r.set(k, "v", pxat=int(time.time() * 1000) + 300000), True, "SET PXAT")
    t = r.pttl(k)
    ok(297000 <= t <= 300000, "PTTL after SET PXAT now+300s: %r" % t)
    # a plain SET clears the TTL, KEEPTTL keeps it
    r.set(k, "v1", ex=100)
    eq(r.set(k, "v2", keepttl=True), True, "SET KEEPTTL")
    eq(r.get(k), "v2", "GET after KEEPTTL")
    t = r.ttl(k)
    ok(98 <= t <= 100, "TTL after SET KEEPTTL: %r" % t)
    eq(r.set(k, "v3"), True, "plain SET")
    eq(r.ttl(k), -1, "TTL after plain SET (cleared)")
    eq(r.ttl(P + "nokey"), -2, "TTL of missing key")
    # the key really expires
    eq(r.set(k, "gone", px=100), True, "SET PX 100")
    time.sleep(0.3)
    eq(r.get(k), None, "GET 300 ms after SET PX 100")
    eq(r.exists(k), 0, "EXISTS after expiry")
    # an EXAT in the past deletes / makes the key invisible at once
    r.set(k, "v", exat=int(time.time()) - 10)
    eq(r.get(k), None, "GET after SET EXAT in the past")


@check
def set_nx_xx_get():
    k = P + "nx"
    eq(r.set(k, "1", nx=True), True, "SET NX on missing")
    eq(r.set(k, "2", nx=True), None, "SET NX on existing")
    eq(r.get(k), "1", "value after refused NX")
    eq(r.set(k, "3", xx=True), True, "SET XX on existing")
    eq(r.get(k), "3", "value after XX")
    eq(r.set(P + "xxmiss", "1", xx=True), None, "SET XX on missing")
    eq(r.exists(P + "xxmiss"), 0, "SET XX on missing created the key")
    eq(r.set(k, "4", get=True), "3", "SET GET returns old value")
    eq(r.get(k), "4", "value after SET GET")
    eq(r.set(P + "getmiss", "x", get=True), None, "SET GET on missing")
    eq(r.get(P + "getmiss"), "x", "SET GET on missing stored")
    eq(r.set(k, "5", xx=True, get=True), "4", "SET XX GET")
    eq(r.set(k, "6", ex=100, get=True), "5", "SET EX GET")
    ok(98 <= r.ttl(k) <= 100, "TTL after SET EX GET")
    # syntax errors are reported as errors
    raises(redis.ResponseError,
           lambda: r.execute_command("SET", k, "v", "NX", "XX"), "SET NX XX")
    raises(redis.ResponseError,
           lambda: r.execute_command("SET", k, "v", "EX", "0"), "SET EX 0")
    raises(redis.ResponseError,
           lambda: r.execute_command("SET", k, "v", "EX", "abc"), "SET EX abc")
    # SET GET against a non-string is WRONGTYPE only if the server has other
    # types; not checked here.


@check
def getex_getdel():
    k = P + "gx"
    r.set(k, "v")
    eq(r.getex(k), "v", "GETEX no option")
    eq(r.ttl(k), -1, "TTL after plain GETEX")
    eq(r.getex(k, ex=100), "v", "GETEX EX")
    ok(98 <= r.ttl(k) <= 100, "TTL after GETEX EX 100")
    eq(r.getex(k, px=50000), "v", "GETEX PX")
    ok(48000 <= r.pttl(k) <= 50000, "PTTL after GETEX PX 50000")
    eq(r.getex(k, exat=int(time.time()) + 200), "v", "GETEX EXAT")
    ok(197 <= r.ttl(k) <= 200, "TTL after GETEX EXAT")
    eq(r.getex(k, pxat=int(time.time() * 1000) + 300000), "v", "GETEX PXAT")
    ok(297000 <= r.pttl(k) <= 300000, "PTTL after GETEX PXAT")
    eq(r.getex(k, persist=True), "v", "GETEX PERSIST")
    eq(r.ttl(k), -1, "TTL after GETEX PERSIST")
    eq(r.getex(P + "gxmissing", ex=10), None, "GETEX missing")
    eq(r.getdel(k), "v", "GETDEL")
    eq(r.exists(k), 0, "key exists after GETDEL")
    eq(r.getdel(k), None, "GETDEL missing")


@check
def mget_mset():
    m = {P + "m%d" % i: "v%d" % i for i in range(20)}
    eq(r.mset(m), True, "MSET")
    keys = list(m) + [P + "mmissing"]
    eq(r.mget(keys), list(m.values()) + [None], "MGET")
    eq(r.msetnx({P + "m0": "x", P + "mnew": "y"}), False, "MSETNX with existing")
    eq(r.get(P + "mnew"), None, "MSETNX failure must set nothing")
    eq(r.msetnx({P + "mnew": "y", P + "mnew2": "z"}), True, "MSETNX all new")
    eq(r.mget(P + "mnew", P + "mnew2"), ["y", "z"], "MGET after MSETNX")


@check
def incr_family():
    k = P + "ctr"
    eq(r.incr(k), 1, "INCR missing")
    eq(r.incr(k), 2, "INCR")
    eq(r.incrby(k, 40), 42, "INCRBY")
    eq(r.decr(k), 41, "DECR")
    eq(r.decrby(k, 50), -9, "DECRBY")
    eq(r.incrby(k, -1), -10, "INCRBY negative")
    eq(r.get(k), "-10", "GET counter")
    eq(r.incrbyfloat(P + "f", 10.5), 10.5, "INCRBYFLOAT missing")
    eq(r.incrbyfloat(P + "f", 0.1), 10.6, "INCRBYFLOAT")
    eq(r.incrbyfloat(P + "f", -5), 5.6, "INCRBYFLOAT negative")
    eq(r.get(P + "f"), "5.6", "GET float counter")
    r.set(k, "9223372036854775806")
    eq(r.incr(k), 9223372036854775807, "INCR to LLONG_MAX")
    raises(redis.ResponseError, lambda: r.incr(k), "INCR overflow")
    r.set(k, "abc")
    raises(redis.ResponseError, lambda: r.incr(k), "INCR on non-integer")
    raises(redis.ResponseError, lambda: r.incrbyfloat(k, 1), "INCRBYFLOAT on non-float")
    r.set(k, " 1")
    raises(redis.ResponseError, lambda: r.incr(k), "INCR on ' 1'")


# ---------------------------------------------------------------- pipelines

@check
def pipeline_no_transaction():
    p = r.pipeline(transaction=False)
    p.set(P + "p1", "a").get(P + "p1").incr(P + "p2").incr(P + "p2")
    p.mget(P + "p1", P + "p2", P + "pmissing").delete(P + "p1")
    eq(p.execute(), [True, "a", 1, 2, ["a", "2", None], 1], "pipeline results")
    # 1000 commands in one pipeline
    p = r.pipeline(transaction=False)
    for i in range(500):
        p.set(P + "pp%d" % i, i)
        p.get(P + "pp%d" % i)
    res = p.execute()
    eq(len(res), 1000, "1000-command pipeline reply count")
    eq(res[0::2], [True] * 500, "pipelined SET replies")
    eq(res[1::2], [str(i) for i in range(500)], "pipelined GET replies")
    # an error in the middle does not disturb the other replies
    r.set(P + "pstr", "abc")
    p = r.pipeline(transaction=False)
    p.set(P + "pe", "1").incr(P + "pstr").get(P + "pe")
    res = p.execute(raise_on_error=False)
    eq(res[0], True, "pipeline reply before error")
    ok(isinstance(res[1], redis.ResponseError), "pipeline error reply: %r" % res[1])
    eq(res[2], "1", "pipeline reply after error")
    r.delete(*[P + "pp%d" % i for i in range(500)])


@check
def pipeline_transaction():
    p = r.pipeline()                     # transaction=True: MULTI ... EXEC
    p.set(P + "t1", "a").incr(P + "t2").incr(P + "t2").get(P + "t1")
    eq(p.execute(), [True, 1, 2, "a"], "MULTI/EXEC results")
    # raw MULTI/EXEC through execute_command on one dedicated connection
    with r.pipeline(transaction=True) as p:
        p.get(P + "t2")
        eq(p.execute(), ["2"], "single-command transaction")
    # an EXEC-time error affects only its own command (no rollback)
    r.set(P + "tstr", "abc")
    p = r.pipeline()
    p.set(P + "t3", "x").incr(P + "tstr").set(P + "t4", "y")
    res = p.execute(raise_on_error=False)
    eq(res[0], True, "EXEC reply 1")
    ok(isinstance(res[1], redis.ResponseError), "EXEC error reply: %r" % res[1])
    eq(res[2], True, "EXEC reply 3")
    eq(r.mget(P + "t3", P + "t4"), ["x", "y"], "writes around the EXEC error")
    p = r.pipeline()
    p.incr(P + "tstr")
    raises(redis.ResponseError, p.execute, "execute() raises on EXEC error")
    # a queue-time error (unknown command) aborts the whole transaction
    p = r.pipeline()
    p.set(P + "t5", "x").execute_command("NOSUCHCOMMANDXYZ", "a")
    raises(redis.ResponseError, p.execute, "EXECABORT after queue-time error")
    eq(r.exists(P + "t5"), 0, "write of an aborted transaction visible")
    # connection still healthy for the next transaction
    p = r.pipeline()
    p.set(P + "t6", "ok").get(P + "t6")
    eq(p.execute(), [True, "ok"], "transaction after EXECABORT")


@check
def watch_transaction_retry():
    k = P + "w"
    r.set(k, "10")
    other = redis.Redis(decode_responses=True, **KW)   # second connection
    calls = []

    def fn(pipe):
        v = int(pipe.get(k))          # immediate mode, after WATCH k
        calls.append(v)
        if len(calls) == 1:           # conflicting write, first attempt only
            eq(other.set(k, "100"), True, "conflicting SET")
        pipe.multi()
        pipe.set(k, v + 1)
        pipe.get(k)

    res = r.transaction(fn, k)
    eq(calls, [10, 100], "transaction function calls (first must retry)")
    eq(res, [True, "101"], "transaction result")
    eq(r.get(k), "101", "value after retried transaction")
    # value_from_callable
    val = r.transaction(lambda pipe: int(pipe.get(k)) * 2, k,
                        value_from_callable=True)
    eq(val, 202, "value_from_callable")
    # explicit WATCH, conflict, EXEC -> WatchError
    with r.pipeline() as pipe:
        pipe.watch(k)
        eq(pipe.get(k), "101", "GET after WATCH")
        other.incr(k)
        pipe.multi()
        pipe.set(k, "lost")
        raises(redis.WatchError, pipe.execute, "EXEC after conflicting write")
    eq(r.get(k), "102", "aborted transaction must not write")
    # WATCH without conflict succeeds; UNWATCH discards the watch
    with r.pipeline() as pipe:
        pipe.watch(k)
        pipe.multi()
        pipe.set(k, "won")
        eq(pipe.execute(), [True], "EXEC without conflict")
    with r.pipeline() as pipe:
        pipe.watch(k)
        pipe.unwatch()
        other.set(k, "changed")
        pipe.multi()
        pipe.set(k, "after-unwatch")
        eq(pipe.execute(), [True], "EXEC after UNWATCH")
    eq(r.get(k), "after-unwatch", "value after UNWATCH transaction")
    # WATCH on a key that expires / is deleted by another client
    with r.pipeline() as pipe:
        pipe.watch(k)
        other.delete(k)
        pipe.multi()
        pipe.set(k, "x")
        raises(redis.WatchError, pipe.execute, "EXEC after DEL of watched key")
    other.close()


@check
def connection_pool_threads():
    pool = redis.ConnectionPool(max_connections=16, decode_responses=True, **KW)
    nthreads, per = 8, 200
    ctr = P + "poolctr"
    errors = []
    barrier = threading.Barrier(nthreads)

    def worker(tid):
        try:
            c = redis.Redis(connection_pool=pool)
            barrier.wait(timeout=10)
            for i in range(per):
                c.incr(ctr)
                key = P + "pool:%d:%d" % (tid, i % 10)
                c.set(key, "%d-%d" % (tid, i))
                got = c.get(key)
                if got != "%d-%d" % (tid, i):
                    errors.append("thread %d: GET %s = %r" % (tid, key, got))
                    return
            with c.pipeline() as p:   # a transaction per thread too
                p.incr(ctr).get(ctr)
                a, b = p.execute()
                if str(a) != b:
                    errors.append("thread %d: MULTI INCR %r then GET %r" % (tid, a, b))
        except Exception as e:            # reported below
            errors.append("thread %d: %s: %s" % (tid, type(e).__name__, e))

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(nthreads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    ok(not any(t.is_alive() for t in threads), "pool threads did not finish in 30 s")
    ok(not errors, "; ".join(errors[:5]))
    eq(r.get(ctr), str(nthreads * (per + 1)), "shared counter")
    created = getattr(pool, "_created_connections", None)
    if created is not None:
        ok(2 <= created <= 16, "pool created %r connections" % created)
    pool.disconnect()


# -------------------------------------------------------------------- RESP3

@check
def resp3():
    if ver() >= (5, 0):
        r3 = redis.Redis(protocol=3, decode_responses=True, **KW)
        eq(r3.set(P + "r3", "v"), True, "RESP3 SET")
        eq(r3.get(P + "r3"), "v", "RESP3 GET")
        eq(r3.get(P + "r3missing"), None, "RESP3 GET missing (null)")
        eq(r3.incr(P + "r3c"), 1, "RESP3 INCR")
        eq(r3.mget(P + "r3", P + "r3missing"), ["v", None], "RESP3 MGET")
        p = r3.pipeline()
        p.set(P + "r3", "w").get(P + "r3")
        eq(p.execute(), [True, "w"], "RESP3 MULTI/EXEC")
        cfg = r3.config_get("port")
        eq(cfg.get("port"), str(args.port), "RESP3 CONFIG GET port")
        ok(isinstance(r3.info(), dict), "RESP3 INFO")
        r3.close()
        return
    # redis-py < 5 (Debian bookworm ships 4.3.4) cannot speak RESP3; check
    # the HELLO 3 handshake and RESP3 reply types with a raw socket instead.
    print("     (redis-py %s has no protocol=3; raw-socket RESP3 check instead)"
          % redis.__version__)
    with socket.create_connection((args.host, args.port), timeout=10) as s:
        f = s.makefile("rb")

        def cmd(*argv):
            out = b"*%d\r\n" % len(argv)
            for a in argv:
                a = a if isinstance(a, bytes) else str(a).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
            s.sendall(out)
            return read_resp(f)

        hello = cmd("HELLO", "3")
        ok(isinstance(hello, Map), "HELLO 3 reply is not a RESP3 map: %r" % (hello,))
        eq(hello.get(b"proto"), 3, "HELLO 3 proto field")
        ok(b"server" in hello and b"version" in hello,
           "HELLO 3 map lacks server/version: %r" % (hello,))
        eq(cmd("SET", P + "r3", "v"), Simple(b"OK"), "RESP3 SET")
        eq(cmd("GET", P + "r3"), b"v", "RESP3 GET")
        eq(cmd("GET", P + "r3missing"), Null(), "RESP3 GET missing is '_' null")
        eq(cmd("INCR", P + "r3c"), 1, "RESP3 INCR")
        eq(cmd("MGET", P + "r3", P + "r3missing"), [b"v", Null()], "RESP3 MGET")
        cfg = cmd("CONFIG", "GET", "port")
        ok(isinstance(cfg, Map), "RESP3 CONFIG GET is not a map: %r" % (cfg,))
        eq(dict(cfg), {b"port": str(args.port).encode()}, "RESP3 CONFIG GET port")
        err = cmd("INCR", P + "r3")
        ok(isinstance(err, Error), "RESP3 INCR on string: %r" % (err,))
        hello2 = cmd("HELLO", "2")
        ok(isinstance(hello2, list), "HELLO 2 reply is not an array: %r" % (hello2,))
        eq(cmd("GET", P + "r3missing"), None, "GET missing after HELLO 2 is $-1")


# ----------------------------------------------------- keyspace / admin

@check
def scan_iter():
    keys = {P + "scan:%d" % i for i in range(500)}
    with r.pipeline(transaction=False) as p:
        for k in keys:
            p.set(k, "1")
        p.execute()
    got = set(r.scan_iter(match=P + "scan:*", count=50))
    eq(len(got), 500, "scan_iter match count")
    ok(got == keys, "scan_iter returned other keys: %r" % list(got ^ keys)[:5])
    got = list(r.scan_iter(match=P + "scan:1*", count=1000))
    want = {k for k in keys if k.startswith(P + "scan:1")}
    eq(set(got), want, "scan_iter match scan:1*")
    # raw SCAN: cursor is a string of digits, final cursor 0
    cursor, batch = r.scan(0, match=P + "scan:*", count=10)
    ok(isinstance(cursor, int) and isinstance(batch, list), "SCAN reply shape")
    n = 0
    while cursor != 0 and n < 10000:
        cursor, batch = r.scan(cursor, match=P + "scan:*", count=10)
        n += 1
    eq(cursor, 0, "SCAN reached cursor 0")
    r.delete(*keys)


@check
def client_name():
    c = redis.Redis(decode_responses=True, **KW)
    eq(c.client_getname(), None, "CLIENT GETNAME before SETNAME")
    eq(c.client_setname("shoal-pycheck"), True, "CLIENT SETNAME")
    eq(c.client_getname(), "shoal-pycheck", "CLIENT GETNAME")
    names = [e.get("name") for e in c.client_list()]
    ok("shoal-pycheck" in names, "CLIENT LIST lacks the name: %r" % names)
    me = c.client_id()
    ok(isinstance(me, int) and me > 0, "CLIENT ID: %r" % me)
    raises(redis.ResponseError, lambda: c.client_setname("has space"),
           "CLIENT SETNAME with a space")
    # client_name= on the constructor sends CLIENT SETNAME on connect
    c2 = redis.Redis(decode_responses=True, client_name="shoal-pycheck-2", **KW)
    eq(c2.client_getname(), "shoal-pycheck-2", "client_name= constructor option")
    c.close()
    c2.close()


@check
def info_parse():
    info = r.info()
    ok(isinstance(info, dict) and info, "INFO did not parse to a dict")
    for field in ("redis_version", "connected_clients", "used_memory",
                  "uptime_in_seconds"):
        ok(field in info, "INFO lacks %s (has %s...)" % (field, sorted(info)[:15]))
    ok(isinstance(info["connected_clients"], int) and info["connected_clients"] >= 1,
       "INFO connected_clients: %r" % info["connected_clients"])
    ok(isinstance(info["used_memory"], int) and info["used_memory"] > 0,
       "INFO used_memory: %r" % info["used_memory"])
    r.set(P + "info", "1")
    ks = r.info("keyspace")
    ok("db0" in ks, "INFO keyspace lacks db0: %r" % ks)
    ok(isinstance(ks["db0"], dict) and ks["db0"].get("keys", 0) >= 1,
       "INFO keyspace db0: %r" % ks["db0"])
    eq(ks["db0"]["keys"], r.dbsize(), "INFO keyspace keys vs DBSIZE")
    srv = r.info("server")
    eq(int(srv.get("tcp_port", -1)), args.port, "INFO server tcp_port")
    ok("keyspace_hits" in r.info("stats"), "INFO stats lacks keyspace_hits")


@check
def config_get():
    eq(r.config_get("port"), {"port": str(args.port)}, "CONFIG GET port")
    mm = r.config_get("maxmemory")
    ok(mm.get("maxmemory", "").isdigit(), "CONFIG GET maxmemory: %r" % mm)
    many = r.config_get("*max*")
    ok("maxmemory" in many and "maxclients" in many,
       "CONFIG GET *max* lacks maxmemory/maxclients: %r" % sorted(many))
    eq(r.config_get("no-such-directive-xyz"), {}, "CONFIG GET unknown")


# ------------------------------------------------------------------ cleanup

def cleanup():
    keys = list(r.scan_iter(match=P + "*", count=1000))
    keys += [k for k in rb.scan_iter(match=P.encode() + b"*", count=1000)]
    if keys:
        rb.delete(*keys)


try:
    cleanup()
except redis.RedisError as e:
    print("warning: cleanup failed: %s" % e)

if failures:
    print("redis_py_check: %d check(s) FAILED: %s (redis-py %s, %s:%d)"
          % (len(failures), ", ".join(failures), redis.__version__,
             args.host, args.port))
    sys.exit(1)
print("redis_py_check: all checks passed (redis-py %s, %s:%d)"
      % (redis.__version__, args.host, args.port))
sys.exit(0)
