# tests/unit/shutdown.tcl -- the graceful shutdown on SIGTERM (src/shutdown.h):
# new connections are refused at once, connections with requests in flight
# are served to the end, idle ones are closed, the cluster is left while
# the clients are served, and the process exits with status 0 within
# shutdown-timeout. The servers here are started through a pipe (not
# start_server) so that their exit status can be read.

source [file join $::th::root tests helpers cluster.tcl]

set ::tracked {}

# Starts shoal with overrides appended to the generated config and its log
# in a file; returns a record (dict: port pid chan dir log).
proc tracked_start {overrides {args {}}} {
    incr ::th::server_seq
    set dir [file join $::th::tmproot "server.[pid].$::th::server_seq"]
    file delete -force $dir
    file mkdir $dir
    set rec [dict create binary $::th::server_bin dir $dir host 127.0.0.1 \
        port [th::find_free_port] unixsocket "" pid 0 log [file join $dir log] \
        stdout [file join $dir log] stderr [file join $dir stderr]]
    set conf [file join $dir server.conf]
    set fd [open $conf w]
    puts -nonewline $fd [th::build_config $rec \
        [list overrides [concat [list logfile [dict get $rec log]] $overrides]]]
    close $fd
    set chan [open |[list $::th::server_bin $conf {*}$args 2> [dict get $rec stderr]] r]
    set pid [lindex [pid $chan] 0]
    th::emit serverpid $pid
    dict set rec pid $pid
    dict set rec chan $chan
    lappend ::tracked $rec
    if {[th::wait_ready $rec 10] ne "ready"} {
        error "shoal did not start; log:\n[th::tail [th::server_log $rec] 30]"
    }
    return $rec
}

proc tracked_log {rec} {
    return [th::server_log $rec]
}

proc tracked_signal {rec sig} {
    exec kill -$sig [dict get $rec pid]
}

# Waits until the server exits, at most ms after t0; returns its exit
# status and how long after t0 it exited.
proc tracked_wait {rec t0 ms} {
    set pid [dict get $rec pid]
    while {[th::pid_alive $pid]} {
        if {[clock milliseconds] - $t0 > $ms} {
            th::assert_failed "pid $pid still running $ms ms after the signal; log:\n[th::tail [tracked_log $rec] 20]"
        }
        after 5
    }
    set elapsed [expr {[clock milliseconds] - $t0}]
    set chan [dict get $rec chan]
    fconfigure $chan -blocking 1
    set code 0
    if {[catch {close $chan} err opts]} {
        set ec [dict get $opts -errorcode]
        switch -- [lindex $ec 0] {
            CHILDSTATUS { set code [lindex $ec 2] }
            CHILDKILLED { set code "signal [lindex $ec 2]" }
            default { set code "error: $err" }
        }
    }
    set i [lsearch -exact $::tracked $rec]
    if {$i >= 0} { set ::tracked [lreplace $::tracked $i $i] }
    th::emit serverdone $pid
    return [list $code $elapsed]
}

# Whether a new TCP connection to port is refused now.
proc refused {port} {
    if {[catch {socket 127.0.0.1 $port} s]} { return 1 }
    close $s
    return 0
}

proc wait_refused {port ms} {
    set t0 [clock milliseconds]
    while {![refused $port]} {
        if {[clock milliseconds] - $t0 > $ms} { return 0 }
        after 5
    }
    return 1
}

# A client that sent half a command: a request in flight forever. (It
# PINGs first: a connection the server has not accepted yet when the
# listeners close is reset by the kernel, not drained.)
proc half_command_client {port} {
    set c [resp::client 127.0.0.1 $port -deferred 1]
    $c ping
    assert_equal PONG [$c read]
    $c write "*2\r\n\$3\r\nGET\r\n"
    $c flush
    return $c
}

lappend ::th::helper_procs ::tracked_wait

tags {shutdown shoal-only} {

test {SIGTERM under a pipelined load: every reply arrives, then exit status 0} {
    set srv [tracked_start {threads 2}]
    set port [dict get $srv port]
    set nclients 3
    set rounds 30
    set batch 500
    for {set i 0} {$i < $nclients} {incr i} {
        set conn($i) [resp::client 127.0.0.1 $port -deferred 1]
        set payload($i) [string repeat [resp::encode [list incr counter:$i]] $batch]
    }
    for {set round 0} {$round < $rounds} {incr round} {
        for {set i 0} {$i < $nclients} {incr i} {
            $conn($i) write $payload($i)
            $conn($i) flush
        }
        if {$round == 5} {
            tracked_signal $srv TERM
            set t0 [clock milliseconds]
            # the listeners close at once; these connections keep working
            assert_equal 1 [wait_refused $port 2000] "new connections refused"
        }
        for {set i 0} {$i < $nclients} {incr i} {
            for {set k 1} {$k <= $batch} {incr k} {
                set got [$conn($i) read]
                if {$got != $round * $batch + $k} {
                    fail "client $i round $round: reply $got, expected [expr {$round * $batch + $k}]"
                }
            }
        }
    }
    for {set i 0} {$i < $nclients} {incr i} { $conn($i) close }
    lassign [tracked_wait $srv $t0 12000] code elapsed
    assert_equal 0 $code
    set log [tracked_log $srv]
    assert_match "*Received SIGTERM scheduling shutdown...*Stopped accepting connections; draining * connections*Every connection drained*ready to exit, bye bye*" $log
    assert_no_match "*shutdown-timeout (*" $log
}

test {SIGTERM during redis-benchmark: it completes without an error} {
    if {[auto_execok redis-benchmark] eq ""} { skip "redis-benchmark is not installed" }
    set srv [tracked_start {threads 2 shutdown-timeout 60}]
    set port [dict get $srv port]
    set bench [open |[list redis-benchmark -h 127.0.0.1 -p $port -c 8 -n 300000 -P 16 \
        -t set -q 2>@1] r]
    set c [resp::client 127.0.0.1 $port]
    wait_for_condition 1000 5 {
        [dict get [info_dict [$c info stats]] total_commands_processed] > 20000
    } else {
        fail "redis-benchmark did not get going"
    }
    $c close
    tracked_signal $srv TERM
    set t0 [clock milliseconds]
    assert_equal 1 [wait_refused $port 2000] "new connections refused"
    set out [read $bench]
    set bench_code 0
    if {[catch {close $bench} err opts]} { set bench_code [lrange [dict get $opts -errorcode] 0 2] }
    assert_equal 0 $bench_code "redis-benchmark: $out"
    assert_match "*SET: *requests per second*" $out
    assert_no_match "*rror*" $out
    lassign [tracked_wait $srv $t0 60000] code elapsed
    assert_equal 0 $code
    assert_equal 1 [string match "*Every connection drained*" [tracked_log $srv]]
}

test {Idle connections are closed after a short quiet time: they do not hold the shutdown} {
    set srv [tracked_start {}]
    set port [dict get $srv port]
    for {set i 0} {$i < 20} {incr i} {
        set conn($i) [resp::client 127.0.0.1 $port]
        assert_equal PONG [$conn($i) ping]
    }
    tracked_signal $srv TERM
    set t0 [clock milliseconds]
    for {set i 0} {$i < 20} {incr i} {
        assert_equal 1 [$conn($i) wait_close 3000] "client $i closed by the server"
        $conn($i) close
    }
    lassign [tracked_wait $srv $t0 3000] code elapsed
    assert_equal 0 $code
    # quiet for 500 ms after their last command, then closed
    assert_lessthan $elapsed 2000
}

test {A request that never completes holds the drain only until shutdown-timeout} {
    set srv [tracked_start {}]
    set port [dict get $srv port]
    set c [resp::client 127.0.0.1 $port]
    # shutdown-timeout is settable at run time (default 10 s)
    assert_equal {shutdown-timeout 10} [$c config get shutdown-timeout]
    assert_equal OK [$c config set shutdown-timeout 1]
    set half [half_command_client $port]
    tracked_signal $srv TERM
    set t0 [clock milliseconds]
    # INFO server shows Redis's shutdown_in_milliseconds while draining
    wait_for_condition 100 10 {[string match *shutdown_in_milliseconds:* [$c info server]]} else {
        fail "no shutdown_in_milliseconds in INFO server"
    }
    set ms [dict get [info_dict [$c info server]] shutdown_in_milliseconds]
    assert_range $ms 0 1000
    assert_equal 1 [wait_refused $port 2000] "new connections refused"
    assert_equal 1 [th::pid_alive [dict get $srv pid]] "still draining"
    lassign [tracked_wait $srv $t0 5000] code elapsed
    assert_equal 0 $code
    assert_range $elapsed 900 3000
    assert_match "*shutdown-timeout (1 s) reached: closing 1 connection still busy*" [tracked_log $srv]
    $c close
    $half close
}

test {shutdown-timeout 0: no drain} {
    set srv [tracked_start {shutdown-timeout 0}]
    set half [half_command_client [dict get $srv port]]
    tracked_signal $srv TERM
    set t0 [clock milliseconds]
    lassign [tracked_wait $srv $t0 3000] code elapsed
    assert_equal 0 $code
    assert_lessthan $elapsed 1000
    $half close
}

test {A second SIGINT during the drain exits at once, status 1 (as Redis)} {
    set srv [tracked_start {shutdown-timeout 30}]
    set half [half_command_client [dict get $srv port]]
    tracked_signal $srv INT
    set t0 [clock milliseconds]
    wait_for_condition 200 10 {[string match "*Stopped accepting*" [tracked_log $srv]]} else {
        fail "the drain did not start"
    }
    tracked_signal $srv INT
    lassign [tracked_wait $srv $t0 3000] code elapsed
    assert_equal 1 $code
    assert_match "*Received SIGINT scheduling shutdown...*You insist... exiting now.*" [tracked_log $srv]
    $half close
}

set bcport [th::find_free_port]
start_server [cluster::node_options $bcport {} 100] {
    test {The cluster is left while the connections drain} {
        set srv [tracked_start [list cluster-enabled yes cluster-port [th::find_free_port] \
            cluster-probe-interval 100 cluster-seeds 127.0.0.1:$bcport shutdown-timeout 20]]
        set port [dict get $srv port]
        set c [resp::client 127.0.0.1 $port]
        set id [$c cluster myid]
        $c close
        cluster::wait_ms 10000 {[cluster::state_of $id] eq "alive"} "the other node sees it"
        set half [half_command_client $port]
        tracked_signal $srv TERM
        set t0 [clock milliseconds]
        cluster::wait_ms 5000 {[cluster::state_of $id] eq "left"} "the other node sees it leave"
        assert_equal 1 [th::pid_alive [dict get $srv pid]] "still draining after the leave spread"
        # the last request completes: the drain ends
        $half write "\$1\r\nk\r\n"
        $half flush
        assert_equal {} [$half read]
        $half close
        lassign [tracked_wait $srv $t0 5000] code elapsed
        assert_equal 0 $code
        assert_match "*Stopped accepting connections*Leaving the cluster*Every connection drained*" \
            [tracked_log $srv]
    }
}

}

# Anything a failed test left running.
foreach rec $::tracked {
    catch {exec kill -KILL [dict get $rec pid]}
    catch {close [dict get $rec chan]}
    th::emit serverdone [dict get $rec pid]
}
if {$::th::failed == 0 && !$::th::keep_tmp} {
    foreach d [glob -nocomplain -directory $::th::tmproot "server.[pid].*"] {
        catch {file delete -force $d}
    }
}
