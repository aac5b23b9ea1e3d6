# tests/integration/cluster_forward.tcl -- any node serves any key
# (forward.c, peer.c) between real shoal processes on 127.0.0.1: reads and
# writes through every node, pipelines mixing owners, multi-key commands
# split by owner, keyspace-wide commands, databases, RESP3, transactions,
# owners that stop or die, a node joining under load, back-pressure, AUTH
# between peers, and redirect mode with redis-cli -c and redis-py's
# RedisCluster.

source [file join $::th::root tests helpers cluster.tcl]

set T 200   ;# probe interval (ms): quick failure detection

# start_server options for node i of a cluster whose first node listens on
# cluster port seedport; extra directives follow.
proc fwd_opts {cport seedport args} {
    set o [list cluster-enabled yes cluster-port $cport cluster-probe-interval $::T]
    if {$seedport ne ""} { lappend o cluster-seeds 127.0.0.1:$seedport }
    return [list tags {cluster shoal-only} overrides [concat $o $args]]
}

# Waits until every level sees n alive members.
proc wait_members {levels n} {
    foreach l $levels {
        wait_for_condition 500 20 {[cluster::info_field $l cluster_members_alive] == $n} else {
            fail "level $l sees [cluster::info_field $l cluster_members_alive] alive, not $n"
        }
    }
}

# slot -> client port of its owner, as the node at level reports it.
proc slot_owners {level} {
    set owners [lrepeat 16384 0]
    foreach range [r $level cluster slots] {
        lassign $range from to master
        set port [lindex $master 1]
        for {set s $from} {$s <= $to} {incr s} { lset owners $s $port }
    }
    return $owners
}

proc owner_port {owners key} {
    lindex $owners [r cluster keyslot $key]
}

# Keys of the node at level (its own store, not the cluster's).
proc local_keys {level} {
    set info [r $level info keyspace]
    if {[regexp {db0:keys=(\d+)} $info -> n]} { return $n }
    return 0
}

# The tests every cluster size runs: levels are the nodes.
proc basic_forwarding_tests {levels} {
    set n [llength $levels]

    test "$n nodes: every key written through any node reads back through every node" {
        r flushall
        for {set i 0} {$i < 300} {incr i} {
            set l [lindex $levels [expr {$i % $n}]]
            assert_equal OK [r $l set key:$i val:$i]
        }
        foreach l $levels {
            for {set i 0} {$i < 300} {incr i} {
                assert_equal val:$i [r $l get key:$i] "key:$i through level $l"
            }
        }
        # the keys are spread: every node holds some, none holds all
        set total 0
        foreach l $levels {
            set k [local_keys $l]
            assert_morethan $k 0
            assert_lessthan $k 300
            incr total $k
        }
        assert_equal 300 $total
        foreach l $levels { assert_equal 300 [r $l dbsize] }
    }

    test "$n nodes: SCAN through any node returns every key exactly once" {
        foreach l $levels {
            set seen [dict create]
            set cursor 0
            set calls 0
            while 1 {
                lassign [r $l scan $cursor count 17] cursor keys
                foreach k $keys { dict incr seen $k }
                if {[incr calls] > 1000} { fail "SCAN does not end" }
                if {$cursor eq "0"} break
            }
            assert_equal 300 [dict size $seen]
            dict for {k c} $seen { assert_equal 1 $c "$k returned $c times" }
        }
        assert_equal 300 [llength [r [lindex $levels 0] keys key:*]]
        assert_match key:* [r [lindex $levels 0] randomkey]
    }

    test "$n nodes: FLUSHALL through one node empties the cluster" {
        r [lindex $levels end] flushall
        foreach l $levels {
            assert_equal 0 [r $l dbsize]
            assert_equal 0 [local_keys $l]
        }
        assert_equal "" [r [lindex $levels 0] randomkey]
    }
}

set p1 [th::find_free_port]
start_server [fwd_opts $p1 "" cluster-forward-timeout 500] {
start_server [fwd_opts [th::find_free_port] $p1 cluster-forward-timeout 500] {
start_server [fwd_opts [th::find_free_port] $p1 cluster-forward-timeout 500] {
    set levels {-2 -1 0}
    wait_members $levels 3

    basic_forwarding_tests $levels

    test "A pipeline mixing owners gets its replies in command order" {
        set c [resp::client 127.0.0.1 [srv -2 port] -deferred 1]
        for {set i 0} {$i < 500} {incr i} {
            $c set p:$i $i
            $c get p:$i
            $c incr pctr
            $c get p:[expr {$i + 1}]
        }
        for {set i 0} {$i < 500} {incr i} {
            assert_equal OK [$c read]
            assert_equal $i [$c read]
            assert_equal [expr {$i + 1}] [$c read]
            assert_equal "" [$c read]
        }
        $c close
    }

    test "The round trips of a pipeline: one peer write per owner involved" {
        set owners [slot_owners 0]
        set keys {}
        for {set i 0} {$i < 16} {incr i} { lappend keys rt:$i }
        set remote [lsort -unique [lmap k $keys {
            set p [owner_port $owners $k]
            expr {$p == [srv 0 port] ? [continue] : $p}
        }]]
        set before [cluster::info_field 0 cluster_peer_writes]
        set c [resp::client 127.0.0.1 [srv 0 port] -deferred 1]
        $c write [join [lmap k $keys { resp::encode [list GET $k] }] ""]
        $c flush
        foreach k $keys { $c read }
        $c close
        set writes [expr {[cluster::info_field 0 cluster_peer_writes] - $before}]
        assert_morethan [llength $remote] 0
        assert [expr {$writes <= [llength $remote]}] "$writes peer writes for [llength $remote] remote owners"
    }

    test "MGET, MSET, DEL, UNLINK, EXISTS, TOUCH across owners merge in key order" {
        r flushall
        set kv {}
        for {set i 0} {$i < 40} {incr i} { lappend kv m:$i v$i }
        assert_equal OK [r -1 mset {*}$kv]
        set keys [lmap {k v} $kv {set k}]
        set want [lmap {k v} $kv {set v}]
        assert_equal $want [r 0 mget {*}$keys]
        assert_equal [list v1 "" v2 "" v39] [r -2 mget m:1 nosuch m:2 nosuch2 m:39]
        assert_equal 40 [r 0 exists {*}$keys]
        assert_equal 3 [r -2 exists m:1 m:1 m:2 nosuch]
        assert_equal 40 [r -1 touch {*}$keys]
        assert_equal 20 [r -2 del {*}[lrange $keys 0 19] nosuch]
        assert_equal 20 [r 0 unlink {*}[lrange $keys 20 end]]
        assert_equal 0 [r 0 dbsize]
        assert_error "*wrong number of arguments for 'mset'*" {r 0 mset a 1 b}
    }

    test "Commands whose keys live on several owners get CROSSSLOT; hash tags keep them together" {
        set owners [slot_owners 0]
        # two keys with different owners
        set a k0
        for {set i 1} {[owner_port $owners k$i] == [owner_port $owners $a]} {incr i} {}
        set b k$i
        r set $a 1
        assert_error "CROSSSLOT Keys in request don't hash to the same slot" {r msetnx $a 1 $b 2}
        assert_error "CROSSSLOT*" {r rename $a $b}
        assert_equal 0 [r exists $b]
        assert_equal 1 [r msetnx "{t}x" 1 "{t}y" 2]
        assert_equal OK [r -1 rename "{t}x" "{t}z"]
        assert_equal {1 2} [r -2 mget "{t}z" "{t}y"]
    }

    test "The selected database travels with forwarded commands" {
        set c [resp::client 127.0.0.1 [srv -2 port]]
        $c select 5
        for {set i 0} {$i < 30} {incr i} { $c set db5:$i $i }
        $c select 0
        for {set i 0} {$i < 30} {incr i} { assert_equal "" [$c get db5:$i] }
        $c close
        set c [resp::client 127.0.0.1 [srv 0 port]]
        $c select 5
        for {set i 0} {$i < 30} {incr i} { assert_equal $i [$c get db5:$i] }
        assert_equal 30 [$c dbsize]
        assert_equal OK [$c flushdb]
        assert_equal 0 [$c dbsize]
        $c close
    }

    test "RESP3 clients get RESP3 replies from remote owners" {
        set owners [slot_owners 0]
        set key r3
        for {set i 0} {[owner_port $owners $key] == [srv 0 port]} {incr i} { set key r3:$i }
        set c [resp::client 127.0.0.1 [srv 0 port]]
        $c hello 3
        $c deferred 1
        $c readraw 1
        $c get $key
        assert_equal "_" [$c read]
        $c set $key v
        assert_equal "+OK" [$c read]
        $c mget $key nosuch:1 nosuch:2 nosuch:3
        assert_equal "*4" [$c read]
        assert_equal "\$1" [$c read]
        assert_equal "v" [$c read]
        foreach _ {1 2 3} { assert_equal "_" [$c read] }
        $c close
    }

    test "MULTI/EXEC on one remote owner runs there; spanning owners is refused and nothing runs" {
        set owners [slot_owners 0]
        set mine [srv 0 port]
        set remote {}
        for {set i 0} {[llength $remote] < 2} {incr i} {
            set p [owner_port $owners tx:$i]
            if {$p != $mine && ($remote eq "" || $p != [owner_port $owners [lindex $remote 0]])} {
                lappend remote tx:$i
            }
        }
        lassign $remote ka kb
        r del $ka $kb
        r multi
        r set $ka 1
        r incr $ka
        r get $ka
        assert_equal {OK 2 2} [r exec]
        r multi
        r set $ka spanned
        r set $kb spanned
        assert_error "CROSSSLOT*" {r exec}
        assert_equal 2 [r get $ka]
        assert_equal 0 [r exists $kb]
        assert_error "*EXEC without MULTI*" {r exec}
    }

    test "WATCH on a remote key: a change by another client aborts EXEC" {
        set owners [slot_owners 0]
        set key w0
        for {set i 0} {[owner_port $owners $key] == [srv 0 port]} {incr i} { set key w:$i }
        set other [resp::client 127.0.0.1 [srv -1 port]]
        r set $key 0
        assert_equal OK [r watch $key]
        $other set $key changed
        r multi
        r set $key mine
        assert_equal "" [r exec]
        assert_equal changed [r get $key]
        r watch $key
        r multi
        r set $key mine
        assert_equal OK [r exec]
        assert_equal mine [r get $key]
        $other close
    }

    test "An owner that stops answering: TRYAGAIN within the timeout, other keys unaffected" {
        set owners [slot_owners -2]
        set here [srv -2 port]
        set stopped [srv 0 port]
        set kstop k
        for {set i 0} {[owner_port $owners $kstop] != $stopped} {incr i} { set kstop k:$i }
        set khere h
        for {set i 0} {[owner_port $owners $khere] != $here} {incr i} { set khere h:$i }
        r -2 set $khere local
        exec kill -STOP [srv 0 pid]
        try {
            set t0 [clock milliseconds]
            assert_error "TRYAGAIN*did not answer within 500 ms*" {r -2 get $kstop}
            set took [expr {[clock milliseconds] - $t0}]
            assert [expr {$took >= 400 && $took < 3000}] "answered after $took ms"
            # a pipeline mixing both: the local key's reply waits for its turn only
            set c [resp::client 127.0.0.1 $here -deferred 1]
            $c get $khere
            $c get $kstop
            $c get $khere
            assert_equal local [$c read]
            assert_error "TRYAGAIN*" {$c read}
            assert_equal local [$c read]
            $c close
            # another client of the same node is served at once meanwhile
            set c [resp::client 127.0.0.1 $here -deferred 1]
            $c get $kstop
            $c flush
            set t1 [clock milliseconds]
            assert_equal local [r -2 get $khere]
            assert_lessthan [expr {[clock milliseconds] - $t1}] 300
            assert_error "TRYAGAIN*" {$c read}
            $c close
        } finally {
            exec kill -CONT [srv 0 pid]
        }
        wait_for_condition 100 50 {![catch {r -2 get $kstop}]} else {
            fail "the owner does not answer after SIGCONT"
        }
    }

    test "Back-pressure: a stalled owner cannot make the node queue without bound" {
        r -2 config set cluster-forward-buffer-limit 64kb
        set owners [slot_owners -2]
        set stopped [srv 0 port]
        set kstop k
        for {set i 0} {[owner_port $owners $kstop] != $stopped} {incr i} { set kstop k:$i }
        set big [string repeat x 8000]
        exec kill -STOP [srv 0 pid]
        try {
            set c [resp::client 127.0.0.1 [srv -2 port] -deferred 1]
            for {set i 0} {$i < 50} {incr i} { $c set $kstop $big }
            set refused 0
            for {set i 0} {$i < 50} {incr i} {
                if {[catch {$c read} e]} {
                    if {[string match "*cluster-forward-buffer-limit*" $e]} { incr refused }
                }
            }
            assert_morethan $refused 30
            $c close
        } finally {
            exec kill -CONT [srv 0 pid]
            r -2 config set cluster-forward-buffer-limit 64mb
        }
    }

    test "INFO cluster reports forwarding and the cluster's keys" {
        r flushall
        for {set i 0} {$i < 50} {incr i} { r -2 set i:$i $i }
        # (late SETs of the back-pressure test may still land: compare with
        # the cluster-wide DBSIZE rather than a constant)
        wait_for_condition 50 100 {[r -2 dbsize] >= 50 &&
                                   [cluster::info_field -2 cluster_keys] == [r -2 dbsize]} else {
            fail "cluster_keys is [cluster::info_field -2 cluster_keys], DBSIZE [r -2 dbsize]"
        }
        assert_morethan [cluster::info_field -2 cluster_forwarded_requests] 0
    }

    test "kill -9 of an owner under load: timely errors, then successes once it is dead" {
        set owners [slot_owners -2]
        set victim [srv 0 port]
        set keys {}
        for {set i 0} {[llength $keys] < 20} {incr i} {
            if {[owner_port $owners kl:$i] == $victim} { lappend keys kl:$i }
        }
        expect_server_exit 0
        exec kill -9 [srv 0 pid]
        set t0 [clock milliseconds]
        set errors 0
        set slowest 0
        set ok_streak 0
        set c [resp::client 127.0.0.1 [srv -2 port]]
        while {$ok_streak < 40} {
            if {[clock milliseconds] - $t0 > 20000} { fail "still failing after 20 s ($errors errors)" }
            set k [lindex $keys [expr {int(rand() * 20)}]]
            set t1 [clock milliseconds]
            if {[catch {$c set $k v} e]} {
                assert_match "TRYAGAIN*" $e
                incr errors
                set ok_streak 0
                after 20
            } else {
                incr ok_streak
            }
            set slowest [expr {max($slowest, [clock milliseconds] - $t1)}]
        }
        puts "measured: owner killed: $errors errors, successes after [expr {[clock milliseconds] - $t0}] ms, slowest request $slowest ms"
        assert_lessthan $slowest 3000
        assert_equal OK [$c set [lindex $keys 0] after]
        assert_equal after [r -1 get [lindex $keys 0]]
        $c close
        restart_server 0
        wait_members $levels 3
    }
}
}
}

# Peers authenticate: requirepass everywhere (the links AUTH with it), and
# a cluster-secret instead.
foreach {variant extra} {
    requirepass {requirepass s3cret}
    cluster-secret {requirepass s3cret cluster-secret peers-only}
} {
    set p1 [th::find_free_port]
    start_server [fwd_opts $p1 "" {*}$extra] {
    start_server [fwd_opts [th::find_free_port] $p1 {*}$extra] {
    start_server [fwd_opts [th::find_free_port] $p1 {*}$extra] {
        test "Forwarding with $variant: peers authenticate, clients still must" {
            set c [resp::client 127.0.0.1 [srv 0 port]]
            assert_error "NOAUTH*" {$c get x}
            $c auth s3cret
            wait_for_condition 500 20 {[$c info cluster] ne "" && [cluster::info_field_of $c cluster_members_alive] == 3} else {
                fail "no convergence"
            }
            for {set i 0} {$i < 60} {incr i} { assert_equal OK [$c set a:$i $i] }
            set d [resp::client 127.0.0.1 [srv -2 port]]
            $d auth s3cret
            for {set i 0} {$i < 60} {incr i} { assert_equal $i [$d get a:$i] }
            assert_equal 60 [$d dbsize]
            $c close
            $d close
        }
        if {$variant eq "cluster-secret"} {
            test "A wrong cluster secret is refused" {
                set c [resp::client 127.0.0.1 [srv 0 port]]
                assert_error "WRONGPASS invalid cluster secret" {$c cluster peerlink x wrong}
                assert_error "NOAUTH*" {$c get x}
                $c close
            }
        }
    }
    }
    }
}

# Five nodes.
set p1 [th::find_free_port]
start_server [fwd_opts $p1 ""] {
start_server [fwd_opts [th::find_free_port] $p1] {
start_server [fwd_opts [th::find_free_port] $p1] {
start_server [fwd_opts [th::find_free_port] $p1] {
start_server [fwd_opts [th::find_free_port] $p1] {
    set levels {-4 -3 -2 -1 0}
    wait_members $levels 5
    basic_forwarding_tests $levels

    test "A node joining under load: misses only for the slots it takes" {
        r flushall
        for {set i 0} {$i < 1000} {incr i} { r -4 set j:$i $i }
        # load through two nodes while the sixth joins (bounded: stops by itself)
        set load {}
        if {![catch {exec which redis-benchmark}]} {
            foreach l {-4 -1} {
                lappend load [exec redis-benchmark -p [srv $l port] -n 40000 -c 4 -r 100000 \
                    -t set,get -q > /dev/null 2>@1 &]
            }
        }
        start_server [fwd_opts [th::find_free_port] $p1] {
            wait_members {-5 -4 -3 -2 -1 0} 6
            set after [slot_owners -5]
            set newport [srv 0 port]
            set misses 0
            set wrong 0
            for {set i 0} {$i < 1000} {incr i} {
                set v [r -5 get j:$i]
                set moved [expr {[owner_port $after j:$i] == $newport}]
                if {$v eq ""} {
                    incr misses
                    if {!$moved} { incr wrong }
                } elseif {$moved || $v ne $i} {
                    incr wrong
                }
            }
            foreach pid $load {
                wait_for_condition 600 100 {![th::pid_alive $pid]} else { fail "redis-benchmark still runs" }
            }
            puts "measured: node 6 joined: $misses of 1000 keys missed (the slots it took)"
            assert_equal 0 $wrong
            assert_morethan $misses 50
            assert_lessthan $misses 400
        }
    }
}
}
}
}
}

# Redirect mode, for cluster-aware clients.
set p1 [th::find_free_port]
start_server [fwd_opts $p1 "" cluster-mode redirect] {
start_server [fwd_opts [th::find_free_port] $p1 cluster-mode redirect] {
start_server [fwd_opts [th::find_free_port] $p1 cluster-mode redirect] {
    set levels {-2 -1 0}
    wait_members $levels 3

    test "Redirect mode: MOVED to the owner, CROSSSLOT, SELECT and READONLY as Redis Cluster" {
        set owners [slot_owners 0]
        set key m
        for {set i 0} {[owner_port $owners $key] == [srv 0 port]} {incr i} { set key m:$i }
        set slot [r cluster keyslot $key]
        assert_error "MOVED $slot 127.0.0.1:[owner_port $owners $key]" {r get $key}
        set mine k
        for {set i 0} {[owner_port $owners $mine] != [srv 0 port]} {incr i} { set mine k:$i }
        assert_equal OK [r set $mine v]
        assert_error "CROSSSLOT Keys in request don't hash to the same slot" {r mget "{a}1" "{b}1"}
        assert_error "ERR SELECT is not allowed in cluster mode" {r select 1}
        assert_equal OK [r select 0]
        assert_equal OK [r readonly]
        assert_equal OK [r readwrite]
        assert_equal OK [r asking]
        r multi
        assert_error "MOVED*" {r set $key x}
        assert_error "EXECABORT*" {r exec}
    }

    test "Redirect mode: CLUSTER SLOTS covers every slot once, ranges merged" {
        set covered 0
        set prev_to -1
        set prev_port ""
        foreach range [lsort -integer -index 0 [r cluster slots]] {
            lassign $range from to master
            assert_equal [expr {$prev_to + 1}] $from
            assert [expr {[lindex $master 1] ne $prev_port}] "adjacent ranges of one owner are merged"
            incr covered [expr {$to - $from + 1}]
            set prev_to $to
            set prev_port [lindex $master 1]
        }
        assert_equal 16384 $covered
    }

    test "Redirect mode: redis-cli -c follows MOVED" {
        if {[catch {exec which redis-cli}]} { skip "redis-cli is not installed" }
        for {set i 0} {$i < 20} {incr i} {
            assert_equal OK [exec redis-cli -c -p [srv 0 port] set cli:$i $i]
        }
        for {set i 0} {$i < 20} {incr i} {
            assert_equal $i [exec redis-cli -c -p [srv -1 port] get cli:$i]
        }
    }

    test "Redirect mode: redis-py's RedisCluster bootstraps and follows redirects" {
        set py [file join $::th::root tests clients redis_cluster_check.py]
        if {[catch {exec /usr/bin/python3 -c "import redis.cluster"}]} {
            skip "python3-redis with RedisCluster is not installed"
        }
        set out [exec /usr/bin/python3 $py 127.0.0.1 [srv -2 port]]
        assert_match "*ok 200 keys*" $out
    }
}
}
}
