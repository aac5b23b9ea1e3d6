# tests/helpers/cluster.tcl -- helpers for cluster membership tests: node
# options for start_server, membership as each node reports it (CLUSTER
# MEMBERS) or logs it ("Node <id> (...) is now <state>"), raw traffic to a
# cluster port, and a small network of namespaces for partition tests.
#
# Sourced by the test files that need it:
#   source [file join $::th::root tests helpers cluster.tcl]

namespace eval cluster {
    variable netns {}           ;# the namespaces network, see netns_setup
}

# start_server options for a cluster node: cluster port cport, seeds (a
# list of host:port) and probe interval (ms).
proc cluster::node_options {cport seeds interval} {
    set o [list cluster-enabled yes cluster-port $cport cluster-probe-interval $interval]
    if {[llength $seeds]} { lappend o cluster-seeds [join $seeds ,] }
    return [list tags {cluster shoal-only} overrides $o]
}

# CLUSTER MEMBERS of the server at level, as a list of dicts.
proc cluster::members {{level 0}} {
    set out {}
    foreach m [r $level cluster members] { lappend out $m }
    return $out
}

# id -> state, as the server at level sees its members (itself included).
proc cluster::states {{level 0}} {
    set d [dict create]
    foreach m [cluster::members $level] {
        dict set d [dict get $m id] [dict get $m state]
    }
    return $d
}

# The state of member id as the server at level sees it ("" if unknown).
proc cluster::state_of {id {level 0}} {
    set d [cluster::states $level]
    if {[dict exists $d $id]} { return [dict get $d $id] }
    return ""
}

# Runs script (in the caller) until it is true; returns the ms it took,
# or fails with msg after max_ms.
proc cluster::wait_ms {max_ms script msg} {
    set t0 [clock milliseconds]
    while {![uplevel 1 [list expr $script]]} {
        if {[clock milliseconds] - $t0 > $max_ms} { th::assert_failed "$msg (after $max_ms ms)" }
        after 20
    }
    return [expr {[clock milliseconds] - $t0}]
}

# Whether every listed level sees exactly the ids as alive (and no other
# alive member).
proc cluster::all_see_alive {levels ids} {
    foreach l $levels {
        set alive {}
        dict for {id st} [cluster::states $l] {
            if {$st eq "alive"} { lappend alive $id }
        }
        if {[lsort $alive] ne [lsort $ids]} { return 0 }
    }
    return 1
}

# A field of INFO cluster, from the server at level or through a client.
proc cluster::info_field {level field} {
    return [cluster::info_field_of [srv $level client] $field]
}

proc cluster::info_field_of {client field} {
    set info [$client info cluster]
    if {[regexp "(?n)^$field:(.*)\r?$" $info -> v]} { return [string trim $v] }
    return ""
}

# ---- from the logs ----

# The state each member was last logged in, id -> state, from a log's text.
proc cluster::log_states {text} {
    set d [dict create]
    foreach {-> id st} [regexp -all -inline {Node ([0-9a-f]{40}) \([^)]*\) is now (\w+)} $text] {
        dict set d $id $st
    }
    return $d
}

# The state node i logged last for node j (0-based indexes into the logs'
# directories and the ids), "" if none.
proc cluster::log_state_of {dirs ids i j} {
    set d [cluster::log_states [cluster::netns_log [lindex $dirs $i]]]
    set id [lindex $ids $j]
    return [expr {[dict exists $d $id] ? [dict get $d $id] : ""}]
}

# Whether every node of `from` last logged every other node of `to` in
# state st.
proc cluster::logs_agree {dirs ids from to st} {
    foreach i $from {
        foreach j $to {
            if {$i != $j && [cluster::log_state_of $dirs $ids $i $j] ne $st} { return 0 }
        }
    }
    return 1
}

# The time (ms since the epoch) of a log line, from its timestamp
# ("pid:M 24 Nov 2026 06:37:09.875 * ..."); "" if it has none.
proc cluster::log_line_ms {line} {
    if {![regexp {:\w (\d+ \w+ \d+ \d+:\d+:\d+)\.(\d{3}) } $line -> when ms]} { return "" }
    return [expr {[clock scan $when -format "%d %b %Y %H:%M:%S"] * 1000 + [scan $ms %d]}]
}

# The time of the last log line matching the glob, "" if none.
proc cluster::log_last_ms {text pattern} {
    set t ""
    foreach line [split $text "\n"] {
        if {[string match $pattern $line]} { set t [cluster::log_line_ms $line] }
    }
    return $t
}

# The node id a server logged at start-up.
proc cluster::log_my_id {text} {
    if {[regexp {I'm ([0-9a-f]{40})} $text -> id]} { return $id }
    return ""
}

# ---- raw traffic ----

# Sends each payload (bytes) as one UDP datagram to host:port (python3, as
# Tcl has no UDP).
proc cluster::udp_send {host port payloads} {
    set hex {}
    foreach p $payloads { lappend hex [binary encode hex $p] }
    exec python3 -c {
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for h in sys.argv[3:]:
    s.sendto(bytes.fromhex(h), (sys.argv[1], int(sys.argv[2])))
} $host $port {*}$hex
}

# Opens a TCP connection, writes bytes (possibly none), and waits up to ms
# for the server to close it. Returns 1 if it did.
proc cluster::tcp_garbage {host port bytes {ms 3000}} {
    set s [socket $host $port]
    fconfigure $s -translation binary -blocking 0
    if {[string length $bytes]} {
        catch {puts -nonewline $s $bytes; flush $s}
    }
    set deadline [expr {[clock milliseconds] + $ms}]
    set closed 0
    while {[clock milliseconds] < $deadline} {
        if {[catch {read $s} data] || [eof $s]} { set closed 1; break }
        after 20
    }
    catch {close $s}
    return $closed
}

# ---- network namespaces ----

# Whether partition tests can run: root, ip(8) with netns support.
proc cluster::netns_available {} {
    if {[catch {exec id -u} uid] || $uid != 0} { return 0 }
    if {[auto_execok ip] eq ""} { return 0 }
    set probe "shoal-probe-[pid]"
    if {[catch {exec ip netns add $probe 2>@1}]} { return 0 }
    catch {exec ip netns del $probe 2>@1}
    return 1
}

# Creates n namespaces, each with one veth into a bridge ("a"), addresses
# $prefix.1 .. $prefix.n/24; the bridge has $prefix.254 so this process
# reaches every node. A second bridge ("b") is there to partition: a
# node's veth moved onto it reaches only the nodes moved with it.
# Returns a dict used by the other netns_* procs.
proc cluster::netns_setup {n prefix} {
    set tag "sh[expr {[pid] % 100000}]"
    set net [dict create n $n prefix $prefix tag $tag ns {} veth {} \
        bridges [list ${tag}a ${tag}b]]
    set cluster::netns $net
    foreach br [dict get $net bridges] {
        exec ip link add $br type bridge
        exec ip link set $br up
    }
    exec ip addr add $prefix.254/24 dev ${tag}a
    for {set i 1} {$i <= $n} {incr i} {
        set ns "shoal-$tag-$i"
        set veth "${tag}v$i"
        exec ip netns add $ns
        dict lappend net ns $ns
        set cluster::netns $net
        exec ip link add $veth type veth peer name eth0 netns $ns
        dict lappend net veth $veth
        set cluster::netns $net
        exec ip link set $veth master ${tag}a
        exec ip link set $veth up
        exec ip -n $ns addr add $prefix.$i/24 dev eth0
        exec ip -n $ns link set eth0 up
        exec ip -n $ns link set lo up
    }
    return $net
}

# Moves the listed nodes (1-based) onto bridge "a" or "b".
proc cluster::netns_attach {net nodes bridge} {
    set br [dict get $net tag]$bridge
    foreach i $nodes {
        exec ip link set [lindex [dict get $net veth] [expr {$i - 1}]] master $br
    }
}

# Removes everything netns_setup made (also after a partial setup).
proc cluster::netns_teardown {} {
    set net $cluster::netns
    if {$net eq ""} return
    foreach veth [dict get $net veth] { catch {exec ip link del $veth 2>@1} }
    foreach ns [dict get $net ns] { catch {exec ip netns del $ns 2>@1} }
    foreach br [dict get $net bridges] { catch {exec ip link del $br 2>@1} }
    set cluster::netns {}
}

# Starts the server under test inside namespace ns with the given config
# text; its output goes to dir/stdout and dir/stderr. Returns its pid.
proc cluster::netns_spawn {ns dir conf} {
    file mkdir $dir
    set f [open [file join $dir server.conf] w]
    puts -nonewline $f $conf
    close $f
    set pid [exec ip netns exec $ns $::th::server_bin [file join $dir server.conf] \
        > [file join $dir stdout] 2> [file join $dir stderr] &]
    th::emit serverpid $pid
    return $pid
}

# Stops a process started by netns_spawn (SIGTERM, SIGKILL after 10 s).
# Returns "" or a problem: it had died, did not stop, or its log holds a
# sanitizer report.
proc cluster::netns_stop {pid dir} {
    set problem ""
    if {![th::pid_alive $pid]} {
        set problem "server pid $pid had died"
    } else {
        th::signal $pid TERM
        if {![th::wait_exit $pid 10000]} {
            th::signal $pid KILL
            th::wait_exit $pid 5000
            set problem "server pid $pid did not exit within 10 s of SIGTERM"
        }
    }
    th::emit serverdone $pid
    set log [cluster::netns_log $dir]
    foreach p $::th::sanitizer_patterns {
        if {[string first $p $log] >= 0} { append problem " $p in [th::rel $dir]" }
    }
    return $problem
}

proc cluster::netns_log {dir} {
    return [th::read_file [file join $dir stdout]][th::read_file [file join $dir stderr]]
}
