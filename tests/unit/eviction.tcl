# tests/unit/eviction.tcl -- keeping used memory under maxmemory: every
# maxmemory-policy (which keys go first, statistically), the OOM error of
# noeviction and of volatile-* with nothing volatile left, evicted_keys,
# CONFIG SET maxmemory below the current use, maxmemory 0, a sustained SET
# flood, OBJECT IDLETIME and OBJECT FREQ. Run with one and with two server
# threads (--io-threads, which shoal reads as its worker thread count).
# Every test here passes against Debian's redis-server 7.0.15 (tclsh
# tests/test_helper.tcl --server /usr/bin/redis-server --single
# unit/eviction); shoal must match it.
#
# Survival is asserted with generous statistical margins (a hot set must
# keep >= 90% of its keys while a cold one keeps <= 50-60%), never as exact
# counts: both servers evict by sampling.

set ::oom_error {OOM command not allowed when used memory > 'maxmemory'.}

# ---- helpers ----

source [file join $::th::root tests helpers store.tcl]

# Sends SET <prefix><i> <val> <extra...> for i in [from, to) pipelined on a
# deferring client (raw), chunk commands at a time; every reply must be +OK.
# touch: a script run (at level #0) after each chunk.
proc load_keys {c prefix from to val {extra {}} {chunk 200} {touch {}}} {
    set fd [$c fd]
    for {set base $from} {$base < $to} {incr base $chunk} {
        set end [expr {min($base + $chunk, $to)}]
        set buf ""
        for {set i $base} {$i < $end} {incr i} {
            append buf [resp_cmd SET $prefix$i $val {*}$extra]
        }
        puts -nonewline $fd $buf
        flush $fd
        set n [expr {$end - $base}]
        set want [string repeat "+OK\r\n" $n]
        set got [read_expect $fd $want]
        if {$got ne $want} {
            # the rest of the chunk's replies, for the report
            after 200
            fconfigure $fd -blocking 0
            append got [read $fd]
            fconfigure $fd -blocking 1
            set first [string range $got 0 80]
            regexp -- {-[^\r]*} $got first
            fail "SET ${prefix}$base..[expr {$end - 1}]: [regexp -all -- {(?:^|\n)-} $got] error replies of $n, first: $first"
        }
        if {$touch ne ""} { uplevel #0 $touch }
    }
}

proc keys_of {prefix from to} {
    set l {}
    for {set i $from} {$i < $to} {incr i} { lappend l $prefix$i }
    return $l
}

# How many of the keys exist (EXISTS does not touch them).
proc alive {keys} {
    set n 0
    for {set i 0} {$i < [llength $keys]} {incr i 500} {
        incr n [r exists {*}[lrange $keys $i [expr {$i + 499}]]]
    }
    return $n
}

proc frac {n total} { expr {double($n) / $total} }

proc mem_field {f {c r}} {
    dict get [info_dict [$c info memory]] $f
}

# used_memory and maxmemory read from one INFO MEMORY.
proc mem_now {} {
    set d [info_dict [r info memory]]
    list [dict get $d used_memory] [dict get $d maxmemory]
}

proc volatile_count {} {
    set ks [r info keyspace]
    if {[regexp {db0:keys=\d+,expires=(\d+)} $ks -> n]} { return $n }
    return 0
}

# Fresh start for a policy: empty, no limit, the policy set before any key
# is created (so LFU counters start at their initial value).
proc reset_policy {policy} {
    r config set maxmemory 0
    r flushall
    r config set maxmemory-policy $policy
    r config set maxmemory-samples 5
}

# Makes the server's used memory the limit, so what is added next evicts
# about as much.
proc limit_here {} {
    set used [mem_field used_memory]
    r config set maxmemory $used
    return $used
}

# ---- the policy tests, run once per thread count ----

proc eviction_policy_tests {threads} {
    set val [string repeat v 200]

    test "noeviction: SET gets the OOM error, GET and DEL still work (threads $threads)" {
        reset_policy noeviction
        r set k1 hello
        r set k2 world
        set ev [s evicted_keys]
        r config set maxmemory 1
        assert_equal $::oom_error [assert_error "OOM*" {r set k3 x}]
        assert_error $::oom_error {r incr counter}
        assert_error $::oom_error {r append k1 x}
        assert_error $::oom_error {r set k1 x}
        assert_equal hello [r get k1]
        assert_equal {hello world} [r mget k1 k2]
        assert_equal 1 [r exists k1]
        assert_equal 1 [r del k1]
        assert_equal {} [r get k3]
        assert_equal 1 [r dbsize]
        assert_equal $ev [s evicted_keys]
        r config set maxmemory 0
        assert_equal OK [r set k3 x]
    }

    test "noeviction: filling up to maxmemory ends in OOM errors, nothing evicted (threads $threads)" {
        need_exact_memory
        reset_policy noeviction
        set used [mem_field used_memory]
        set limit [expr {$used + 1024 * 1024}]
        r config set maxmemory $limit
        set ev [s evicted_keys]
        set ok 0
        set err ""
        # 1 MiB of 1 KiB values: a few thousand SETs at most
        set big [string repeat x 1024]
        for {set i 0} {$i < 5000} {incr i} {
            if {[catch {r set fill:$i $big} err]} break
            incr ok
        }
        assert_equal $::oom_error $err
        assert_range $ok 100 1100
        assert_equal $ok [r dbsize]
        assert_equal $ev [s evicted_keys]
        lassign [mem_now] used max
        assert_lessthan_equal $used [expr {$max + 64 * 1024}]
        # reads and deletes still work; freeing memory lets writes in again
        assert_equal $big [r get fill:0]
        assert_equal 200 [r del {*}[keys_of fill: 0 200]]
        assert_equal OK [r set after-del 1]
        r config set maxmemory 0
    }

    # the default sample size with one thread, a larger one with two
    set samples [expr {$threads == 1 ? 5 : 10}]
    test "allkeys-lru: recently used keys survive, idle ones go first (maxmemory-samples $samples, threads $threads)" {
        need_exact_memory
        reset_policy allkeys-lru
        r config set maxmemory-samples $samples
        set rd [redis_deferring_client]
        load_keys $rd cold: 0 4000 $val
        load_keys $rd hot: 0 400 $val
        # Redis's LRU clock ticks once a second: let the cold keys age
        after 1500
        set hot [keys_of hot: 0 400]
        set ::touch_client [redis_client]
        set ::touch_keys $hot
        $::touch_client mget {*}$hot
        set ev [s evicted_keys]
        limit_here
        load_keys $rd new: 0 3000 $val {} 200 {$::touch_client mget {*}$::touch_keys}
        lassign [mem_now] used max
        assert_lessthan_equal $used [expr {$max + 256 * 1024}]
        # no more evictions while counting (every command may evict)
        r config set maxmemory 0
        set hot_alive [alive $hot]
        set cold_alive [alive [keys_of cold: 0 4000]]
        set new_alive [alive [keys_of new: 0 3000]]
        assert_morethan_equal [frac $hot_alive 400] 0.9 "hot $hot_alive/400, cold $cold_alive/4000"
        assert_lessthan_equal [frac $cold_alive 4000] 0.5 "hot $hot_alive/400, cold $cold_alive/4000"
        # every key that is gone was evicted, and counted
        set dbsize [r dbsize]
        assert_equal [expr {$hot_alive + $cold_alive + $new_alive}] $dbsize
        assert_equal [expr {4400 + 3000 - $dbsize}] [expr {[s evicted_keys] - $ev}]
        $::touch_client close
        $rd close
    }

    test "allkeys-lfu: frequently used keys survive (threads $threads)" {
        need_exact_memory
        reset_policy allkeys-lfu
        set rd [redis_deferring_client]
        load_keys $rd cold: 0 4000 $val
        load_keys $rd hot: 0 400 $val
        set hot [keys_of hot: 0 400]
        set ::touch_client [redis_client]
        set ::touch_keys $hot
        for {set i 0} {$i < 30} {incr i} { $::touch_client mget {*}$hot }
        assert_morethan [r object freq hot:0] [r object freq cold:0]
        set ev [s evicted_keys]
        limit_here
        load_keys $rd new: 0 6000 $val {} 200 {$::touch_client mget {*}$::touch_keys}
        set hot_alive [alive $hot]
        set cold_alive [alive [keys_of cold: 0 4000]]
        assert_morethan_equal [frac $hot_alive 400] 0.9 "hot $hot_alive/400, cold $cold_alive/4000"
        assert_lessthan_equal [frac $cold_alive 4000] 0.6 "hot $hot_alive/400, cold $cold_alive/4000"
        assert_morethan [expr {[s evicted_keys] - $ev}] 2000
        $::touch_client close
        $rd close
    }

    test "allkeys-random: touched and untouched keys are both evicted (threads $threads)" {
        need_exact_memory
        reset_policy allkeys-random
        set rd [redis_deferring_client]
        load_keys $rd a: 0 2000 $val
        load_keys $rd b: 0 2000 $val
        set ::touch_client [redis_client]
        set ::touch_keys [keys_of b: 0 2000]
        set ev [s evicted_keys]
        limit_here
        load_keys $rd new: 0 2500 $val {} 250 {$::touch_client mget {*}$::touch_keys}
        set a_alive [alive [keys_of a: 0 2000]]
        set b_alive [alive [keys_of b: 0 2000]]
        set detail "untouched $a_alive/2000, touched $b_alive/2000"
        assert_range [frac $a_alive 2000] 0.05 0.9 $detail
        assert_range [frac $b_alive 2000] 0.05 0.9 $detail
        assert_morethan [expr {[s evicted_keys] - $ev}] 1000
        $::touch_client close
        $rd close
    }

    # volatile-*: persistent keys are never evicted, the volatile ones by
    # the policy; once none is left, writes get the OOM error.
    foreach {policy hot_survives} {volatile-lru 1 volatile-lfu 1 volatile-ttl 1 volatile-random 0} {
        test "$policy: only keys with a TTL are evicted, then OOM (threads $threads)" {
            need_exact_memory
            reset_policy $policy
            set rd [redis_deferring_client]
            # persistent keys, the oldest and least used of all
            load_keys $rd plain: 0 1000 $val
            if {$policy eq "volatile-ttl"} {
                # cold = expires soonest
                load_keys $rd cold: 0 3000 $val {EX 10000}
                load_keys $rd hot: 0 300 $val {EX 10000000}
            } else {
                load_keys $rd cold: 0 3000 $val {EX 10000000}
                load_keys $rd hot: 0 300 $val {EX 10000000}
            }
            set hot [keys_of hot: 0 300]
            set ::touch_client [redis_client]
            set ::touch_keys $hot
            if {$policy eq "volatile-lru"} { after 1500 }
            if {$policy eq "volatile-lfu"} {
                for {set i 0} {$i < 30} {incr i} { $::touch_client mget {*}$hot }
            }
            $::touch_client mget {*}$hot
            limit_here
            # persistent keys added: only volatile ones can make room
            load_keys $rd new: 0 2000 $val {} 200 {$::touch_client mget {*}$::touch_keys}
            assert_equal 1000 [alive [keys_of plain: 0 1000]]
            assert_equal 2000 [alive [keys_of new: 0 2000]]
            set hot_alive [alive $hot]
            set cold_alive [alive [keys_of cold: 0 3000]]
            set detail "hot $hot_alive/300, cold $cold_alive/3000"
            if {$hot_survives} {
                assert_morethan_equal [frac $hot_alive 300] 0.9 $detail
                assert_lessthan_equal [frac $cold_alive 3000] 0.5 $detail
            } else {
                assert_range [frac $hot_alive 300] 0.05 0.9 $detail
                assert_range [frac $cold_alive 3000] 0.05 0.9 $detail
            }

            # more persistent keys until nothing volatile is left: OOM
            set err ""
            set added 0
            for {set i 0} {$i < 10000} {incr i} {
                if {[catch {r set more:$i $val} err]} break
                incr added
            }
            assert_equal $::oom_error $err
            assert_equal 0 [volatile_count] "volatile keys left at the first OOM"
            assert_equal 0 [alive [concat $hot [keys_of cold: 0 3000]]]
            assert_equal 1000 [alive [keys_of plain: 0 1000]]
            assert_equal [expr {3000 + $added}] [r dbsize]
            # reads and deletes still work; SET again once memory is freed
            assert_equal $val [r get plain:0]
            assert_equal 100 [r del {*}[keys_of plain: 0 100]]
            assert_equal OK [r set more:again $val]
            $::touch_client close
            $rd close
            r config set maxmemory 0
        }
    }

    test "volatile-*: a few volatile keys among many persistent ones are found (threads $threads)" {
        need_exact_memory
        set small [string repeat s 100]
        foreach policy {volatile-lru volatile-lfu volatile-ttl volatile-random} {
            reset_policy $policy
            set rd [redis_deferring_client]
            load_keys $rd plain: 0 20000 $small {} 1000
            load_keys $rd vol: 0 200 $small {EX 100000}
            limit_here
            # each new key needs about one volatile key evicted
            for {set i 0} {$i < 50} {incr i} {
                if {[catch {r set new:$i $small} err]} {
                    fail "$policy: SET #$i got '$err' with [alive [keys_of vol: 0 200]] volatile keys left"
                }
            }
            assert_lessthan [alive [keys_of vol: 0 200]] 200 $policy
            assert_equal 20000 [alive [keys_of plain: 0 20000]] $policy
            $rd close
        }
        r config set maxmemory 0
    }

    test "SET flood: used_memory stays at maxmemory (threads $threads)" {
        need_exact_memory
        reset_policy allkeys-lru
        set limit [expr {8 * 1024 * 1024}]
        r config set maxmemory $limit
        set big [string repeat f 1024]
        # one flooding client per server thread
        set clients {}
        for {set t 0} {$t < $threads} {incr t} { lappend clients [redis_deferring_client] }
        set per [expr {50000 / $threads}]
        set chunk 100
        set max_seen 0
        set nsamples 0
        for {set base 0} {$base < $per} {incr base $chunk} {
            set t 0
            foreach c $clients {
                set buf ""
                for {set i $base} {$i < $base + $chunk} {incr i} {
                    append buf [resp_cmd SET flood:$t:$i $big]
                }
                puts -nonewline [$c fd] $buf
                flush [$c fd]
                incr t
            }
            # sampled while the SETs are in flight
            if {($base / $chunk) % (5 / $threads) == 0} {
                set used [mem_field used_memory]
                if {$used > $max_seen} { set max_seen $used }
                incr nsamples
            }
            foreach c $clients {
                set want [string repeat "+OK\r\n" $chunk]
                set got [read_expect [$c fd] $want]
                if {$got ne $want} { fail "flood SET replies: [string range $got 0 200]" }
            }
        }
        assert_morethan $nsamples 40
        assert_lessthan_equal $max_seen [expr {$limit + 1024 * 1024}]
        set used [mem_field used_memory]
        assert_lessthan_equal $used [expr {$limit + 1024 * 1024}]
        # and it is not evicting far more than needed
        assert_morethan_equal $used [expr {$limit * 0.7}]
        assert_morethan [r dbsize] 3000
        assert_morethan_equal [s evicted_keys] [expr {50000 - [r dbsize]}]
        foreach c $clients { $c close }
        r config set maxmemory 0
    }

    foreach policy {allkeys-lru allkeys-lfu allkeys-random volatile-ttl volatile-random} {
        test "CONFIG SET maxmemory below the current use evicts down at once, $policy (threads $threads)" {
            need_exact_memory
            reset_policy $policy
            set rd [redis_deferring_client]
            set base [mem_field used_memory]
            set extra [expr {[string match volatile-* $policy] ? {EX 100000} : {}}]
            load_keys $rd k: 0 20000 $val $extra 500
            set before [r dbsize]
            set limit [expr {$base + 1024 * 1024}]
            assert_morethan [mem_field used_memory] [expr {$limit + 2 * 1024 * 1024}]
            r config set maxmemory $limit
            wait_for_condition 20 50 {[mem_field used_memory] <= $limit} else {
                fail "used_memory [mem_field used_memory] still over maxmemory $limit, [r dbsize] of $before keys left"
            }
            assert_lessthan [r dbsize] [expr {$before / 2}]
            $rd close
        }
    }

    test "volatile-*: a key made persistent is never evicted (threads $threads)" {
        need_exact_memory
        foreach policy {volatile-lru volatile-lfu volatile-ttl volatile-random} {
            reset_policy $policy
            # one connection, so one server thread, does all of it
            set c [redis_client]
            load_keys $c vol: 0 3000 $val {EX 100000}
            limit_here
            # evictions of volatile keys start
            load_keys $c plain: 0 300 $val
            set vols [keys_of vol: 0 3000]
            set persisted 0
            foreach k $vols { incr persisted [$c persist $k] }
            assert_equal 0 [volatile_count] $policy
            set n [r dbsize]
            # below the current use, with nothing volatile: nothing can go
            r config set maxmemory [expr {[mem_field used_memory] - 100 * 1024}]
            assert_error $::oom_error {$c set one-more $val} $policy
            assert_equal $n [r dbsize] $policy
            assert_equal $persisted [alive $vols] $policy
            assert_equal 300 [alive [keys_of plain: 0 300]] $policy
            $c close
        }
        r config set maxmemory 0
    }

    test "maxmemory 0 means no limit (threads $threads)" {
        need_exact_memory
        reset_policy allkeys-lru
        set rd [redis_deferring_client]
        r config set maxmemory 0
        set ev [s evicted_keys]
        set base [mem_field used_memory]
        load_keys $rd k: 0 30000 $val {} 500
        assert_equal 30000 [r dbsize]
        assert_morethan [mem_field used_memory] [expr {$base + 30000 * 200}]
        assert_equal $ev [s evicted_keys]
        $rd close
    }
}

foreach threads {1 2} {
    start_server [list tags {eviction} args [list --io-threads $threads]] {
        eviction_policy_tests $threads

        if {$threads == 1} {
            test {OBJECT IDLETIME grows while a key is idle and resets when touched} {
                reset_policy allkeys-lru
                # not small integers: Redis shares those between keys
                r set idle:a x
                r set idle:b x
                assert_range [r object idletime idle:a] 0 1
                after 2100
                assert_range [r object idletime idle:a] 1 5
                # OBJECT itself does not touch the key
                assert_range [r object idletime idle:a] 1 5
                r get idle:a
                assert_range [r object idletime idle:a] 0 1
                assert_range [r object idletime idle:b] 1 5
                r set idle:b y
                assert_range [r object idletime idle:b] 0 1
                assert_equal {} [r object idletime nokey]
            }

            test {OBJECT FREQ grows with accesses under LFU, errors under LRU} {
                reset_policy allkeys-lfu
                r set f:hot x
                r set f:cold x
                set f0 [r object freq f:hot]
                assert_equal $f0 [r object freq f:cold]
                for {set i 0} {$i < 200} {incr i} { r get f:hot }
                set f1 [r object freq f:hot]
                assert_morethan $f1 $f0
                assert_equal $f0 [r object freq f:cold]
                # more accesses never lower it (within the decay minute)
                for {set i 0} {$i < 200} {incr i} { r get f:hot }
                assert_morethan_equal [r object freq f:hot] $f1
                assert_equal {} [r object freq nokey]
                assert_error {ERR An LFU maxmemory policy is selected, idle time not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.} {r object idletime f:hot}
                foreach p {allkeys-lru volatile-lru noeviction allkeys-random volatile-ttl} {
                    r config set maxmemory-policy $p
                    assert_error {ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.} {r object freq f:hot}
                }
                r config set maxmemory-policy volatile-lfu
                assert_morethan_equal [r object freq f:hot] 0
                r config set maxmemory-policy noeviction
            }
        }
    }
}
