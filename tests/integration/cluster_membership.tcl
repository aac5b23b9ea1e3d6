# tests/integration/cluster_membership.tcl -- cluster membership (SWIM with
# Lifeguard, cluster.c) between real shoal processes on 127.0.0.1: joining,
# failure detection, rejoining, graceful leave, refutation after a pause,
# seeds, garbage on the cluster port, and (as root with ip netns) a network
# partition that heals by itself.
#
# The probe interval is lowered to T = 300 ms to keep the file fast; every
# other SWIM timing scales with it (cluster.c). Not lower: the pause test
# needs its margin of 2 T to be long in absolute time too, against
# scheduling stalls when the suite runs files in parallel on a small
# machine. The bounds asserted below are computed from the protocol's
# parameters (swim.h defaults: suspicion alpha = 4, beta = 6; reconnect
# interval 30 T), for N members:
#
#   detection  D = 2(N-1)T      first probe of the dead member (shuffled
#                                round robin: worst case across two rounds)
#                + T            that probe's period ends without an ack
#                + beta*alpha*max(1, log10 N)*T   longest suspicion
#                + 2T           gossip and timer slack
#              = 35 T for N = 5: 10.5 s here, 35 s with the default T = 1 s
#   healing    H = 45T          retry of dead members and seeds: every
#                               30T, jittered to [15T, 45T)
#                + 10T          push-pull, refutation, gossip
#              = 55 T: 16.5 s here, 55 s with the default T = 1 s
#
# The partition is held past the suspicion timeout and past the 30T during
# which members keep gossiping to the newly dead, so that healing has to
# come from those retries.
#
# Measured times are printed (lines starting "measured:").

source [file join $::th::root tests helpers cluster.tcl]

set T 300
set N 5
set alpha 4
set beta 6
set log10n [expr {max(1.0, log10($N))}]
set detect_ms [expr {int(2 * ($N - 1) * $T + $T + $beta * $alpha * $log10n * $T + 2 * $T)}]
set heal_ms [expr {55 * $T}]

# Cluster ports: node i listens on [lindex $cports $i-1]; every node seeds
# the first two (node 1 seeds itself too, which it must skip).
set cports {}
for {set i 0} {$i < $N} {incr i} { lappend cports [th::find_free_port] }
set seeds [list 127.0.0.1:[lindex $cports 0] 127.0.0.1:[lindex $cports 1]]

proc node_opts {i} {
    cluster::node_options [lindex $::cports [expr {$i - 1}]] $::seeds $::T
}

# Node i (1..5) is at level i-5.
proc all_levels {} { list -4 -3 -2 -1 0 }
proc ids_of {levels} {
    set ids {}
    foreach l $levels { lappend ids [r $l cluster myid] }
    return $ids
}

# Polls the levels until each sees member id in state st; returns level ->
# ms from t0 to first seen. Fails after max_ms.
proc wait_all_see {levels id st t0 max_ms} {
    set seen [dict create]
    set deadline [expr {$t0 + $max_ms}]
    while {[dict size $seen] < [llength $levels]} {
        foreach l $levels {
            if {[dict exists $seen $l]} continue
            set s [cluster::state_of $id $l]
            if {$s eq $st} {
                dict set seen $l [expr {[clock milliseconds] - $t0}]
            }
        }
        if {[clock milliseconds] > $deadline} {
            set missing {}
            foreach l $levels {
                if {![dict exists $seen $l]} { lappend missing "level $l: [cluster::state_of $id $l]" }
            }
            fail "not every node saw $id $st within $max_ms ms: [join $missing {, }]"
        }
        after 10
    }
    return $seen
}

proc max_of {d} { tcl::mathfunc::max {*}[dict values $d] }

# The five nodes' ids, once all five see each other alive (a test starts
# from a settled cluster, whatever the one before left in flight).
proc settled_ids {} {
    set ids [ids_of [all_levels]]
    cluster::wait_ms 10000 {[cluster::all_see_alive [all_levels] $ids]} "the cluster is not settled"
    return $ids
}

start_server [node_opts 1] {
start_server [node_opts 2] {
start_server [node_opts 3] {
start_server [node_opts 4] {
start_server [node_opts 5] {
    test "Cluster directives are shown by CONFIG GET" {
        assert_equal [list cluster-enabled yes] [r config get cluster-enabled]
        assert_equal [list cluster-port [lindex $cports 4]] [r config get cluster-port]
        assert_equal [list cluster-seeds [join $seeds ,]] [r config get cluster-seeds]
        assert_equal {cluster-name shoal} [r config get cluster-name]
        assert_equal [list cluster-probe-interval $T] [r config get cluster-probe-interval]
        assert_equal {cluster-leave-timeout 2000} [r config get cluster-leave-timeout]
        assert_error "*can't set immutable config*" {r config set cluster-port 1}
    }

    test "Five nodes converge: each sees the five alive" {
        set ids [ids_of [all_levels]]
        assert_equal 5 [llength [lsort -unique $ids]]
        wait_for_condition 500 20 {[cluster::all_see_alive [all_levels] $ids]} else {
            fail "no convergence: [cluster::states 0]"
        }
        # from the logs: the 5th node's start to the last "is now alive"
        set t5 [cluster::log_last_ms [srv_log 0] "*I'm *"]
        set last 0
        foreach l [all_levels] {
            set last [expr {max($last, [cluster::log_last_ms [srv_log $l] "*is now alive*"])}]
        }
        puts "measured: 5 nodes converged [expr {$last - $t5}] ms after the 5th node started (nodes started one after the other)"
        foreach l [all_levels] {
            assert_equal 5 [cluster::info_field $l cluster_members_alive]
            assert_equal 5 [cluster::info_field $l cluster_slotmap_owners]
        }
        # every node computed the same slot map
        set versions {}
        foreach l [all_levels] { lappend versions [cluster::info_field $l cluster_slotmap_version] }
        assert_equal 1 [llength [lsort -unique $versions]] $versions
    }

    test "kill -9 of a node: every other marks it dead within D, and it rejoins with a new id" {
        set ids [settled_ids]
        set victim [lindex $ids 4]
        set others {-4 -3 -2 -1}
        expect_server_exit 0
        set t0 [clock milliseconds]
        exec kill -9 [srv 0 pid]
        set seen [wait_all_see $others $victim dead $t0 $detect_ms]
        puts "measured: kill -9 detected (dead) by each other node after [dict values $seen] ms (max [max_of $seen], bound D = $detect_ms ms)"

        set t1 [clock milliseconds]
        restart_server 0
        set new [r cluster myid]
        assert_not_equal $victim $new
        wait_for_condition 500 20 {[cluster::all_see_alive [all_levels] [lreplace $ids 4 4 $new]]} else {
            fail "the restarted node did not rejoin: [cluster::states -1]"
        }
        puts "measured: restarted node seen alive by all [expr {[clock milliseconds] - $t1}] ms after its restart (incl. start-up)"
        foreach l $others {
            assert [expr {[cluster::state_of $victim $l] in {dead {}}}] "old id on level $l"
        }
    }

    test "SIGTERM: the node leaves gracefully and the others mark it left, not dead" {
        set ids [settled_ids]
        set leaver [lindex $ids 4]
        set others {-4 -3 -2 -1}
        expect_server_exit 0
        set t0 [clock milliseconds]
        exec kill -TERM [srv 0 pid]
        set seen [wait_all_see $others $leaver left $t0 2000]
        puts "measured: SIGTERM seen as left by each other node after [dict values $seen] ms"
        assert [th::wait_exit [srv 0 pid] 5000] "the node did not exit"
        assert_match "*Left the cluster*" [srv_log 0]
        foreach l $others {
            assert_equal 0 [count_log_lines "*Node $leaver * is now dead*" $l]
        }
        restart_server 0
        wait_for_condition 500 20 {[cluster::all_see_alive [all_levels] [lreplace $ids 4 4 [r cluster myid]]]} else {
            fail "the restarted node did not rejoin"
        }
    }

    test "SHUTDOWN also announces the leave" {
        set ids [settled_ids]
        set leaver [lindex $ids 4]
        expect_server_exit 0
        set t0 [clock milliseconds]
        catch {r shutdown}
        wait_all_see {-4 -3 -2 -1} $leaver left $t0 2000
        restart_server 0
        wait_for_condition 500 20 {[cluster::all_see_alive [all_levels] [lreplace $ids 4 4 [r cluster myid]]]} else {
            fail "the restarted node did not rejoin"
        }
    }

    test "SIGSTOP for several probe periods, then SIGCONT: the node refutes and nobody is marked dead" {
        set ids [settled_ids]
        set paused [lindex $ids 2]
        set others {-4 -3 -1 0}
        set deaths_before 0
        foreach l [all_levels] { incr deaths_before [count_log_lines "*is now dead*" $l] }
        set refutations [cluster::info_field -2 cluster_swim_refutations]
        exec kill -STOP [srv -2 pid]
        set t0 [clock milliseconds]
        # at least 3 periods, and until some node suspects it, at most 4 T.
        # A suspicion starts one period after a missed probe at the
        # earliest and lasts at least alpha*T = 4 T, so the node resumes at
        # least 2 T before anyone may declare it dead.
        set suspected 0
        while {[clock milliseconds] - $t0 < 4 * $T} {
            foreach l $others {
                if {[cluster::state_of $paused $l] eq "suspect"} { set suspected 1 }
            }
            if {$suspected && [clock milliseconds] - $t0 >= 3 * $T} break
            after 10
        }
        exec kill -CONT [srv -2 pid]
        set stopped [expr {[clock milliseconds] - $t0}]
        # watch 10 T: none of the five may be marked dead (earlier tests
        # left dead ids of replaced nodes around: those don't count)
        set until [expr {[clock milliseconds] + 10 * $T}]
        while {[clock milliseconds] < $until} {
            foreach l [all_levels] {
                dict for {id st} [cluster::states $l] {
                    if {$st eq "dead" && $id in $ids} { fail "level $l marked $id dead after the pause" }
                }
            }
            after 20
        }
        wait_for_condition 100 20 {[cluster::all_see_alive [all_levels] $ids]} else {
            fail "not all alive again: [cluster::states 0]"
        }
        set deaths_after 0
        foreach l [all_levels] { incr deaths_after [count_log_lines "*is now dead*" $l] }
        assert_equal $deaths_before $deaths_after
        if {$suspected} {
            assert_morethan [cluster::info_field -2 cluster_swim_refutations] $refutations
        }
        puts "measured: paused $stopped ms, suspected by another node: [expr {$suspected ? "yes, refuted" : "no"}]"
    }

    test "Garbage UDP and TCP on the cluster port: dropped and counted, membership unaffected" {
        set ids [settled_ids]
        set cport [lindex $cports 4]
        set before [cluster::info_field 0 cluster_swim_dropped]
        set changes [count_log_lines "*Node * is now *" 0]

        # UDP: random bytes (a version byte no SWIM packet has), empty, and
        # oversized datagrams
        set payloads [list "" [string repeat x 1500]]
        for {set i 0} {$i < 30} {incr i} {
            lappend payloads "\xff[randstring 0 1200 binary]"
        }
        cluster::udp_send 127.0.0.1 $cport $payloads
        wait_for_condition 100 20 {[cluster::info_field 0 cluster_swim_dropped] >= $before + 30} else {
            fail "UDP garbage not counted: [cluster::info_field 0 cluster_swim_dropped] (was $before)"
        }

        # TCP: not our frame; an absurd length; a frame of garbage; a frame
        # cut short; nothing at all (closed at the exchange deadline)
        set before [cluster::info_field 0 cluster_swim_dropped]
        set cases [list \
            "GET / HTTP/1.0\r\n\r\n" \
            "SHC1\xff\xff\xff\xff" \
            "SHC1\x00\x00\x00\x40[randstring 64 64 binary]" \
            "SHC1\x00\x00\x03\xe8[randstring 10 10 binary]" \
            ""]
        foreach bytes $cases {
            assert [cluster::tcp_garbage 127.0.0.1 $cport $bytes 5000] "not closed: [th::show $bytes]"
        }
        # a burst of idle connections beyond the limit: the excess is refused
        set socks {}
        for {set i 0} {$i < 40} {incr i} { lappend socks [socket 127.0.0.1 $cport] }
        after 200
        foreach s $socks { close $s }
        wait_for_condition 200 20 {[cluster::info_field 0 cluster_swim_dropped] >= $before + 5 + 8} else {
            fail "TCP garbage not counted: [cluster::info_field 0 cluster_swim_dropped] (was $before)"
        }

        assert_equal PONG [r ping]
        assert [cluster::all_see_alive [all_levels] $ids]
        assert_equal $changes [count_log_lines "*Node * is now *" 0]
    }

    test "Seeds: a DNS name, and a list with dead addresses, both join" {
        set ids [settled_ids]
        set dead1 [th::find_free_port]
        set dead2 [th::find_free_port]
        set c6 [th::find_free_port]
        set c7 [th::find_free_port]
        start_server [cluster::node_options $c6 [list localhost:[lindex $cports 2]] $T] {
            start_server [cluster::node_options $c7 [list 127.0.0.1:$dead1 127.0.0.1:$dead2 127.0.0.1:[lindex $cports 3]] $T] {
                set all [concat $ids [r -1 cluster myid] [r cluster myid]]
                wait_for_condition 500 20 {[cluster::all_see_alive {-6 -5 -4 -3 -2 -1 0} $all]} else {
                    fail "the new nodes did not join: [cluster::states 0]"
                }
            }
        }
    }

    test "A node whose seed is not up yet keeps retrying and joins once it is" {
        set ids [settled_ids]
        set late [th::find_free_port]
        set c6 [th::find_free_port]
        start_server [cluster::node_options $c6 [list 127.0.0.1:$late] $T] {
            after [expr {5 * $T}]
            assert_equal 1 [llength [cluster::members 0]]
            start_server [cluster::node_options $late $seeds $T] {
                set all [concat $ids [r -1 cluster myid] [r cluster myid]]
                wait_for_condition 500 20 {[cluster::all_see_alive {-6 -5 -4 -3 -2 -1 0} $all]} else {
                    fail "the waiting node did not join: [cluster::states -1]"
                }
            }
        }
    }
}}}}}

start_server {tags {cluster}} {
    test "With cluster-enabled no there is no cluster" {
        assert_equal {cluster-enabled no} [r config get cluster-enabled]
        assert_equal 0 [cluster::info_field 0 cluster_enabled]
        assert_error "*cluster support disabled*" {r cluster info}
        # nothing listens on port+10000
        assert [catch {socket 127.0.0.1 [expr {[srv port] + 10000}]}]
    }
}

test "Bad cluster configuration stops start-up" {
    set r [run_server_expect_exit {overrides {cluster-enabled yes cluster-seeds "nocolon"}}]
    assert_equal 1 [dict get $r exitcode]
    assert_match "*Invalid cluster-seeds entry 'nocolon'*" [dict get $r output]
    set r [run_server_expect_exit {overrides {cluster-enabled yes cluster-announce-ip "not-an-ip"}}]
    assert_equal 1 [dict get $r exitcode]
    assert_match "*cluster-announce-ip*" [dict get $r output]
} {cluster shoal-only}

# ---- a partition, in network namespaces ----

test "A partition of 2 from 3 held past the suspicion timeout heals by itself" {
    if {![cluster::netns_available]} { skip "needs root and ip netns" }
    # a subnet per run, so that two runs of the suite on one host do not meet
    set prefix 10.213.[expr {[pid] % 200 + 20}]
    if {[string first "$prefix." [exec ip -4 addr]] >= 0} { skip "$prefix.0/24 is in use here" }
    set n 5
    set dirs {}
    set pids {}
    set problems {}
    try {
        set net [cluster::netns_setup $n $prefix]
        set spawned [clock milliseconds]
        for {set i 1} {$i <= $n} {incr i} {
            set dir [file join $::th::tmproot "cluster.[pid].netns.$i"]
            file delete -force $dir
            lappend dirs $dir
            set conf "bind $prefix.$i\nport 6379\nprotected-mode no\ncluster-enabled yes\ncluster-port 16379\n"
            append conf "cluster-seeds $prefix.1:16379,$prefix.4:16379\ncluster-probe-interval $T\n"
            lappend pids [cluster::netns_spawn [lindex [dict get $net ns] [expr {$i - 1}]] $dir $conf]
        }
        # ids from the logs; states from the logs too, since during the
        # partition this process reaches only one side
        set ids {}
        foreach dir $dirs {
            wait_for_condition 250 20 {[cluster::log_my_id [cluster::netns_log $dir]] ne ""} else {
                fail "a node did not start: [cluster::netns_log $dir]"
            }
            lappend ids [cluster::log_my_id [cluster::netns_log $dir]]
        }
        set everyone {0 1 2 3 4}
        cluster::wait_ms 10000 {[cluster::logs_agree $dirs $ids $everyone $everyone alive]} \
            "the namespaced cluster did not converge"
        puts "measured: 5 nodes started together converged within [expr {[clock milliseconds] - $spawned}] ms of their spawn"
        # the client port answers across the bridge
        set c [resp::client $prefix.1 6379]
        assert_equal 5 [cluster::info_field_of $c cluster_members_alive]
        $c close

        set t0 [clock milliseconds]
        cluster::netns_attach $net {4 5} b
        # several members fail at once: each must be probed in turn, and
        # Lifeguard slows the probing of nodes whose probes fail: 2 D
        set ms [cluster::wait_ms [expr {2 * $detect_ms}] {[cluster::logs_agree $dirs $ids {0 1 2} {3 4} dead] &&
                                             [cluster::logs_agree $dirs $ids {3 4} {0 1 2} dead]} \
            "the sides did not mark each other dead"]
        puts "measured: partition detected (each side marked the other dead) after $ms ms"
        # hold it past the longest suspicion timeout, and then past the
        # time the dead are still gossiped to (30 T)
        set hold [expr {max($beta * $alpha * $T, $ms) + 32 * $T}]
        while {[clock milliseconds] - $t0 < $hold} { after 50 }
        assert [cluster::logs_agree $dirs $ids {0 1 2} {0 1 2} alive] "majority side"
        assert [cluster::logs_agree $dirs $ids {3 4} {3 4} alive] "minority side"

        cluster::netns_attach $net {4 5} a
        set ms [cluster::wait_ms $heal_ms {[cluster::logs_agree $dirs $ids $everyone $everyone alive]} \
            "the partition did not heal"]
        puts "measured: partition healed (all alive everywhere) $ms ms after the network was (bound H = $heal_ms ms)"
    } finally {
        foreach pid $pids dir $dirs {
            if {$pid eq ""} continue
            set p [cluster::netns_stop $pid $dir]
            if {$p ne ""} { lappend problems $p }
        }
        cluster::netns_teardown
    }
    if {[llength $problems]} { fail [join $problems "\n"] }
    foreach dir $dirs { file delete -force $dir }
} {cluster shoal-only netns}
