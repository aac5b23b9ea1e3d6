# tests/unit/expire.tcl -- key expiry: EXPIRE, PEXPIRE, EXPIREAT,
# PEXPIREAT with NX|XX|GT|LT, TTL, PTTL, EXPIRETIME, PEXPIRETIME, PERSIST,
# lazy and active expiry, and expired keys being invisible to every
# command. Every test here passes against Debian's redis-server 7.0.15
# (tclsh tests/test_helper.tcl --server /usr/bin/redis-server --single
# unit/expire); shoal must match it.

start_server {tags {expire}} {

    # ---- setting and reading TTLs ----

    test {EXPIRE sets a TTL in seconds, TTL and PTTL read it} {
        r flushall
        r set k v
        assert_equal 1 [r expire k 100]
        assert_range [r ttl k] 99 100
        assert_range [r pttl k] 99000 100000
    }

    test {PEXPIRE sets a TTL in milliseconds} {
        r set k v
        assert_equal 1 [r pexpire k 100500]
        assert_range [r pttl k] 99000 100500
        assert_range [r ttl k] 100 101
    }

    test {EXPIREAT and PEXPIREAT take absolute times} {
        set now [clock milliseconds]
        r set k v
        assert_equal 1 [r expireat k [expr {$now / 1000 + 200}]]
        assert_equal [expr {$now / 1000 + 200}] [r expiretime k]
        assert_equal [expr {($now / 1000 + 200) * 1000}] [r pexpiretime k]
        assert_equal 1 [r pexpireat k [expr {$now + 300123}]]
        assert_equal [expr {$now + 300123}] [r pexpiretime k]
        assert_equal [expr {($now + 300123 + 500) / 1000}] [r expiretime k]
        assert_range [r ttl k] 299 301
    }

    test {TTL family: -2 for a missing key, -1 without TTL} {
        r del nokey
        r set plain v
        foreach cmd {ttl pttl expiretime pexpiretime} {
            assert_equal -2 [r $cmd nokey]
            assert_equal -1 [r $cmd plain]
        }
    }

    test {EXPIRE on a missing key is 0 and creates nothing} {
        r del nokey
        foreach cmd {expire pexpire expireat pexpireat} {
            assert_equal 0 [r $cmd nokey 100]
            assert_equal 0 [r $cmd nokey -100]
        }
        assert_equal 0 [r exists nokey]
    }

    test {A TTL or time in the past deletes the key and returns 1} {
        foreach {cmd arg} {expire -1 pexpire -1 expire 0 pexpire 0 expireat 1 pexpireat 1
                           expireat 0 pexpireat -5} {
            r set k v
            assert_equal 1 [r $cmd k $arg] "$cmd k $arg"
            assert_equal 0 [r exists k] "$cmd k $arg"
        }
    }

    test {EXPIRE replaces a TTL, SET without KEEPTTL removes it} {
        r set k v ex 100
        r expire k 200
        assert_range [r ttl k] 199 200
        r set k v2
        assert_equal -1 [r ttl k]
    }

    # ---- NX, XX, GT, LT ----

    test {EXPIRE NX sets only when there is no TTL} {
        r set k v
        assert_equal 1 [r expire k 100 nx]
        assert_equal 0 [r expire k 200 NX]
        assert_range [r ttl k] 99 100
    }

    test {EXPIRE XX sets only when there is a TTL} {
        r set k v
        assert_equal 0 [r expire k 100 xx]
        assert_equal -1 [r ttl k]
        r expire k 100
        assert_equal 1 [r expire k 200 xx]
        assert_range [r ttl k] 199 200
    }

    test {EXPIRE GT sets only a later time; no TTL counts as infinite} {
        r set k v
        assert_equal 0 [r expire k 100 gt]
        assert_equal -1 [r ttl k]
        r expire k 100
        assert_equal 0 [r expire k 50 gt]
        assert_equal 0 [r expire k 99 gt]
        assert_equal 1 [r expire k 200 gt]
        assert_range [r ttl k] 199 200
    }

    test {EXPIRE LT sets only an earlier time; no TTL counts as infinite} {
        r set k v
        assert_equal 1 [r expire k 100 lt]
        assert_equal 0 [r expire k 200 lt]
        assert_equal 1 [r expire k 50 lt]
        assert_range [r ttl k] 49 50
    }

    test {EXPIRE XX GT and XX LT combine} {
        r set k v
        assert_equal 0 [r expire k 100 xx gt]
        r expire k 100
        assert_equal 1 [r expire k 200 xx gt]
        assert_equal 1 [r expire k 150 lt xx]
        assert_range [r ttl k] 149 150
    }

    test {EXPIRE LT with a past time deletes the key} {
        r set k v ex 100
        assert_equal 1 [r expire k -1 lt]
        assert_equal 0 [r exists k]
        r set k v ex 100
        assert_equal 0 [r expire k -1 gt]
        assert_equal 1 [r exists k]
    }

    test {EXPIRE option errors} {
        r set k v
        assert_error {ERR NX and XX, GT or LT options at the same time are not compatible} {r expire k 10 nx xx}
        assert_error {ERR NX and XX, GT or LT options at the same time are not compatible} {r expire k 10 nx gt}
        assert_error {ERR NX and XX, GT or LT options at the same time are not compatible} {r pexpire k 10 lt nx}
        assert_error {ERR GT and LT options at the same time are not compatible} {r expireat k 10 gt lt}
        assert_error {ERR Unsupported option foo} {r expire k 10 foo}
        assert_error {ERR Unsupported option foo} {r expire k abc foo}
        assert_equal 1 [r expire k 10 nx nx]
    }

    # ---- bad times ----

    test {EXPIRE time must be an integer} {
        r set k v
        foreach cmd {expire pexpire expireat pexpireat} {
            assert_error {ERR value is not an integer or out of range} {r $cmd k abc}
            assert_error {ERR value is not an integer or out of range} {r $cmd k 1.5}
            assert_error {ERR value is not an integer or out of range} {r $cmd k " 1"}
            assert_error {ERR value is not an integer or out of range} {r $cmd nokey 9223372036854775808}
        }
        assert_equal -1 [r ttl k]
    }

    test {EXPIRE overflow is an invalid expire time, named after the command} {
        r set k v
        assert_error {ERR invalid expire time in 'expire' command} {r expire k 9223372036854775807}
        assert_error {ERR invalid expire time in 'expire' command} {r expire k 9223372036854776}
        assert_error {ERR invalid expire time in 'expire' command} {r expire k -9223372036854776}
        assert_error {ERR invalid expire time in 'pexpire' command} {r pexpire k 9223372036854775807}
        assert_error {ERR invalid expire time in 'expireat' command} {r expireat k 9223372036854775807}
        assert_error {ERR invalid expire time in 'expire' command} {r expire nokey 9223372036854775807}
        assert_equal -1 [r ttl k]
    }

    test {PEXPIREAT accepts the largest time} {
        r set k v
        assert_equal 1 [r pexpireat k 9223372036854775807]
        assert_equal 9223372036854775807 [r pexpiretime k]
        assert_equal 1 [r pexpire k -9223372036854775808]
        assert_equal 0 [r exists k]
    }

    # ---- PERSIST ----

    test {PERSIST removes a TTL} {
        r set k v ex 100
        assert_equal 1 [r persist k]
        assert_equal -1 [r ttl k]
        assert_equal 0 [r persist k]
        assert_equal 0 [r persist nokey]
        assert_equal v [r get k]
    }

    # ---- keys going away ----

    test {A key expires and is gone for every command} {
        r flushall
        r set k v px 100
        r set keep v
        assert_equal 1 [r exists k]
        after 200
        assert_equal {} [r get k]
        assert_equal 0 [r exists k]
        assert_equal none [r type k]
        assert_equal -2 [r ttl k]
        assert_equal -2 [r pttl k]
        assert_equal -2 [r expiretime k]
        assert_equal 0 [r persist k]
        assert_equal 0 [r expire k 100]
        assert_equal 0 [r touch k]
        assert_equal 0 [r del k]
        assert_equal {} [r object encoding k]
        assert_equal 0 [r move k 1]
        assert_error {ERR no such key} {r rename k k2}
    }

    test {Expired keys are never listed by KEYS, SCAN or RANDOMKEY} {
        r flushall
        for {set i 0} {$i < 50} {incr i} { r set gone:$i v px 50 }
        r set alive v
        after 100
        assert_equal {alive} [r keys *]
        set cursor 0
        set keys {}
        while 1 {
            lassign [r scan $cursor] cursor batch
            lappend keys {*}$batch
            if {$cursor eq "0"} break
        }
        assert_equal {alive} [lsort -unique $keys]
        for {set i 0} {$i < 20} {incr i} { assert_equal alive [r randomkey] }
    }

    test {Expired keys are removed without being accessed} {
        r flushall
        for {set i 0} {$i < 100} {incr i} { r set k:$i v px 1000 }
        assert_equal 100 [r dbsize]
        wait_for_condition 200 50 {[r dbsize] == 0} else {
            fail "keys not expired actively: dbsize [r dbsize]"
        }
    }

    test {TTL rounds to the nearest second, PTTL never goes negative} {
        r set k v px 1200
        assert_equal 1 [r ttl k]
        r set k v px 1800
        assert_equal 2 [r ttl k]
        r set k v px 10000
        assert_range [r pttl k] 9000 10000
    }

    test {TTL moves with RENAME and MOVE} {
        r flushall
        r set k v px 50000
        r rename k k2
        assert_range [r pttl k2] 40000 50000
        r move k2 1
        r select 1
        assert_range [r pttl k2] 40000 50000
        r flushdb
        r select 0
    }

    test {A key renamed onto an expired key gets its own TTL} {
        r set src v
        r set dst old px 50
        after 100
        assert_equal OK [r rename src dst]
        assert_equal v [r get dst]
        assert_equal -1 [r ttl dst]
    }

    test {EXPIRE with a huge relative time keeps the key} {
        r set k v
        assert_equal 1 [r expire k 9223372036854]
        assert_equal 1 [r exists k]
        assert_range [r ttl k] 9223370000000 9223372036854
    }
}
