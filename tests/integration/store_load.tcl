# tests/integration/store_load.tcl -- the keyspace under load: several
# pipelining clients grow it from nothing to 300k keys and delete 99% again
# (the tables grow and shrink while they are used), every read checked
# against what its client wrote, the server answering PING meanwhile; and
# FLUSHALL ASYNC while clients write: it answers at once, the data is gone
# at once, its memory is freed in the background, the writers carry on.
# Run with one and with four server threads (--io-threads, shoal's worker
# count). Every test here passes against Debian's redis-server 7.0.15
# (tclsh tests/test_helper.tcl --server /usr/bin/redis-server --single
# integration/store_load).

# ---- helpers ----

source [file join $::th::root tests helpers store.tcl]

proc bulk {v} { return "\$[string length $v]\r\n$v\r\n" }

# What client cid writes under its key n.
proc key_of {cid n} { return "c$cid:$n" }
proc value_of {cid n} { return "$cid:$n:abcdefghijklmnopqrstuvwxyz" }

# A pipelining client: commands are queued with `send`, and the replies
# they must get with `expect`; `settle` reads and checks them all.
proc lc_new {} {
    set c [redis_deferring_client]
    set ::lc($c,want) ""
    return $c
}

proc lc_send {c cmd want} {
    puts -nonewline [$c fd] $cmd
    append ::lc($c,want) $want
}

proc lc_flush {c} { flush [$c fd] }

proc lc_settle {c what} {
    set want $::lc($c,want)
    set ::lc($c,want) ""
    set got [read_expect [$c fd] $want]
    if {$got eq $want} return
    set i 0
    while {$i < [string length $want] && [string index $got $i] eq [string index $want $i]} { incr i }
    set from [expr {max(0, $i - 60)}]
    fail "$what: replies differ at byte $i of [string length $want]\n  expected: [string range $want $from [expr {$i + 80}]]\n  got:      [string range $got $from [expr {$i + 80}]]"
}

proc used_memory {} { dict get [info_dict [r info memory]] used_memory }

# A PING on the default client, timed in ms.
proc timed_ping {} {
    set t0 [clock milliseconds]
    assert_equal PONG [r ping]
    return [expr {[clock milliseconds] - $t0}]
}

# Each client writes keys [from, to) of its own range, chunk per round,
# and in the same pipeline reads back `reads` random keys of [read_from,
# end of the chunk), all written before (or earlier in the pipeline).
# Returns the slowest PING during the rounds.
proc write_rounds {clients from to chunk reads {read_from 0}} {
    set worst 0
    for {set base $from} {$base < $to} {incr base $chunk} {
        set end [expr {min($base + $chunk, $to)}]
        set cid 0
        foreach c $clients {
            set cmds ""
            set want ""
            for {set n $base} {$n < $end} {incr n} {
                append cmds [resp_cmd SET [key_of $cid $n] [value_of $cid $n]]
                append want "+OK\r\n"
            }
            for {set j 0} {$j < $reads} {incr j} {
                set n [expr {$read_from + int(rand() * ($end - $read_from))}]
                append cmds [resp_cmd GET [key_of $cid $n]]
                append want [bulk [value_of $cid $n]]
            }
            lc_send $c $cmds $want
            lc_flush $c
            incr cid
        }
        # the server is busy with those pipelines: it must still answer
        set worst [expr {max($worst, [timed_ping])}]
        foreach c $clients { lc_settle $c "writing keys $base..[expr {$end - 1}]" }
    }
    return $worst
}

proc load_tests {threads} {
    set nclients 3

    test "300k keys grown and 99% deleted by $nclients clients, every read right (threads $threads)" {
        r flushall
        after 100
        set base [used_memory]
        set clients {}
        for {set i 0} {$i < $nclients} {incr i} { lappend clients [lc_new] }
        set per 100000

        # grow: 0 -> 300k keys
        set worst [write_rounds $clients 0 $per 1000 200]
        assert_lessthan $worst 1000 "slowest PING while growing (ms)"
        assert_equal [expr {$nclients * $per}] [r dbsize]
        set full [used_memory]
        set per_key [expr {double($full - $base) / ($nclients * $per)}]
        if {[exact_memory]} { assert_range $per_key 50 400 }

        # shrink: each client deletes all but every 100th of its keys,
        # reading kept ones (and deleted ones) as it goes
        set worst 0
        for {set b 0} {$b < $per} {incr b 2000} {
            set cid 0
            foreach c $clients {
                set cmds ""
                set want ""
                for {set n $b} {$n < $b + 2000} {incr n} {
                    if {$n % 100 == 0} continue
                    append cmds [resp_cmd DEL [key_of $cid $n]]
                    append want ":1\r\n"
                }
                for {set j 0} {$j < 100} {incr j} {
                    set n [expr {int(rand() * $per)}]
                    append cmds [resp_cmd GET [key_of $cid $n]]
                    if {$n % 100 == 0 || $n >= $b + 2000} {
                        append want [bulk [value_of $cid $n]]
                    } else {
                        append want "\$-1\r\n"
                    }
                }
                lc_send $c $cmds $want
                lc_flush $c
                incr cid
            }
            set worst [expr {max($worst, [timed_ping])}]
            foreach c $clients { lc_settle $c "deleting keys $b..[expr {$b + 1999}]" }
        }
        assert_lessthan $worst 1000 "slowest PING while deleting (ms)"
        set kept [expr {$nclients * $per / 100}]
        assert_equal $kept [r dbsize]

        # the tables shrink back: memory close to what the kept keys need
        if {[exact_memory]} {
            set bound [expr {$base + $kept * $per_key * 2 + 1024 * 1024}]
            wait_for_condition 50 100 {[used_memory] <= $bound} else {
                fail "used_memory [used_memory] > $bound: base $base, full $full, $kept keys left"
            }
        }

        # every kept key intact, every other one gone
        set cid 0
        foreach c $clients {
            set cmds ""
            set want ""
            for {set n 0} {$n < $per} {incr n 100} {
                append cmds [resp_cmd GET [key_of $cid $n]]
                append want [bulk [value_of $cid $n]]
                append cmds [resp_cmd EXISTS [key_of $cid [expr {$n + 1 + $n / 100 % 99}]]]
                append want ":0\r\n"
            }
            lc_send $c $cmds $want
            lc_flush $c
            lc_settle $c "client $cid reading the kept keys"
            incr cid
        }
        # and the store still grows from there
        write_rounds $clients $per [expr {$per + 5000}] 1000 100 $per
        assert_equal [expr {$kept + $nclients * 5000}] [r dbsize]
        foreach c $clients { $c close }
    }

    test "FLUSHALL ASYNC while clients write (threads $threads)" {
        r flushall
        after 100
        set base [used_memory]
        set clients {}
        for {set i 0} {$i < $nclients} {incr i} { lappend clients [lc_new] }
        set per 170000

        # a synchronous flush of 500k keys, for comparison
        write_rounds $clients 0 $per 5000 0
        set t0 [clock microseconds]
        assert_equal OK [r flushall]
        set sync_ms [expr {([clock microseconds] - $t0) / 1000.0}]
        assert_equal 0 [r dbsize]

        write_rounds $clients 0 $per 5000 0
        assert_equal [expr {$nclients * $per}] [r dbsize]
        set loaded [used_memory]

        # writers busy (a chunk each in flight) when the flush comes
        set inflight 1000
        set cid 0
        foreach c $clients {
            set cmds ""
            set want ""
            for {set n $per} {$n < $per + $inflight} {incr n} {
                append cmds [resp_cmd SET [key_of $cid $n] [value_of $cid $n]]
                append want "+OK\r\n"
            }
            lc_send $c $cmds $want
            lc_flush $c
            incr cid
        }
        set t0 [clock microseconds]
        assert_equal OK [r flushall async]
        set async_ms [expr {([clock microseconds] - $t0) / 1000.0}]
        # only writes that came after the flush can be there
        assert_lessthan_equal [r dbsize] [expr {$nclients * $inflight}]
        assert_lessthan $async_ms 1000 "FLUSHALL ASYNC took $async_ms ms (sync: $sync_ms ms)"
        assert_lessthan $async_ms [expr {max($sync_ms / 2, 25)}] "FLUSHALL ASYNC took $async_ms ms (sync: $sync_ms ms)"
        foreach c $clients { lc_settle $c "the writes around FLUSHALL ASYNC" }

        # atomically: nothing is left right after it
        foreach c $clients {
            lc_send $c [resp_cmd SET [key_of 9 0] x] "+OK\r\n"
            lc_flush $c
        }
        r multi
        r flushall async
        r dbsize
        assert_equal {OK 0} [r exec]
        foreach c $clients { lc_settle $c "the writes around MULTI/FLUSHALL ASYNC" }

        # the writers carry on, every read right
        set from [expr {$per + $inflight}]
        write_rounds $clients $from [expr {$from + 10000}] 1000 200 $from
        assert_range [r dbsize] [expr {$nclients * 10000}] [expr {$nclients * 10000 + $nclients + $nclients * $inflight}]

        # and the flushed data's memory is given back
        if {[exact_memory]} {
            set bound [expr {$base + ($nclients * (10000 + $inflight) + $nclients) * 400 + 2 * 1024 * 1024}]
            assert_morethan $loaded $bound
            wait_for_condition 50 100 {[used_memory] <= $bound} else {
                fail "used_memory [used_memory] > $bound after FLUSHALL ASYNC (loaded: $loaded, base $base)"
            }
        }
        foreach c $clients { $c close }
    }
}

foreach threads {1 4} {
    start_server [list tags {store-load} args [list --io-threads $threads]] {
        load_tests $threads
    }
}
