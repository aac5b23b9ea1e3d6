# tests/integration/metrics_cluster.tcl -- /readyz and the cluster families
# of /metrics on three real nodes (health.h says what readiness means):
# a node whose seed is not up yet is "joining"; each node turns ready once
# it joined and its slot map settled; the members and the slot map are
# exported alike on every node; during the leave window of a SIGTERM the
# leaving node answers 503 while /healthz stays 200, and the others stay
# ready when it is gone.
#
# Node B starts first, seeded at A (not up yet), then A (no seeds: it
# founds the cluster), then C seeded at A. T is the probe interval; the
# readiness bounds below come from health.h (settle: 3 T; join grace: 10 T).

source [file join $::th::root tests helpers cluster.tcl]
source [file join $::th::root tests helpers http.tcl]

set T 300
foreach n {a b c} {
    set cport($n) [th::find_free_port]
    set mport($n) [th::find_free_port]
}

proc node_opts {n seeds} {
    set o [list cluster-enabled yes cluster-port $::cport($n) cluster-probe-interval $::T \
        metrics-port $::mport($n)]
    if {[llength $seeds]} { lappend o cluster-seeds [join $seeds ,] }
    return [list tags {cluster metrics shoal-only} overrides $o]
}

# The /readyz answer of node n: "status body".
proc readyz {n} {
    set res [http::get $::mport($n) /readyz]
    return "[dict get $res status] [string trim [dict get $res body]]"
}

# The first series of a samples dict whose name is `name`, with its labels.
proc series_of {samples name} {
    foreach series [dict keys $samples] {
        if {[string match "$name\{*" $series]} { return $series }
    }
    return ""
}

start_server [node_opts b [list 127.0.0.1:$cport(a)]] {
    test "A node whose seed is not up yet is not ready: joining (503)" {
        assert_match "503 not ready: joining the cluster*" [readyz b]
        assert_equal 200 [dict get [http::get $mport(b) /healthz] status]
        set s [http::samples [http::scrape $mport(b)]]
        assert_equal 0 [http::value $s shoal_ready]
        assert_equal 1 [http::value $s shoal_cluster_enabled]
    }

start_server [node_opts a {}] {
start_server [node_opts c [list 127.0.0.1:$cport(a)]] {
    # levels: B -2, A -1, C 0
    test "/readyz flips to 200 on each node once it joined the 3-node cluster" {
        set ids [list [r -2 cluster myid] [r -1 cluster myid] [r 0 cluster myid]]
        wait_for_condition 500 20 {[cluster::all_see_alive {-2 -1 0} $ids]} else {
            fail "the three nodes do not see each other alive"
        }
        foreach n {a b c} {
            wait_for_condition 300 50 {[string match "200 *" [readyz $n]]} else {
                fail "node $n not ready: [readyz $n]"
            }
            assert_equal "200 ready" [readyz $n]
        }
    }

    test "Every node exports the same members and slot map, and its SWIM counters" {
        set versions {}
        foreach n {a b c} {
            set text [http::scrape $mport($n)]
            if {[http::promtool] ne ""} { http::assert_promtool_ok $text }
            set s [http::samples $text]
            assert_equal 3 [http::value $s {shoal_cluster_members{state="alive"}}] $n
            assert_equal 0 [http::value $s {shoal_cluster_members{state="dead"}}] $n
            assert_equal 3 [http::value $s shoal_cluster_slotmap_owners] $n
            assert_equal 1 [http::value $s shoal_ready] $n
            assert_morethan [http::value $s shoal_cluster_swim_probes_total] 0
            foreach family {suspicions refutations indirect_probes} {
                assert {[dict exists $s shoal_cluster_swim_${family}_total]} $family
            }
            set info [series_of $s shoal_cluster_slotmap_info]
            assert_match {shoal_cluster_slotmap_info{version="*"}} $info
            lappend versions $info
        }
        assert_equal 1 [llength [lsort -unique $versions]] "slot map versions: $versions"
        assert_equal "version=\"[string trim [cluster::info_field 0 cluster_slotmap_version]]\"" \
            [lindex [regexp -inline {version="[0-9a-f]+"} [lindex $versions 0]] 0]
    }

    test "During the leave window of SIGTERM /readyz answers 503 and /healthz 200" {
        # A and B paused: C's leave waits for their answers (until the
        # exchange deadline, 5 T), which holds the window open until they
        # are resumed
        set pids [list [srv -2 pid] [srv -1 pid]]
        foreach pid $pids { th::signal $pid STOP }
        set seen ""
        set healthz ""
        try {
            expect_server_exit 0
            th::signal [srv 0 pid] TERM
            set deadline [expr {[clock milliseconds] + 5000}]
            while {[clock milliseconds] < $deadline && [server_is_alive 0]} {
                if {[catch {readyz c} answer]} break
                if {[string match "503 *" $answer]} {
                    set seen $answer
                    set healthz [dict get [http::get $mport(c) /healthz] status]
                    break
                }
                after 20
            }
        } finally {
            foreach pid $pids { th::signal $pid CONT }
        }
        assert_equal "503 not ready: shutting down" $seen
        assert_equal 200 $healthz
        assert {[th::wait_exit [srv 0 pid] 15000]} "C did not exit"
    }
}

    test "The remaining nodes stay ready once C has left" {
        foreach n {a b} { assert_equal "200 ready" [readyz $n] }
    }
}
}
