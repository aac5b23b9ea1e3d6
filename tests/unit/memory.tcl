# tests/unit/memory.tcl -- memory accounting as INFO reports it
# (used_memory against the data added and removed, MEMORY USAGE, the peak,
# fragmentation and allocator fields), expiry precision and the active
# reclamation of keys nobody reads (DBSIZE and used_memory come back down,
# expired_keys counts them), expired keys being invisible before they are
# reclaimed, and bad input that must change nothing (proto-max-bulk-len,
# INCR overflow, INCRBYFLOAT to infinity). Run with one and with two server
# threads (--io-threads, shoal's worker count). Every test here passes
# against Debian's redis-server 7.0.15 unless tagged shoal-only (tclsh
# tests/test_helper.tcl --server /usr/bin/redis-server --single unit/memory).

# ---- helpers ----

source [file join $::th::root tests helpers store.tcl]

# For i in [from, to): sends the command cmd_script (a script of i, run at
# global level, returning the encoded command) pipelined on client c's raw
# socket, chunk at a time; every reply must be exactly `reply`.
proc pipeline {c from to chunk cmd_script reply} {
    set fd [$c fd]
    set lambda [list i $cmd_script ::]
    for {set base $from} {$base < $to} {incr base $chunk} {
        set end [expr {min($base + $chunk, $to)}]
        set buf ""
        for {set i $base} {$i < $end} {incr i} {
            append buf [apply $lambda $i]
        }
        puts -nonewline $fd $buf
        flush $fd
        set want [string repeat $reply [expr {$end - $base}]]
        set got [read_expect $fd $want]
        if {$got ne $want} {
            fail "pipeline $base..[expr {$end - 1}]: unexpected replies: [string range $got 0 200]"
        }
    }
}

proc mem_info {} { info_dict [r info memory] }
proc used_memory {} { dict get [mem_info] used_memory }

# ---- tests ----

proc memory_accounting_tests {threads} {
    test "used_memory grows by about the data added and falls back when deleted (threads $threads)" {
        need_exact_memory
        r flushall
        set rd [redis_deferring_client]
        set base [used_memory]
        set ::val [string repeat v 100]
        pipeline $rd 0 100000 2000 {resp_cmd SET key:$i $::val} "+OK\r\n"
        assert_equal 100000 [r dbsize]
        set loaded [mem_info]
        set used [dict get $loaded used_memory]
        set per_key [expr {double($used - $base) / 100000}]
        assert_range $per_key 100 400 "bytes per key"
        assert_morethan_equal [dict get $loaded used_memory_peak] $used
        if {[is_shoal] && [string match jemalloc* [dict get $loaded mem_allocator]]} {
            # shoal sums per-thread allocation counters: they must agree
            # with jemalloc's own total
            set alloc [dict get $loaded allocator_allocated]
            assert_range $alloc [expr {$used * 0.9 - 2 * 1024 * 1024}] [expr {$used * 1.1 + 2 * 1024 * 1024}]
        }

        pipeline $rd 0 100000 2000 {resp_cmd DEL key:$i} ":1\r\n"
        assert_equal 0 [r dbsize]
        # the tables shrink in the background
        set slack [expr {max(1024 * 1024, ($used - $base) / 20)}]
        wait_for_condition 50 100 {[used_memory] <= $base + $slack} else {
            fail "used_memory [used_memory] did not fall back near $base after deleting"
        }
        set after [mem_info]
        assert_morethan_equal [dict get $after used_memory_peak] $used
        assert_morethan_equal [dict get $after used_memory_peak] [dict get $after used_memory]
        $rd close
    }

    test "Keys nobody reads are reclaimed by active expiry (threads $threads)" {
        r flushall
        set rd [redis_deferring_client]
        # settle, then the baseline
        after 200
        set base [used_memory]
        set expired0 [s expired_keys]
        # TTLs spread over 0.3-1 s
        pipeline $rd 0 50000 1000 {
            resp_cmd SET exp:$i xxxxxxxxxxxxxxxxxxxx PX [expr {300 + $i * 7 % 700}]
        } "+OK\r\n"
        if {[exact_memory]} { assert_morethan [used_memory] [expr {$base + 50000 * 40}] }
        wait_for_condition 80 100 {[r dbsize] == 0} else {
            fail "[r dbsize] keys still there 8 s after they expired"
        }
        assert_equal 50000 [expr {[s expired_keys] - $expired0}]
        if {[exact_memory]} {
            wait_for_condition 50 100 {[used_memory] <= $base + 512 * 1024} else {
                fail "used_memory [used_memory] did not come back near $base"
            }
        }
        $rd close
    }

    test "MEMORY USAGE is plausible for every size (threads $threads)" {
        r flushall
        foreach {klen vlen} {1 1 10 10 10 100 20 1000 20 10000 5 100000} {
            set k [string repeat k $klen]
            set v [string repeat v $vlen]
            r set $k $v
            set u [r memory usage $k]
            assert_range $u [expr {$klen + $vlen}] [expr {2 * ($klen + $vlen) + 64}] "key $klen, value $vlen"
            assert_equal $u [r memory usage $k samples 0]
        }
        r set n 12345
        assert_range [r memory usage n] 6 76
        assert_morethan [r memory usage [string repeat k 20]] [r memory usage [string repeat k 10]]
        assert_equal {} [r memory usage nokey]
    }

    test "INFO memory fields are present and consistent (threads $threads)" {
        set d [mem_info]
        foreach f {used_memory used_memory_human used_memory_rss used_memory_peak
                   used_memory_peak_human mem_fragmentation_ratio mem_allocator maxmemory
                   maxmemory_policy} {
            assert {[dict exists $d $f]} "INFO memory has no $f"
        }
        assert_morethan [dict get $d used_memory] 0
        assert_morethan [dict get $d used_memory_rss] 0
        assert_morethan_equal [dict get $d used_memory_peak] [dict get $d used_memory]
        assert_morethan [dict get $d mem_fragmentation_ratio] 0
        if {[string match jemalloc* [dict get $d mem_allocator]]} {
            foreach f {allocator_allocated allocator_active allocator_resident} {
                assert {[dict exists $d $f]} "INFO memory has no $f"
            }
            set a [dict get $d allocator_allocated]
            assert_morethan $a 0
            assert_morethan_equal [dict get $d allocator_active] $a
            assert_morethan_equal [dict get $d allocator_resident] [dict get $d allocator_active]
        }
    }
}

proc expiry_and_input_tests {} {
    # ---- expiry ----

    test {PX 100: readable until it expires, gone right after} {
        r flushall
        set late_present {}
        set early_absent {}
        foreach n {1 2 3} {
            set t0 [clock milliseconds]
            r set px$n v PX 100
            set t1 [clock milliseconds]
            # the key expires at ts + 100 with ts in [t0, t1]
            assert_equal v [r get px$n]
            set gone_at 0
            for {set poll 0} {$poll < 60} {incr poll} {
                set a [clock milliseconds]
                set v [r get px$n]
                set b [clock milliseconds]
                if {$v eq "v"} {
                    # served at >= a: still there after it expired?
                    if {$a > $t1 + 101} { lappend late_present [expr {$a - $t1}] }
                } else {
                    # served at <= b: gone before it expired?
                    if {$b < $t0 + 100} { lappend early_absent [expr {$b - $t0}] }
                    set gone_at [expr {$b - $t0}]
                    break
                }
                after 5
            }
            assert {$gone_at > 0} "px$n still readable 300 ms after its 100 ms TTL"
            assert_lessthan $gone_at 400
            assert_equal {} [r get px$n]
            assert_equal 0 [r exists px$n]
            assert_equal -2 [r pttl px$n]
        }
        assert_equal {} $late_present "reads that returned an expired key (ms after SET)"
        assert_equal {} $early_absent "reads that missed a live key (ms after SET)"
    }

    test {expired_keys counts keys that expired, when read and when reclaimed} {
        r flushall
        set e0 [s expired_keys]
        for {set i 0} {$i < 10} {incr i} { r set ek$i v PX 50 }
        for {set i 0} {$i < 10} {incr i} { r set keep$i v PX 100000 }
        after 150
        for {set i 0} {$i < 10} {incr i} { assert_equal {} [r get ek$i] }
        assert_equal 10 [expr {[s expired_keys] - $e0}]
        assert_equal 10 [r dbsize]
    }

    test {An expired key is never returned, even before it is reclaimed} {
        r flushall
        # a slow cron leaves expired keys in place for a while
        r config set hz 1
        set rd [redis_deferring_client]
        pipeline $rd 0 2000 500 {resp_cmd SET gone:$i 5 PX 200} "+OK\r\n"
        set live {}
        for {set i 0} {$i < 10} {incr i} {
            r set live:$i 5
            r set ttl:$i 5 EX 100000
            lappend live live:$i ttl:$i
        }
        after 400
        # nothing may see them, whether reclaimed yet or not
        assert_equal {} [r keys gone:*]
        assert_equal_unordered $live [r keys *]
        set seen {}
        set cursor 0
        for {set n 0} {$n < 10000} {incr n} {
            lassign [r scan $cursor count 100] cursor batch
            lappend seen {*}$batch
            if {$cursor eq "0"} break
        }
        assert_equal_unordered $live [lsort -unique $seen]
        set some {}
        for {set i 0} {$i < 100} {incr i} { lappend some gone:$i }
        assert_equal 0 [r exists {*}$some]
        assert_equal [lrepeat 100 {}] [r mget {*}$some]
        for {set i 100} {$i < 120} {incr i} {
            assert_equal -2 [r ttl gone:$i]
            assert_equal -2 [r pttl gone:$i]
            assert_equal {} [r get gone:$i]
            assert_equal 0 [r strlen gone:$i]
            assert_equal none [r type gone:$i]
        }
        # writes see a missing key, not the old value or TTL
        assert_equal 1 [r incr gone:200]
        assert_equal -1 [r ttl gone:200]
        assert_equal 1 [r append gone:201 x]
        assert_equal 1 [r setnx gone:202 x]
        assert_equal {} [r set gone:203 x XX]
        assert_equal 0 [r expire gone:204 100]
        assert_equal 0 [r persist gone:205]
        assert_equal {} [r getset gone:206 x]
        r config set hz 10
        wait_for_condition 50 100 {[r dbsize] == 24} else {
            fail "[r dbsize] keys, expected the 20 live ones and the 4 written"
        }
        $rd close
    }

    test {RANDOMKEY returns a live key while most keys are expired but not reclaimed} {
        r flushall
        r config set hz 1
        set rd [redis_deferring_client]
        pipeline $rd 0 2000 500 {resp_cmd SET gone:$i 5 PX 200} "+OK\r\n"
        for {set i 0} {$i < 10} {incr i} { r set live:$i 5 }
        after 400
        set got {}
        for {set i 0} {$i < 50} {incr i} { lappend got [r randomkey] }
        r config set hz 10
        foreach k $got { assert_match {live:*} $k "RANDOMKEY replies: $got" }
        $rd close
    }

    # ---- bad input ----

    test {SETRANGE and APPEND past proto-max-bulk-len fail and change nothing} {
        r flushall
        r config set proto-max-bulk-len 1mb
        set max [expr {1024 * 1024}]
        r set s hello
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r setrange s $max x}
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r setrange s [expr {$max - 1}] xy}
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r setrange s 9223372036854775806 xyz}
        assert_equal hello [r get s]
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r setrange nokey $max x}
        assert_equal 0 [r exists nokey]
        # up to the limit is fine
        assert_equal $max [r setrange s [expr {$max - 1}] x]
        assert_equal $max [r strlen s]
        assert_equal hellox [string map [list \x00 ""] [r get s]]

        r set a [string repeat a [expr {$max - 10}]]
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r append a [string repeat b 11]}
        assert_equal [expr {$max - 10}] [r strlen a]
        assert_equal [string repeat a 10] [r getrange a -10 -1]
        assert_equal $max [r append a [string repeat b 10]]
        assert_error {ERR string exceeds maximum allowed size (proto-max-bulk-len)} {r append a b}
        assert_equal $max [r strlen a]
        assert_equal [string repeat b 10] [r getrange a -10 -1]
        r config set proto-max-bulk-len 512mb
        r del s a
    }

    test {INCR family: non-integers and overflow are errors and change nothing} {
        foreach bad {abc 1.5 { 1} {1 } {} 99999999999999999999 0x10 1e3 +1 {1 2}} {
            r set n $bad
            assert_error {ERR value is not an integer or out of range} {r incr n} "'$bad'"
            assert_error {ERR value is not an integer or out of range} {r decrby n 1} "'$bad'"
            assert_equal $bad [r get n]
        }
        r set n 9223372036854775807
        assert_error {ERR increment or decrement would overflow} {r incr n}
        assert_error {ERR increment or decrement would overflow} {r incrby n 1}
        assert_error {ERR increment or decrement would overflow} {r decrby n -1}
        assert_equal 9223372036854775807 [r get n]
        r set n -9223372036854775808
        assert_error {ERR increment or decrement would overflow} {r decr n}
        assert_error {ERR increment or decrement would overflow} {r incrby n -1}
        assert_error {ERR decrement would overflow} {r decrby n -9223372036854775808}
        assert_equal -9223372036854775808 [r get n]
        r set n 5
        assert_error {ERR value is not an integer or out of range} {r incrby n abc}
        assert_error {ERR value is not an integer or out of range} {r incrby n 9223372036854775808}
        assert_equal 5 [r get n]
        # the TTL survives an INCR, and a failed one
        r set t 10 EX 1000
        assert_equal 11 [r incr t]
        r set t 9223372036854775807 KEEPTTL
        assert_error {*overflow*} {r incr t}
        assert_range [r ttl t] 990 1000
    }

    test {INCRBYFLOAT to infinity or NaN is an error and changes nothing} {
        r set f 1e4932
        assert_error {ERR increment would produce NaN or Infinity} {r incrbyfloat f 1e4932}
        assert_equal 1e4932 [r get f]
        r set f -1e4932
        assert_error {ERR increment would produce NaN or Infinity} {r incrbyfloat f -1e4932}
        assert_equal -1e4932 [r get f]
        r set f 1.5
        assert_error {ERR increment would produce NaN or Infinity} {r incrbyfloat f inf}
        assert_error {ERR increment would produce NaN or Infinity} {r incrbyfloat f -inf}
        assert_error {ERR value is not a valid float} {r incrbyfloat f nan}
        assert_error {ERR value is not a valid float} {r incrbyfloat f abc}
        assert_equal 1.5 [r get f]
        r set f abc
        assert_error {ERR value is not a valid float} {r incrbyfloat f 1}
        assert_equal abc [r get f]
        assert_error {ERR increment would produce NaN or Infinity} {r incrbyfloat nokey inf}
        assert_equal 0 [r exists nokey]
    }
}

foreach threads {1 2} {
    start_server [list tags {memory} args [list --io-threads $threads]] {
        memory_accounting_tests $threads
        if {$threads == 1} expiry_and_input_tests
    }
}
