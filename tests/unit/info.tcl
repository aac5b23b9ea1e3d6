# tests/unit/info.tcl -- INFO: which sections each argument selects, in
# what order, the text layout and reply type (bulk in RESP2, verbatim in
# RESP3), and that the fields client libraries and monitoring read are
# there with true values: server identity, clients, memory (growing and
# shrinking with the data), statistics (commands, bytes, hits, misses,
# expiries, errors by code, per-command calls), keyspace. Every test here
# passes against Debian's redis-server 7.0.15 (tclsh tests/test_helper.tcl
# --server /usr/bin/redis-server --single unit/info) except those tagged
# shoal-only.

# The section headers of an INFO text, without "# ".
proc info_headers {text} {
    set out {}
    foreach line [split $text "\n"] {
        set line [string trimright $line "\r"]
        if {[string index $line 0] eq "#"} { lappend out [string range $line 2 end] }
    }
    return $out
}

# Redis 7.0 has a Latencystats section (per-command latency percentiles)
# that shoal does not keep; the other headers must agree.
proc headers_without_latency {text} {
    return [lsearch -all -inline -not -exact [info_headers $text] Latencystats]
}

# A field of INFO <section> as a number-or-string ("" if absent).
proc info_field {section field} {
    set d [info_dict [r info $section]]
    if {[dict exists $d $field]} { return [dict get $d $field] }
    return ""
}

# The lines of one INFO section, without the header.
proc info_lines {section} {
    set out {}
    foreach line [split [r info $section] "\n"] {
        set line [string trimright $line "\r"]
        if {$line ne "" && [string index $line 0] ne "#"} { lappend out $line }
    }
    return $out
}

set ::default_sections {Server Clients Memory Persistence Stats Replication CPU Modules
    Errorstats Cluster Keyspace}
set ::all_sections {Server Clients Memory Persistence Stats Replication CPU Modules
    Commandstats Errorstats Cluster Keyspace}

start_server {tags {info}} {

    # ---- sections ----

    test {INFO with no argument and INFO default: the default sections, in order} {
        assert_equal [list {*}$::default_sections] [info_headers [r info]]
        assert_equal [list {*}$::default_sections] [info_headers [r info default]]
    }

    test {INFO all and INFO everything add Commandstats} {
        assert_equal [list {*}$::all_sections] [headers_without_latency [r info all]]
        assert_equal [list {*}$::all_sections] [headers_without_latency [r info everything]]
        assert_equal [list {*}$::all_sections] [headers_without_latency [r info default commandstats]]
    }

    test {INFO sections: case-insensitive, several at once, each once, in Redis's order} {
        assert_equal {Server} [info_headers [r info SERVER]]
        assert_equal {Server Clients} [info_headers [r info clients Server clients]]
        assert_equal {Memory Keyspace} [info_headers [r info keyspace memory]]
        assert_equal {Commandstats} [info_headers [r info commandstats]]
        assert_equal {Modules} [info_headers [r info modules]]
        assert_equal {Modules} [info_headers [r info module_list]]
        assert_equal {Cluster} [info_headers [r info cluster]]
    }

    test {INFO of an unknown section is empty, in RESP2 and RESP3} {
        assert_equal {} [r info nosuchsection]
        set c [redis_client]
        $c readraw 1
        assert_equal {$0} [$c info nosuchsection]
        $c close
        set c [redis_client]
        $c hello 3
        $c readraw 1
        assert_equal {=4} [$c info nosuchsection]
        assert_equal {txt:} [$c read]
        $c close
    }

    test {INFO is a bulk string in RESP2, verbatim text in RESP3} {
        set c [redis_client]
        $c readraw 1
        assert_match {$*} [$c info server]
        $c close
        set c [redis_client]
        $c hello 3
        $c readraw 1
        assert_match {=*} [$c info server]
        assert_equal {txt:# Server} [$c read]
        $c close
        set c [redis_client]
        $c hello 3
        assert_equal [list {*}$::default_sections] [info_headers [$c info]]
        $c close
    }

    test {INFO layout: CRLF lines, one blank line between sections, name:value fields} {
        set text [r info all]
        set lines [split $text "\n"]
        assert_equal {} [lindex $lines end] "the text ends with CRLF"
        set lines [lrange $lines 0 end-1]
        assert_match {# *} [lindex $lines 0]
        for {set i 0} {$i < [llength $lines]} {incr i} {
            set line [lindex $lines $i]
            assert_equal "\r" [string index $line end] "line [list $line]"
            set line [string range $line 0 end-1]
            if {$line eq ""} {
                assert_match {# *} [lindex $lines [expr {$i + 1}]] "a blank line comes before a header"
            } elseif {[string index $line 0] ne "#"} {
                assert {[regexp {^[a-z][a-z0-9_|.-]*:[^\r\n]*$} $line]} "line [list $line]"
            }
        }
    }

    # ---- server ----

    test {INFO server: identity of the process} {
        set d [info_dict [r info server]]
        assert_equal 7.0.15 [dict get $d redis_version]
        assert_equal standalone [dict get $d redis_mode]
        assert_equal [srv pid] [dict get $d process_id]
        assert_equal [srv port] [dict get $d tcp_port]
        assert {[regexp {^[0-9a-f]{40}$} [dict get $d run_id]]}
        assert_equal [dict get $d run_id] [info_field server run_id]
        assert_match {Linux *} [dict get $d os]
        assert {[dict get $d arch_bits] in {32 64}}
        assert_equal epoll [dict get $d multiplexing_api]
        assert_equal [lindex [r config get hz] 1] [dict get $d hz]
        assert_equal [file normalize [srv config_file]] [dict get $d config_file]
        set exe [dict get $d executable]
        assert_equal absolute [file pathtype $exe]
        assert {[file executable $exe]}
        assert_range [dict get $d uptime_in_seconds] 0 600
        assert_equal 0 [dict get $d uptime_in_days]
        set now_us [expr {[clock microseconds]}]
        assert_range [dict get $d server_time_usec] [expr {$now_us - 5000000}] [expr {$now_us + 5000000}]
        assert {[dict exists $d io_threads_active]}
        assert {[regexp {^\d+\.\d+\.\d+$} [dict get $d gcc_version]]}
    }

    test {INFO server: uptime grows} {
        set u1 [info_field server uptime_in_seconds]
        after 1100
        assert_morethan [info_field server uptime_in_seconds] $u1
    }

    test {INFO server: shoal_version} {
        assert {[regexp {^\d+\.\d+\.\d+} [info_field server shoal_version]]}
    } {shoal-only}

    # ---- clients ----

    test {INFO clients} {
        set d [info_dict [r info clients]]
        assert_equal [lindex [r config get maxclients] 1] [dict get $d maxclients]
        assert_morethan_equal [dict get $d connected_clients] 1
        foreach f {cluster_connections blocked_clients tracking_clients clients_in_timeout_table} {
            assert_equal 0 [dict get $d $f] $f
        }
        foreach f {client_recent_max_input_buffer client_recent_max_output_buffer} {
            assert {[string is integer -strict [dict get $d $f]]} $f
        }
    }

    # ---- memory ----

    test {INFO memory: the fields, consistent with each other} {
        set d [info_dict [r info memory]]
        set used [dict get $d used_memory]
        assert_morethan $used 0
        assert_morethan [dict get $d used_memory_rss] 0
        assert_morethan_equal [dict get $d used_memory_peak] $used
        assert_morethan [dict get $d total_system_memory] 0
        foreach f {used_memory_human used_memory_rss_human used_memory_peak_human
                total_system_memory_human maxmemory_human} {
            assert {[regexp {^(\d+B|\d+\.\d\d[KMGT])$} [dict get $d $f]]} "$f: [dict get $d $f]"
        }
        assert_match {*%} [dict get $d used_memory_peak_perc]
        assert {[string is double -strict [dict get $d mem_fragmentation_ratio]]}
        assert {[regexp {^(jemalloc-\d.*|libc)$} [dict get $d mem_allocator]]}
        assert {[string is integer -strict [dict get $d used_memory_dataset]]}
        assert {[string is integer -strict [dict get $d used_memory_overhead]]}
        assert {[string is integer -strict [dict get $d mem_clients_normal]]}
    }

    test {INFO memory: used_memory follows the data} {
        r flushall
        set before [info_field memory used_memory]
        set val [string repeat x 100000]
        for {set i 0} {$i < 20} {incr i} { r set big:$i $val }
        set with [info_field memory used_memory]
        assert_morethan $with [expr {$before + 1500000}]
        assert_morethan_equal [info_field memory used_memory_peak] $with
        r flushall
        assert_morethan_equal [info_field memory used_memory_peak] $with
        if {[info_field memory mem_allocator] eq "libc"} {
            # sanitizer builds: no allocator statistics, used_memory
            # stands for the resident size, which does not shrink at once
            skip "used_memory is approximate without jemalloc"
        }
        assert_lessthan [info_field memory used_memory] [expr {$with - 1500000}]
    }

    test {INFO memory: maxmemory and maxmemory_policy follow CONFIG SET} {
        assert_equal 0 [info_field memory maxmemory]
        assert_equal 0B [info_field memory maxmemory_human]
        assert_equal noeviction [info_field memory maxmemory_policy]
        r config set maxmemory 100mb
        r config set maxmemory-policy allkeys-lru
        assert_equal 104857600 [info_field memory maxmemory]
        assert_equal 100.00M [info_field memory maxmemory_human]
        assert_equal allkeys-lru [info_field memory maxmemory_policy]
        foreach p {volatile-lru allkeys-lfu volatile-lfu allkeys-random volatile-random volatile-ttl noeviction} {
            r config set maxmemory-policy $p
            assert_equal $p [info_field memory maxmemory_policy]
        }
        r config set maxmemory 0
    }

    # ---- stats ----

    test {INFO stats: total_commands_processed counts every command once} {
        set a [info_field stats total_commands_processed]
        for {set i 0} {$i < 5} {incr i} { r ping }
        # the five PINGs and the first INFO, counted once it had run
        assert_equal [expr {$a + 6}] [info_field stats total_commands_processed]
    }

    test {INFO stats: total_net_input_bytes counts the bytes read} {
        set a [info_field stats total_net_input_bytes]
        r ping
        set b [info_field stats total_net_input_bytes]
        set expected [expr {[string length [resp::encode {info stats}]] + [string length [resp::encode {ping}]]}]
        assert_equal [expr {$a + $expected}] $b
        assert_morethan [info_field stats total_net_output_bytes] 0
    }

    test {INFO stats: total_connections_received} {
        set a [info_field stats total_connections_received]
        set c [redis_client]
        $c ping
        assert_equal [expr {$a + 1}] [info_field stats total_connections_received]
        $c close
    }

    test {INFO stats: keyspace_hits and keyspace_misses} {
        r set hitkey v
        set h [info_field stats keyspace_hits]
        set m [info_field stats keyspace_misses]
        r get hitkey
        r get hitkey
        r get nosuchkey
        assert_equal [expr {$h + 2}] [info_field stats keyspace_hits]
        assert_equal [expr {$m + 1}] [info_field stats keyspace_misses]
    }

    test {INFO stats: expired_keys} {
        set e [info_field stats expired_keys]
        r set expkey v px 1
        after 20
        assert_equal {} [r get expkey]
        assert_equal [expr {$e + 1}] [info_field stats expired_keys]
    }

    test {INFO stats: instantaneous_ops_per_sec under load} {
        set c [redis_deferring_client]
        set deadline [expr {[clock milliseconds] + 1500}]
        while {[clock milliseconds] < $deadline} {
            for {set i 0} {$i < 200} {incr i} { $c ping }
            $c flush
            for {set i 0} {$i < 200} {incr i} { $c read }
        }
        assert_morethan [info_field stats instantaneous_ops_per_sec] 0
        assert_morethan [info_field stats instantaneous_input_kbps] 0
        $c close
    }

    test {INFO stats: features shoal does not have report Redis's idle values} {
        set d [info_dict [r info stats]]
        foreach f {total_net_repl_input_bytes total_net_repl_output_bytes sync_full
                sync_partial_ok sync_partial_err evicted_clients pubsub_channels
                pubsub_patterns pubsubshard_channels total_forks latest_fork_usec} {
            assert_equal 0 [dict get $d $f] $f
        }
        assert_equal 0.00 [dict get $d instantaneous_input_repl_kbps]
        foreach f {rejected_connections evicted_keys unexpected_error_replies total_error_replies} {
            assert {[string is integer -strict [dict get $d $f]]} $f
        }
    }

    # ---- errorstats and commandstats ----

    test {INFO errorstats: counts by error code, sorted by code} {
        r config resetstat
        assert_equal {} [info_lines errorstats]
        catch {r nosuchcommand}
        catch {r nosuchcommand}
        catch {r hello 4}
        catch {r auth someone x}
        catch {r set k}
        assert_equal {errorstat_ERR:count=3 errorstat_NOPROTO:count=1 errorstat_WRONGPASS:count=1} \
            [info_lines errorstats]
        assert_equal 5 [info_field stats total_error_replies]
    }

    test {INFO commandstats: calls, usec, rejected and failed calls, subcommands} {
        r config resetstat
        r set a 1
        r set a 2
        r set a x
        r get a
        catch {r incr a}
        catch {r get}
        r client id
        set d [info_dict [r info commandstats]]
        assert {[regexp {^calls=3,usec=\d+,usec_per_call=\d+\.\d\d,rejected_calls=0,failed_calls=0$} [dict get $d cmdstat_set]]} [dict get $d cmdstat_set]
        assert_match {calls=1,*,rejected_calls=1,failed_calls=0} [dict get $d cmdstat_get]
        assert_match {calls=1,*,rejected_calls=0,failed_calls=1} [dict get $d cmdstat_incr]
        assert_match {calls=1,*} [dict get $d cmdstat_client|id]
        assert {![dict exists $d cmdstat_del]}
        # only commands that ran or were refused are listed
        foreach {k v} $d {
            assert {[regexp {^cmdstat_[a-z|_-]+$} $k]} $k
        }
    }

    # ---- replication, cpu, persistence, cluster, keyspace ----

    test {INFO replication: a master with no replicas} {
        set d [info_dict [r info replication]]
        assert_equal master [dict get $d role]
        assert_equal 0 [dict get $d connected_slaves]
        assert {[regexp {^[0-9a-f]{40}$} [dict get $d master_replid]]}
        assert_equal 0 [dict get $d master_repl_offset]
    }

    test {INFO cpu: seconds with microseconds} {
        set d [info_dict [r info cpu]]
        foreach f {used_cpu_sys used_cpu_user used_cpu_sys_children used_cpu_user_children} {
            assert {[regexp {^\d+\.\d{6}$} [dict get $d $f]]} "$f: [dict get $d $f]"
        }
    }

    test {INFO persistence and cluster: nothing loading, no cluster} {
        assert_equal 0 [info_field persistence loading]
        assert_equal 0 [info_field persistence aof_enabled]
        assert_equal 0 [info_field cluster cluster_enabled]
    }

    test {INFO keyspace: one line per non-empty database} {
        r flushall
        assert_equal {} [info_lines keyspace]
        r set k1 v
        r set k2 v ex 100
        r select 2
        r set k3 v
        r select 0
        set lines [info_lines keyspace]
        assert_equal 2 [llength $lines]
        assert_match {db0:keys=2,expires=1,avg_ttl=*} [lindex $lines 0]
        assert_equal {db2:keys=1,expires=0,avg_ttl=0} [lindex $lines 1]
        r flushall
        assert_equal {} [info_lines keyspace]
    }
}
