# tests/integration/create_cluster.tcl -- utils/create-cluster: start a
# 3-node local cluster, see every node report 3 alive members (through the
# script's status and directly through INFO cluster), pass extra server
# arguments after `--`, stop exactly the recorded processes, clean up.
#
# The script runs on ports from this file's range: client ports PORT+1..3
# and cluster ports PORT+4..6 (CLUSTER_PORT_OFFSET=3), its working
# directory under tests/tmp. Needs redis-cli (Debian redis-tools), which
# the script uses.

source [file join $::th::root tests helpers cluster.tcl]

set script [file join $::th::root utils create-cluster]

# A base port such that base+1 .. base+n are all free (TCP, 127.0.0.1) and
# inside this file's range; the harness will not hand them out again.
proc free_port_run {n} {
    for {set tries 0} {$tries < 20} {incr tries} {
        set p [th::find_free_port]
        if {$p + $n - 1 >= $::th::baseport + $::th::portrange} continue
        set ok 1
        for {set i 1} {$i < $n} {incr i} {
            if {![th::port_free [expr {$p + $i}]]} { set ok 0; break }
        }
        if {$ok} {
            set ::th::next_port [expr {$p + $n}]
            return [expr {$p - 1}]
        }
    }
    error "no run of $n free ports in $::th::baseport..+$::th::portrange"
}

# Runs the script with the environment of this file; returns {status output}.
proc create_cluster {args} {
    set ::env(PORT) $::cc_port
    set ::env(CLUSTER_PORT_OFFSET) 3
    set ::env(CLUSTER_DIR) $::cc_dir
    set ::env(SHOAL_SERVER) $::th::server_bin
    set ::env(WAIT_TIMEOUT) 20
    set status 0
    if {[catch {exec $::script {*}$args 2>@1} out opts]} {
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] eq "CHILDSTATUS"} {
            set status [lindex $ec 2]
        } else {
            error $out
        }
    }
    return [list $status $out]
}

# The pids recorded in the working directory, port -> pid.
proc recorded_pids {} {
    set d [dict create]
    foreach f [lsort [glob -nocomplain -directory $::cc_dir node-*.pid]] {
        regexp {node-(\d+)\.pid$} $f -> port
        dict set d $port [string trim [th::read_file $f]]
    }
    return $d
}

set cc_dir [file join $::th::tmproot "create-cluster.[pid]"]
file delete -force $cc_dir

tags {cluster shoal-only} {
    test "create-cluster start 3: every node sees 3 alive, status agrees, stop ends exactly those processes" {
        if {[auto_execok redis-cli] eq ""} { skip "needs redis-cli (redis-tools)" }
        set ::cc_port [free_port_run 6]
        set ports [list [expr {$cc_port + 1}] [expr {$cc_port + 2}] [expr {$cc_port + 3}]]
        set pids {}
        try {
            lassign [create_cluster start 3 -- --maxmemory 12mb] st out
            # the runner kills these if the file times out
            dict for {port pid} [recorded_pids] {
                lappend pids $pid
                th::emit serverpid $pid
            }
            assert_equal 0 $st "start failed: $out"
            assert_match "*ports: [join $ports { }]*" $out
            assert_equal $ports [dict keys [recorded_pids]]
            foreach pid $pids { assert [th::pid_alive $pid] "pid $pid" }

            # status: one line per node, 3 members, all alive
            lassign [create_cluster status] st out
            assert_equal 0 $st "status: $out"
            set lines [split [string trim $out] "\n"]
            assert_equal 3 [llength $lines] $out
            foreach port $ports pid $pids line $lines {
                assert_match "node 127.0.0.1:$port  pid $pid  running  members 3  alive 3  suspect 0  dead 0  left 0" $line
            }

            # the same, asked directly; and the argument after -- arrived
            set ids {}
            foreach port $ports {
                set c [resp::client 127.0.0.1 $port]
                assert_equal 3 [cluster::info_field_of $c cluster_members_alive]
                assert_equal 3 [llength [$c cluster members]]
                assert_equal {maxmemory 12582912} [$c config get maxmemory]
                assert_equal [list cluster-port [expr {$port + 3}]] [$c config get cluster-port]
                lappend ids [$c cluster myid]
                $c close
            }
            assert_equal 3 [llength [lsort -unique $ids]]

            # a second start on the same directory is refused while it runs
            lassign [create_cluster start 3] st out
            assert_equal 1 $st
            assert_match "*still running*" $out

            lassign [create_cluster stop] st out
            assert_equal 0 $st "stop: $out"
            foreach pid $pids {
                assert [expr {![th::pid_alive $pid]}] "pid $pid still runs after stop"
                th::emit serverdone $pid
            }
            foreach port $ports {
                assert [th::port_free $port] "port $port still open after stop"
            }
            assert_equal {} [recorded_pids]
            lassign [create_cluster status] st out
            assert_equal 1 $st
            assert_match "no nodes recorded*" $out

            # logs are kept by stop, removed by clean
            assert_equal 3 [llength [glob -nocomplain -directory $cc_dir node-*.log]]
            lassign [create_cluster clean] st out
            assert_equal 0 $st "clean: $out"
            assert [expr {![file exists $cc_dir]}] "clean left $cc_dir"
        } finally {
            foreach pid $pids {
                if {[th::pid_alive $pid]} {
                    th::signal $pid KILL
                    th::wait_exit $pid 5000
                }
                th::emit serverdone $pid
            }
        }
    }

    test "create-cluster stop never signals a recorded pid that is not the node" {
        if {[auto_execok redis-cli] eq ""} { skip "needs redis-cli (redis-tools)" }
        set ::cc_port [free_port_run 6]
        file mkdir $cc_dir
        # a stale pid file whose pid now belongs to some other process
        set other [exec sleep 60 &]
        try {
            set f [open [file join $cc_dir node-[expr {$cc_port + 1}].pid] w]
            puts $f $other
            close $f
            set f [open [file join $cc_dir cluster.state] w]
            puts $f "nodes=1\nport=$cc_port\nbinary=[file normalize $::th::server_bin]"
            close $f
            lassign [create_cluster stop] st out
            assert_equal 0 $st "stop: $out"
            assert_match "*is not running*" $out
            assert [th::pid_alive $other] "stop killed an unrelated process"
            lassign [create_cluster clean] st out
            assert_equal 0 $st "clean: $out"
        } finally {
            th::signal $other KILL
            th::wait_exit $other 2000
            file delete -force $cc_dir
        }
    }
}
