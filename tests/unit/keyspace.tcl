# tests/unit/keyspace.tcl -- the generic key commands: DEL, UNLINK,
# EXISTS, TOUCH, TYPE, RENAME, RENAMENX, KEYS, SCAN, RANDOMKEY, DBSIZE,
# FLUSHDB, FLUSHALL, SELECT, SWAPDB, MOVE, OBJECT and MEMORY USAGE, with
# Redis 7.0's replies and error texts. Every test here passes against
# Debian's redis-server 7.0.15 (tclsh tests/test_helper.tcl --server
# /usr/bin/redis-server --single unit/keyspace); shoal must match it.
# Expiry is in unit/expire, transactions in unit/multi.

# The keys of the selected db, by a full SCAN (each key once).
proc scan_all {{c r} args} {
    set cursor 0
    set keys {}
    while 1 {
        lassign [$c scan $cursor {*}$args] cursor batch
        lappend keys {*}$batch
        if {$cursor eq "0"} break
    }
    return [lsort -unique $keys]
}

# Sets keys prefix0..prefix(n-1) to their index.
proc populate {n {prefix key:}} {
    set args {}
    for {set i 0} {$i < $n} {incr i} { lappend args $prefix$i $i }
    r mset {*}$args
}

start_server {tags {keyspace}} {

    # ---- DEL, UNLINK, EXISTS, TOUCH, TYPE ----

    test {DEL counts the keys it removed, a repeated key once} {
        r flushall
        r set a 1
        r set b 2
        assert_equal 2 [r del a b nokey]
        assert_equal 0 [r del a]
        r set a 1
        assert_equal 1 [r del a a a]
        assert_equal 0 [r exists a]
    }

    test {UNLINK removes keys like DEL} {
        r mset x 1 y 2
        assert_equal 2 [r unlink x y z]
        assert_equal 0 [r exists x y]
    }

    test {EXISTS counts every argument, repeats included} {
        r flushall
        r set a 1
        r set b ""
        assert_equal 1 [r exists a]
        assert_equal 0 [r exists nokey]
        assert_equal 4 [r exists a a b a nokey]
    }

    test {TOUCH counts the existing keys} {
        r mset a 1 b 2
        assert_equal 2 [r touch a b nokey]
        assert_equal 0 [r touch nokey]
    }

    test {TYPE is string or none} {
        r set a 1
        assert_equal string [r type a]
        assert_equal none [r type nokey]
    }

    test {Keys are binary safe} {
        set k "bin\x00b\r\n\xff"
        r set $k v
        assert_equal 1 [r exists $k]
        assert_equal 0 [r exists bin]
        assert_equal v [r get $k]
        assert_equal 1 [r del $k]
    }

    # ---- RENAME, RENAMENX ----

    test {RENAME moves the value and overwrites the target} {
        r flushall
        r set src hello
        r set dst old
        assert_equal OK [r rename src dst]
        assert_equal 0 [r exists src]
        assert_equal hello [r get dst]
    }

    test {RENAME keeps the TTL, and a target's TTL goes} {
        r set src v px 100000
        r set dst old
        r rename src dst
        assert_range [r pttl dst] 90000 100000
        r set dst2 old ex 1000
        r set src2 v
        r rename src2 dst2
        assert_equal -1 [r ttl dst2]
    }

    test {RENAME of a missing key is an error} {
        r del nokey
        assert_error {ERR no such key} {r rename nokey x}
        assert_error {ERR no such key} {r rename nokey nokey}
        assert_equal 0 [r exists x]
    }

    test {RENAME onto itself is OK when the key exists} {
        r set same v ex 100
        assert_equal OK [r rename same same]
        assert_equal v [r get same]
        assert_range [r ttl same] 1 100
    }

    test {RENAMENX renames only to a missing key} {
        r flushall
        r set a 1
        r set b 2
        assert_equal 0 [r renamenx a b]
        assert_equal 1 [r get a]
        assert_equal 2 [r get b]
        assert_equal 1 [r renamenx a c]
        assert_equal 0 [r exists a]
        assert_equal 1 [r get c]
    }

    test {RENAMENX onto itself is 0, of a missing key an error} {
        r set a 1
        assert_equal 0 [r renamenx a a]
        assert_equal 1 [r get a]
        assert_error {ERR no such key} {r renamenx nokey x}
        assert_error {ERR no such key} {r renamenx nokey nokey}
    }

    test {RENAME keeps the value's encoding} {
        r set n 12345
        r rename n n2
        assert_encoding int n2
        r set long [string repeat x 100]
        r rename long long2
        assert_encoding raw long2
    }

    # ---- KEYS ----

    test {KEYS with glob patterns} {
        r flushall
        foreach k {hello hallo hxllo hllo heeeello foo foobar f*o {f\o} {a[b}} { r set $k 1 }
        assert_equal_unordered {hello hallo hxllo hllo heeeello foo foobar f*o {f\o} {a[b}} [r keys *]
        assert_equal_unordered {hello hallo hxllo} [r keys h?llo]
        assert_equal_unordered {hello hallo hxllo hllo heeeello} [r keys h*llo]
        assert_equal_unordered {hello hallo} [r keys {h[ae]llo}]
        assert_equal_unordered {hallo hxllo} [r keys {h[^e]llo}]
        assert_equal_unordered {hallo} [r keys {h[a-b]llo}]
        assert_equal_unordered {f*o} [r keys {f\*o}]
        assert_equal_unordered {foo foobar f*o} [r keys {f[*o]*}]
        assert_equal_unordered {foo} [r keys foo]
        assert_equal {} [r keys nomatch*]
        assert_equal {} [r keys FOO]
    }

    test {KEYS returns every key of a big db once, and only that db} {
        r flushall
        populate 5000
        r select 1
        r set key:other 1
        r select 0
        set keys [r keys key:*]
        assert_equal 5000 [llength $keys]
        assert_equal 5000 [llength [lsort -unique $keys]]
        assert_equal 0 [llength [r keys key:other]]
    }

    test {KEYS on an empty db} {
        r flushall
        assert_equal {} [r keys *]
    }

    # ---- SCAN ----

    test {SCAN walks the whole db} {
        r flushall
        populate 1000
        assert_equal 1000 [llength [scan_all]]
        assert_equal 1000 [llength [scan_all r count 1]]
        assert_equal 1000 [llength [scan_all r count 1000000]]
    }

    test {SCAN MATCH filters, COUNT bounds the work} {
        set keys [scan_all r match key:1?]
        assert_equal_unordered {key:10 key:11 key:12 key:13 key:14 key:15 key:16 key:17 key:18 key:19} $keys
        lassign [r scan 0 count 5] cursor batch
        assert {$cursor ne "0"}
        assert_lessthan [llength $batch] 100
        assert_equal 1000 [llength [scan_all r match *]]
    }

    test {SCAN TYPE} {
        assert_equal 1000 [llength [scan_all r type string]]
        assert_equal 1000 [llength [scan_all r type STRING]]
        assert_equal {} [scan_all r type list]
        assert_equal {} [scan_all r type nosuchtype]
        assert_equal {key:7} [scan_all r type string match key:7]
    }

    test {SCAN on an empty db} {
        r flushall
        assert_equal {0 {}} [r scan 0]
    }

    test {SCAN keeps its contract while the db grows} {
        r flushall
        populate 200 old:
        set cursor 0
        set seen {}
        set i 0
        while 1 {
            lassign [r scan $cursor count 10] cursor batch
            lappend seen {*}$batch
            for {set j 0} {$j < 50} {incr j} { r set new:[incr i] x }
            if {$cursor eq "0"} break
        }
        set seen [lsort -unique $seen]
        for {set j 0} {$j < 200} {incr j} {
            assert {[lsearch -exact -sorted $seen old:$j] >= 0} "old:$j not returned"
        }
    }

    test {SCAN cursor parsing} {
        r flushall
        r set a 1
        assert_equal {0 a} [r scan ""]
        assert_error {ERR invalid cursor} {r scan -x}
        assert_error {ERR invalid cursor} {r scan " 0"}
        assert_error {ERR invalid cursor} {r scan 1x}
        assert_error {ERR invalid cursor} {r scan 18446744073709551616}
        lassign [r scan 18446744073709551615] cursor
        assert {[string is digit -strict $cursor]}
    }

    test {SCAN option errors} {
        assert_error {ERR syntax error} {r scan 0 count 0}
        assert_error {ERR syntax error} {r scan 0 count -1}
        assert_error {ERR value is not an integer or out of range} {r scan 0 count x}
        assert_error {ERR syntax error} {r scan 0 match}
        assert_error {ERR syntax error} {r scan 0 count}
        assert_error {ERR syntax error} {r scan 0 foo bar}
        assert_error {ERR syntax error} {r scan 0 type}
        assert_error {ERR wrong number of arguments for 'scan' command} {r scan}
    }

    # ---- RANDOMKEY, DBSIZE ----

    test {RANDOMKEY on an empty db is nil} {
        r flushall
        assert_equal {} [r randomkey]
    }

    test {RANDOMKEY returns existing keys, all of them eventually} {
        r mset a 1 b 2 c 3
        set seen {}
        for {set i 0} {$i < 200} {incr i} { dict set seen [r randomkey] 1 }
        assert_equal_unordered {a b c} [dict keys $seen]
    }

    test {DBSIZE counts the selected db} {
        r flushall
        populate 100
        assert_equal 100 [r dbsize]
        r select 2
        assert_equal 0 [r dbsize]
        r set x 1
        assert_equal 1 [r dbsize]
        r select 0
        assert_equal 100 [r dbsize]
    }

    # ---- FLUSHDB, FLUSHALL ----

    test {FLUSHDB empties only the selected db} {
        r flushall
        r set a 1
        r select 3
        r set b 1
        assert_equal OK [r flushdb]
        assert_equal 0 [r dbsize]
        r select 0
        assert_equal 1 [r dbsize]
    }

    test {FLUSHALL empties every db} {
        r set a 1
        r select 5
        r set b 1
        assert_equal OK [r flushall]
        assert_equal 0 [r dbsize]
        r select 0
        assert_equal 0 [r dbsize]
    }

    test {FLUSHDB and FLUSHALL take SYNC or ASYNC} {
        foreach cmd {flushdb flushall} {
            foreach mode {sync async SYNC Async} {
                r set a 1
                assert_equal OK [r $cmd $mode]
                assert_equal 0 [r dbsize]
            }
            assert_error {ERR syntax error} {r $cmd foo}
            assert_error {ERR syntax error} {r $cmd sync async}
        }
    }

    # ---- SELECT ----

    test {SELECT switches the db of this connection only} {
        r flushall
        set c [redis_client]
        r select 9
        r set k nine
        assert_equal {} [$c get k]
        $c select 9
        assert_equal nine [$c get k]
        r select 0
        $c close
    }

    test {SELECT errors} {
        assert_error {ERR DB index is out of range} {r select 16}
        assert_error {ERR DB index is out of range} {r select -1}
        assert_error {ERR value is not an integer or out of range} {r select x}
        assert_error {ERR value is not an integer or out of range} {r select 01}
        assert_error {ERR value is not an integer or out of range} {r select 1.0}
        assert_error {ERR value is out of range, value must between -2147483648 and 2147483647} {r select 99999999999}
        assert_equal OK [r select 15]
        assert_equal OK [r select 0]
    }

    # ---- SWAPDB ----

    test {SWAPDB exchanges the contents of two dbs} {
        r flushall
        r set a db0
        r select 1
        r set a db1
        r set b db1 px 100000
        r select 0
        assert_equal OK [r swapdb 0 1]
        assert_equal db1 [r get a]
        assert_equal db1 [r get b]
        assert_range [r pttl b] 1 100000
        r select 1
        assert_equal db0 [r get a]
        assert_equal 0 [r exists b]
        r select 0
    }

    test {SWAPDB is seen by the other clients at once} {
        r flushall
        set c [redis_client]
        $c select 4
        r select 4
        r set k four
        r select 0
        r swapdb 4 7
        assert_equal {} [$c get k]
        $c select 7
        assert_equal four [$c get k]
        $c close
    }

    test {SWAPDB of a db with itself is OK} {
        r set a 1
        assert_equal OK [r swapdb 0 0]
        assert_equal 1 [r get a]
    }

    test {SWAPDB errors} {
        assert_error {ERR invalid first DB index} {r swapdb x 0}
        assert_error {ERR invalid second DB index} {r swapdb 0 x}
        assert_error {ERR invalid first DB index} {r swapdb 99999999999 0}
        assert_error {ERR DB index is out of range} {r swapdb 0 16}
        assert_error {ERR DB index is out of range} {r swapdb -1 0}
        assert_error {ERR DB index is out of range} {r swapdb 16 16}
    }

    # ---- MOVE ----

    test {MOVE moves a key and its TTL to another db} {
        r flushall
        r set a v px 100000
        assert_equal 1 [r move a 1]
        assert_equal 0 [r exists a]
        r select 1
        assert_equal v [r get a]
        assert_range [r pttl a] 1 100000
        r select 0
    }

    test {MOVE does nothing if the key is missing or exists in the target} {
        assert_equal 0 [r move nokey 1]
        r set a mine
        assert_equal 0 [r move a 1]
        assert_equal mine [r get a]
        r select 1
        assert_equal v [r get a]
        r select 0
    }

    test {MOVE errors} {
        assert_error {ERR source and destination objects are the same} {r move a 0}
        assert_error {ERR DB index is out of range} {r move a 16}
        assert_error {ERR DB index is out of range} {r move a -1}
        assert_error {ERR value is not an integer or out of range} {r move a x}
        assert_error {ERR value is out of range, value must between -2147483648 and 2147483647} {r move a 99999999999}
    }

    # ---- OBJECT ----

    test {OBJECT ENCODING int, embstr, raw} {
        r flushall
        r set i 12345
        assert_encoding int i
        r set neg -9223372036854775808
        assert_encoding int neg
        r set big 9223372036854775808
        assert_encoding embstr big
        r set lead 012
        assert_encoding embstr lead
        r set e ""
        assert_encoding embstr e
        r set s44 [string repeat a 44]
        assert_encoding embstr s44
        r set s45 [string repeat a 45]
        assert_encoding raw s45
        r append i 6
        assert_encoding raw i
        assert_equal {} [r object encoding nokey]
    }

    test {OBJECT REFCOUNT: small integers are shared} {
        r set small 100
        r set large 10000
        r set str abc
        assert_equal 2147483647 [r object refcount small]
        assert_equal 1 [r object refcount large]
        assert_equal 1 [r object refcount str]
        assert_equal {} [r object refcount nokey]
    }

    test {OBJECT IDLETIME counts seconds since the last access} {
        r set idle v
        assert_range [r object idletime idle] 0 1
        assert_equal {} [r object idletime nokey]
    }

    test {OBJECT FREQ needs an LFU policy, IDLETIME an LRU one} {
        r set f v
        assert_error {ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.} {r object freq f}
        assert_equal {} [r object freq nokey]
        r config set maxmemory-policy allkeys-lfu
        r set f v
        r get f
        assert_range [r object freq f] 1 255
        assert_error {ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.} {r object idletime f}
        r config set maxmemory-policy noeviction
        assert {[string is integer -strict [r object idletime f]]}
    }

    test {OBJECT HELP and argument errors} {
        set help [r object help]
        assert_equal {OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:} [lindex $help 0]
        assert_equal 15 [llength $help]
        assert_equal {    Prints this help.} [lindex $help end]
        assert_error {ERR unknown subcommand 'foo'. Try OBJECT HELP.} {r object foo}
        assert_error {ERR wrong number of arguments for 'object|encoding' command} {r object encoding}
        assert_error {ERR wrong number of arguments for 'object|encoding' command} {r object encoding a b}
        assert_error {ERR wrong number of arguments for 'object|help' command} {r object help x}
        assert_error {ERR wrong number of arguments for 'object' command} {r object}
    }

    # ---- MEMORY ----

    test {MEMORY USAGE grows with the value, nil for a missing key} {
        r set small x
        r set large [string repeat x 10000]
        set s [r memory usage small]
        set l [r memory usage large]
        assert_range $s 1 1000
        assert_range $l 10000 20000
        assert_equal $s [r memory usage small samples 0]
        assert_equal $s [r memory usage small SAMPLES 5 samples 7]
        assert_equal {} [r memory usage nokey]
    }

    test {MEMORY USAGE errors} {
        assert_error {ERR syntax error} {r memory usage small samples}
        assert_error {ERR syntax error} {r memory usage small samples -1}
        assert_error {ERR syntax error} {r memory usage small foo}
        assert_error {ERR value is not an integer or out of range} {r memory usage small samples x}
        assert_error {ERR wrong number of arguments for 'memory|usage' command} {r memory usage}
        assert_error {ERR unknown subcommand 'foo'. Try MEMORY HELP.} {r memory foo}
    }

    test {MEMORY HELP} {
        set help [r memory help]
        assert_equal {MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:} [lindex $help 0]
        assert {[lsearch -exact $help {USAGE <key> [SAMPLES <count>]}] > 0}
        assert_equal {    Prints this help.} [lindex $help end]
    }

    # ---- several connections at once ----

    test {Concurrent writers and RENAME/SWAPDB keep every key} {
        r flushall
        set clients {}
        for {set i 0} {$i < 4} {incr i} { lappend clients [redis_deferring_client] }
        # each client writes its own keys while this one renames and swaps
        set n 0
        foreach c $clients {
            for {set j 0} {$j < 500} {incr j} { $c set c$n:$j $j }
            incr n
        }
        for {set j 0} {$j < 50} {incr j} {
            r set tmp:$j x
            r rename tmp:$j moved:$j
            r swapdb 0 1
            r swapdb 0 1
        }
        foreach c $clients {
            for {set j 0} {$j < 500} {incr j} { assert_equal OK [$c read] }
        }
        assert_equal [expr {4 * 500 + 50}] [r dbsize]
        assert_equal 50 [llength [r keys moved:*]]
        foreach c $clients { $c close }
    }
}
