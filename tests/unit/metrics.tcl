# tests/unit/metrics.tcl -- the metrics listener (metrics-port): the
# Prometheus exposition (valid for promtool, true values, counters that
# only grow, scraped while a benchmark runs), /healthz and /readyz on a
# node without the cluster, and the listener's hardening: methods, paths,
# oversized and malformed requests, a client that stalls, the connection
# bound. The cluster side of /readyz is tests/integration/metrics_cluster.tcl.

source [file join $::th::root tests helpers http.tcl]

set mport [th::find_free_port]

# The first line of a scrape's samples matching the glob, as "series value".
proc series_matching {text pattern} {
    dict for {series v} [http::samples $text] {
        if {[string match $pattern $series]} { return "$series $v" }
    }
    return ""
}

start_server [list tags {metrics shoal-only} overrides [list metrics-port $mport maxmemory 100mb]] {
    test {metrics-port and metrics-bind are shown by CONFIG GET and immutable} {
        assert_equal [list metrics-port $mport] [r config get metrics-port]
        assert_equal {metrics-bind 127.0.0.1} [r config get metrics-bind]
        assert_error "*can't set immutable config*" {r config set metrics-port 1}
        assert_error "*can't set immutable config*" {r config set metrics-bind 0.0.0.0}
    }

    test {/healthz answers 200 ok, Connection: close, and closes} {
        set res [http::get $mport /healthz]
        assert_equal 200 [dict get $res status]
        assert_equal "ok\n" [dict get $res body]
        assert_equal close [http::header $res connection]
        assert_equal 3 [http::header $res content-length]
        assert_equal 1 [dict get $res closed]
        assert_lessthan [dict get $res ms] 2000
    }

    test {/readyz answers 200 on a node without the cluster} {
        set res [http::get $mport /readyz]
        assert_equal 200 [dict get $res status]
        assert_equal "ready\n" [dict get $res body]
    }

    test {/metrics is the text exposition 0.0.4 with HELP and TYPE for every family} {
        set text [http::scrape $mport]
        set types [http::types $text]
        foreach {family type} {
            shoal_command_calls_total counter shoal_command_failed_calls_total counter
            shoal_command_rejected_calls_total counter shoal_command_duration_seconds histogram
            shoal_keyspace_hits_total counter shoal_keyspace_misses_total counter
            shoal_evicted_keys_total counter shoal_expired_keys_total counter
            shoal_memory_used_bytes gauge shoal_memory_rss_bytes gauge shoal_memory_max_bytes gauge
            shoal_connected_clients gauge shoal_connections_received_total counter
            shoal_connections_rejected_total counter shoal_ready gauge shoal_cluster_enabled gauge
        } {
            assert_equal $type [expr {[dict exists $types $family] ? [dict get $types $family] : ""}] $family
            assert_match "*\n# HELP $family *" "\n$text"
        }
        # every sample belongs to a family that has a TYPE line
        dict for {series v} [http::samples $text] {
            assert_not_equal "" [http::family_of $types $series] "no TYPE for $series"
            assert {[string is double -strict $v]} "$series value '$v'"
        }
        # without the cluster, no cluster families beyond the flag
        assert_equal 0 [http::value [http::samples $text] shoal_cluster_enabled]
        assert_no_match "*shoal_cluster_members*" $text
    }

    test {/metrics passes promtool check metrics} {
        if {[http::promtool] eq ""} { skip "promtool is not installed (Debian package prometheus)" }
        r set k v
        r get k
        r get missing
        catch {r nosuchcommand}
        catch {r get}
        http::assert_promtool_ok [http::scrape $mport]
    }

    test {After N SETs the set counters grew by at least N; hits and misses are exact} {
        set n 500
        for {set i 0} {$i < $n} {incr i} { r set key:$i $i }
        set before [http::samples [http::scrape $mport]]
        for {set i 0} {$i < $n} {incr i} { r set key:$i $i }
        for {set i 0} {$i < 10} {incr i} { r get key:$i }
        for {set i 0} {$i < 7} {incr i} { r get nokey:$i }
        set after [http::samples [http::scrape $mport]]
        set calls {shoal_command_calls_total{cmd="set"}}
        assert_morethan_equal [expr {[http::value $after $calls] - [http::value $before $calls]}] $n
        assert_morethan_equal [expr {[http::value $after shoal_commands_processed_total] -
            [http::value $before shoal_commands_processed_total]}] [expr {$n + 17}]
        assert_equal 10 [expr {[http::value $after shoal_keyspace_hits_total] -
            [http::value $before shoal_keyspace_hits_total]}]
        assert_equal 7 [expr {[http::value $after shoal_keyspace_misses_total] -
            [http::value $before shoal_keyspace_misses_total]}]
        assert_morethan_equal [http::value $after {shoal_db_keys{db="0"}}] $n
    }

    test {Memory, connections and errors have true values} {
        catch {r nosuchcommand}
        set s [http::samples [http::scrape $mport]]
        assert_equal 104857600 [http::value $s shoal_memory_max_bytes]
        assert_morethan [http::value $s shoal_memory_used_bytes] 0
        assert_morethan [http::value $s shoal_memory_rss_bytes] [expr {1 << 20}]
        assert_morethan_equal [http::value $s shoal_connected_clients] 1
        assert_morethan_equal [http::value $s shoal_connections_received_total] 1
        assert_morethan_equal [http::value $s {shoal_errors_total{code="ERR"}}] 1
        assert_morethan_equal [http::value $s {shoal_command_rejected_calls_total{cmd="get"}}] 0
        assert_equal 1 [http::value $s shoal_ready]
    }

    test {Per-command latency histogram: cumulative buckets, +Inf equals _count equals calls} {
        r config resetstat
        set n 300
        for {set i 0} {$i < $n} {incr i} { r set hist:$i $i }
        set s [http::samples [http::scrape $mport]]
        set count [http::value $s {shoal_command_duration_seconds_count{cmd="set"}}]
        if {$count == 0} {
            fail "no latency recorded for SET: metrics_record_latency(w->id, cmd->id, usec) is\
                not called from call_command (dispatch.c)"
        }
        assert_equal $n $count
        assert_equal $n [http::value $s {shoal_command_calls_total{cmd="set"}}]
        set prev 0
        set buckets 0
        dict for {series v} $s {
            if {![string match {shoal_command_duration_seconds_bucket{cmd="set",*}} $series]} continue
            assert_morethan_equal $v $prev $series
            set prev $v
            incr buckets
        }
        assert_morethan $buckets 10
        assert_equal $count [http::value $s {shoal_command_duration_seconds_bucket{cmd="set",le="+Inf"}}]
        set sum [http::value $s {shoal_command_duration_seconds_sum{cmd="set"}}]
        assert {$sum >= 0 && $sum < 10} "sum $sum"
    }

    test {Counters only grow between two scrapes, and scrapes pass promtool under load} {
        if {[auto_execok redis-benchmark] eq ""} { skip "redis-benchmark is not installed" }
        set first [http::scrape $mport]
        set bench [exec redis-benchmark -h 127.0.0.1 -p [srv port] -n 20000 -c 4 -P 8 \
            -t set,get -q > /dev/null 2>@1 &]
        set prev $first
        set scrapes 0
        set deadline [expr {[clock milliseconds] + 60000}]
        while {[th::pid_alive $bench] && [clock milliseconds] < $deadline} {
            set text [http::scrape $mport]
            incr scrapes
            assert_morethan [http::assert_monotonic $prev $text] 10
            if {[http::promtool] ne "" && $scrapes <= 5} { http::assert_promtool_ok $text }
            set prev $text
            after 20
        }
        if {[th::pid_alive $bench]} {
            th::signal $bench KILL
            fail "redis-benchmark -n 20000 did not finish within 60 s"
        }
        set last [http::scrape $mport]
        http::assert_monotonic $prev $last
        http::assert_monotonic $first $last
        assert_morethan_equal [expr {[http::value [http::samples $last] shoal_commands_processed_total] -
            [http::value [http::samples $first] shoal_commands_processed_total]}] 40000
        assert_morethan $scrapes 0
    }

    test {HEAD answers the headers of GET without a body} {
        set res [http::request $mport HEAD /metrics]
        assert_equal 200 [dict get $res status]
        assert_match "text/plain; version=0.0.4*" [http::header $res content-type]
        assert_morethan [http::header $res content-length] 1000
        assert_equal "" [dict get $res body]
        assert_equal 200 [dict get [http::request $mport HEAD /healthz] status]
    }

    test {Methods other than GET and HEAD: 405 with Allow} {
        foreach {method path} {POST /metrics DELETE /healthz PUT /readyz get /metrics OPTIONS /metrics} {
            set res [http::request $mport $method $path]
            assert_equal 405 [dict get $res status] "$method $path"
            assert_equal "GET, HEAD" [http::header $res allow]
            assert_equal 1 [dict get $res closed]
        }
        # a body sent with the refused request is read and dropped
        set res [http::request $mport POST /metrics "Content-Length: 5000\r\n\r\n[string repeat x 5000]"]
        assert_equal 405 [dict get $res status]
    }

    test {Unknown paths: 404} {
        foreach path {/ /metrics/ /metricsx /favicon.ico /healthz/x *} {
            assert_equal 404 [dict get [http::get $mport $path] status] $path
        }
    }

    test {HTTP/1.0, query strings and the absolute form are served} {
        set res [http::parse [http::raw $mport "GET /healthz HTTP/1.0\r\n\r\n"]]
        assert_equal 200 [dict get $res status]
        assert_equal 200 [dict get [http::get $mport "/metrics?name\[\]=x"] status]
        assert_equal 200 [dict get [http::get $mport "http://127.0.0.1:$mport/readyz"] status]
    }

    test {An oversized request is refused (431, 414) and the connection closed} {
        set big "GET /metrics HTTP/1.1\r\n"
        for {set i 0} {$i < 400} {incr i} { append big "X-Filler-$i: [string repeat y 40]\r\n" }
        append big "\r\n"
        assert_morethan [string length $big] 16000
        set res [http::parse [http::raw $mport $big]]
        assert_equal 431 [dict get $res status]
        assert_equal 1 [dict get $res closed]
        set res [http::parse [http::raw $mport "GET /[string repeat a 9000] HTTP/1.1\r\n\r\n"]]
        assert_equal 414 [dict get $res status]
        assert_equal 1 [dict get $res closed]
    }

    test {Malformed requests: 400 at once, 505 for HTTP/2} {
        foreach req [list "hello\r\n\r\n" "GET /metrics\r\n\r\n" \
                "GET /metrics HTTP/1.1\r\nHost : x\r\n\r\n" \
                "GET /metrics HTTP/1.1\r\nA: b\r\n folded\r\n\r\n" \
                "\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03"] {
            set res [http::parse [http::raw $mport $req 3000]]
            assert_equal 400 [dict get $res status] [th::show $req]
            assert_lessthan [dict get $res ms] 2000 "refused at once"
        }
        set res [http::parse [http::raw $mport "GET /metrics HTTP/2.0\r\n\r\n"]]
        assert_equal 505 [dict get $res status]
    }

    test {A client that stalls half-way is timed out (408) without delaying a concurrent scrape} {
        set t0 [clock milliseconds]
        set slow [socket 127.0.0.1 $mport]
        fconfigure $slow -translation binary -buffering none
        puts -nonewline $slow "GET /metr"
        after 100
        set res [http::get $mport /metrics]
        assert_equal 200 [dict get $res status]
        assert_lessthan [dict get $res ms] 1000 "the scrape waited behind the slow client"
        set res [http::get $mport /healthz]
        assert_equal 200 [dict get $res status]
        r ping   ;# and clients are served meanwhile
        fconfigure $slow -blocking 0
        set got ""
        while {![eof $slow] && [clock milliseconds] - $t0 < 10000} {
            if {[catch {append got [read $slow]}]} break
            after 20
        }
        set elapsed [expr {[clock milliseconds] - $t0}]
        catch {close $slow}
        assert_match "HTTP/1.1 408 *" $got
        assert_range $elapsed 4500 8000
    }

    test {At most 16 connections at a time: the 17th gets 503} {
        after 300   ;# earlier connections are gone
        set idle {}
        for {set i 0} {$i < 16} {incr i} { lappend idle [socket 127.0.0.1 $mport] }
        after 200
        set res [http::parse [http::raw $mport "GET /healthz HTTP/1.1\r\n\r\n" 3000]]
        assert_equal 503 [dict get $res status]
        assert_equal 1 [dict get $res closed]
        foreach s $idle { close $s }
        wait_for_condition 50 20 {[dict get [http::get $mport /healthz] status] == 200} else {
            fail "/healthz not served again once the idle connections closed"
        }
    }
}

start_server {tags {metrics shoal-only}} {
    test {metrics-port is 0 (off) by default, metrics-bind 127.0.0.1} {
        assert_equal {metrics-port 0} [r config get metrics-port]
        assert_equal {metrics-bind 127.0.0.1} [r config get metrics-bind]
        assert_equal 0 [count_log_lines "*Metrics on*"]
    }
}

tags {metrics shoal-only} {
    test {A metrics-bind that cannot be bound stops start-up} {
        set res [run_server_expect_exit [list overrides [list metrics-port [th::find_free_port] \
            metrics-bind 256.1.1.1]]]
        assert_equal 1 [dict get $res exitcode]
        assert_match "*Could not create the metrics listener*256.1.1.1*" [dict get $res output]
    }
}
