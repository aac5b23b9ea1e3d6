# tests/helpers/server.tcl -- start and stop servers for tests.
#
#   start_server {tags {t ...} overrides {directive value ...} args {--x y}
#                 unixsocket 1 config path/to/base.conf env {VAR value ...}} { body }
#   start_reference_server {same options} { body }    ;# Debian's redis-server
#   srv ?LEVEL? PROPERTY      host port pid stdout stderr config_file dir
#                             unixsocket client binary is_shoal
#   r ?LEVEL? CMD ARGS...     command on the default client of a server
#   ref ?LEVEL? CMD ARGS...   same, on a reference server
#
# LEVEL is 0 for the innermost start_server, -1 for the one around it, ...
# See tests/README.md for the whole picture.

namespace eval th {
    variable server_bin ""
    variable reference_bin /usr/bin/redis-server
    variable shoal_cache [dict create]
    variable baseport 21000
    variable portrange 1000
    variable next_port ""
    variable servers {}         ;# stack of server records (dicts)
    variable ref_servers {}
    variable server_seq 0
    variable start_timeout 10
    variable stop_timeout 10
    variable keep_tmp 0
    variable tmproot ""
    variable clients            ;# server id -> extra client handles
    array set clients {}
    variable sanitizer_patterns {AddressSanitizer {runtime error:} LeakSanitizer ThreadSanitizer MemorySanitizer}
}

# ---- what the binaries are ----

proc th::binary_is_shoal {bin} {
    variable shoal_cache
    if {[dict exists $shoal_cache $bin]} { return [dict get $shoal_cache $bin] }
    set base [file tail $bin]
    if {[string match -nocase *shoal* $base]} {
        set r 1
    } elseif {[string match redis-server* $base] || [string match valkey-server* $base]} {
        set r 0
    } else {
        set r 0
        if {![catch {exec timeout 5 $bin --version 2>@1} out]} {
            set r [string match -nocase *shoal* $out]
        }
    }
    dict set shoal_cache $bin $r
    return $r
}

# Whether the server under test is shoal (not some other Redis).
proc th::is_shoal {} {
    return [th::binary_is_shoal $::th::server_bin]
}

proc th::have_reference {} {
    return [file executable $::th::reference_bin]
}

proc is_shoal {} { th::is_shoal }
proc have_reference_server {} { th::have_reference }

# ---- processes ----

proc th::pid_alive {pid} {
    if {[catch {open /proc/$pid/stat r} fd]} { return 0 }
    set stat [read $fd]
    close $fd
    set i [string last ")" $stat]
    set state [string index [string trimleft [string range $stat [expr {$i + 1}] end]] 0]
    return [expr {$state ni {Z X x}}]
}

proc th::signal {pid sig} {
    catch {exec kill -$sig $pid 2>/dev/null}
}

# Wait up to ms milliseconds for pid to exit; 1 if it did.
proc th::wait_exit {pid ms} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {[th::pid_alive $pid]} {
        if {[clock milliseconds] >= $deadline} { return 0 }
        after 10
    }
    return 1
}

# ---- ports ----

proc th::port_free {port} {
    if {[catch {socket -server th::_noop -myaddr 127.0.0.1 $port} s]} { return 0 }
    close $s
    # Something listening only on another address still answers here.
    if {![catch {socket 127.0.0.1 $port} c]} { close $c; return 0 }
    return 1
}
proc th::_noop {args} { catch {close [lindex $args 0]} }

proc th::find_free_port {} {
    variable baseport
    variable portrange
    variable next_port
    if {$next_port eq ""} { set next_port $baseport }
    for {set i 0} {$i < $portrange} {incr i} {
        set p $next_port
        incr next_port
        if {$next_port >= $baseport + $portrange} { set next_port $baseport }
        if {[th::port_free $p]} { return $p }
    }
    error "no free TCP port in $baseport..[expr {$baseport + $portrange - 1}]"
}

# ---- logs ----

proc th::read_file {path} {
    if {[catch {open $path r} fd]} { return "" }
    fconfigure $fd -translation binary
    set d [read $fd]
    close $fd
    return $d
}

proc th::server_log {rec} {
    set out [th::read_file [dict get $rec stdout]]
    set err [th::read_file [dict get $rec stderr]]
    if {$err ne ""} { append out "\n--- stderr ---\n" $err }
    return $out
}

proc th::tail {text n} {
    set lines [split [string trimright $text "\n"] "\n"]
    if {[llength $lines] > $n} {
        set lines [concat [list "... ([expr {[llength $lines] - $n}] earlier lines)"] [lrange $lines end-[expr {$n - 1}] end]]
    }
    return "    [join $lines "\n    "]"
}

proc th::describe {rec} {
    return "[dict get $rec kind] server [th::rel [dict get $rec binary]] pid [dict get $rec pid] port [dict get $rec port]"
}

# Sanitizer reports in a server's output: "" or an excerpt.
proc th::sanitizer_report {rec} {
    variable sanitizer_patterns
    set log [th::server_log $rec]
    foreach p $sanitizer_patterns {
        set i [string first $p $log]
        if {$i >= 0} {
            set start [string last "\n" $log [expr {$i - 1}]]
            if {$start < 0} { set start 0 }
            set excerpt [string trimleft [string range $log $start [expr {$start + 4000}]] "\n"]
            return "$p found in the log of [th::describe $rec] ([th::rel [dict get $rec dir]]):\n[th::tail $excerpt 60]"
        }
    }
    return ""
}

# ---- configuration ----

proc th::config_value {v} {
    if {$v eq ""} { return {""} }
    return $v
}

proc th::build_config {rec options} {
    set bin [dict get $rec binary]
    set text "# generated by tests/helpers/server.tcl for [th::rel $::th::file]\n"
    if {[dict exists $options config]} {
        set base [dict get $options config]
        if {[file pathtype $base] ne "absolute"} { set base [file join $::th::root $base] }
        append text [th::read_file $base] "\n# --- test settings ---\n"
    }
    append text "bind 127.0.0.1\n"
    append text "port [dict get $rec port]\n"
    if {[dict get $rec unixsocket] ne ""} {
        append text "unixsocket [dict get $rec unixsocket]\n"
        append text "unixsocketperm 700\n"
    }
    if {[th::binary_is_shoal $bin]} {
        # Defaults must not depend on the runner's own cgroup limits (a CI
        # container's memory limit would set maxmemory): no cgroup unless a
        # test gives one (overrides, env SHOAL_CGROUP_ROOT or args).
        append text "cgroup-root \"\"\n"
    }
    if {![th::binary_is_shoal $bin]} {
        # A real Redis: keep its files in the server's directory, no
        # persistence, DEBUG allowed.
        append text "dir [dict get $rec dir]\n"
        append text "save \"\"\n"
        append text "appendonly no\n"
        append text "enable-debug-command yes\n"
    }
    set overrides [expr {[dict exists $options overrides] ? [dict get $options overrides] : {}}]
    foreach {k v} $overrides {
        append text "$k [th::config_value $v]\n"
    }
    return $text
}

# ---- start / stop ----

# Start a server process; returns its record. kind: test | reference
proc th::server_start {options kind} {
    variable server_seq
    variable tmproot
    set bin [expr {$kind eq "reference" ? $::th::reference_bin : $::th::server_bin}]
    if {[dict exists $options binary]} { set bin [dict get $options binary] }
    if {![file executable $bin]} {
        error "server binary not found or not executable: $bin"
    }
    incr server_seq
    set dir [file join $tmproot "server.[pid].$server_seq"]
    file delete -force $dir
    file mkdir $dir
    set overrides [expr {[dict exists $options overrides] ? [dict get $options overrides] : {}}]
    set sock ""
    if {[dict exists $overrides unixsocket]} {
        set sock [dict get $overrides unixsocket]
    } elseif {[dict exists $options unixsocket] && [dict get $options unixsocket]} {
        set sock [file join $dir socket]
        if {[string length $sock] > 100} {
            set sock "/tmp/shoal-test.[pid].$server_seq.sock"
        }
    }
    set rec [dict create id $server_seq kind $kind binary $bin dir $dir \
        host 127.0.0.1 port 0 unixsocket $sock pid 0 \
        stdout [file join $dir stdout] stderr [file join $dir stderr] \
        config_file [file join $dir server.conf] \
        args [expr {[dict exists $options args] ? [dict get $options args] : {}}] \
        client "" expect_exit 0 dead_reported 0 \
        is_shoal [th::binary_is_shoal $bin] options $options]
    set fixed_port [dict exists $overrides port]
    set wait [expr {[dict exists $options wait_ready] ? [dict get $options wait_ready] : 1}]
    set timeout [expr {[dict exists $options start_timeout] ? [dict get $options start_timeout] : $::th::start_timeout}]
    for {set attempt 1} {1} {incr attempt} {
        dict set rec port [expr {$fixed_port ? [dict get $overrides port] : [th::find_free_port]}]
        set fd [open [dict get $rec config_file] w]
        puts -nonewline $fd [th::build_config $rec $options]
        close $fd
        set rec [th::spawn $rec]
        if {!$wait} break
        set res [th::wait_ready $rec $timeout]
        if {$res eq "ready"} break
        set log [th::server_log $rec]
        if {$res eq "exited" && !$fixed_port && $attempt < 5
                && [regexp -nocase {address already in use|bind: } $log]} {
            th::info_msg "port [dict get $rec port] was taken, retrying"
            file delete [dict get $rec stdout] [dict get $rec stderr]
            continue
        }
        if {$res eq "timeout"} {
            th::signal [dict get $rec pid] KILL
            th::wait_exit [dict get $rec pid] 2000
            th::emit serverdone [dict get $rec pid]
            error "[th::describe $rec] did not answer PING within $timeout s; log:\n[th::tail $log 30]"
        }
        th::emit serverdone [dict get $rec pid]
        error "[th::describe $rec] exited during start-up; log:\n[th::tail $log 30]"
    }
    if {$wait} {
        dict set rec client [th::default_client $rec]
    }
    th::info_msg "started [th::describe $rec] config [th::rel [dict get $rec config_file]]"
    return $rec
}

# Runs script with the variables of the dict vars set in the environment
# (start_server's env option), restoring the environment afterwards.
proc th::with_env {vars script} {
    set saved {}
    foreach {k v} $vars {
        if {[dict exists $saved $k]} continue
        dict set saved $k [expr {[info exists ::env($k)] ? [list 1 $::env($k)] : [list 0 ""]}]
    }
    try {
        foreach {k v} $vars { set ::env($k) $v }
        uplevel 1 $script
    } finally {
        dict for {k old} $saved {
            if {[lindex $old 0]} { set ::env($k) [lindex $old 1] } else { unset -nocomplain ::env($k) }
        }
    }
}

proc th::spawn {rec} {
    set cmd [list [dict get $rec binary] [dict get $rec config_file] {*}[dict get $rec args]]
    set options [dict get $rec options]
    set vars [expr {[dict exists $options env] ? [dict get $options env] : {}}]
    th::with_env $vars {
        set pid [exec {*}$cmd > [dict get $rec stdout] 2> [dict get $rec stderr] &]
    }
    set pid [lindex $pid 0]
    dict set rec pid $pid
    th::emit serverpid $pid
    return $rec
}

# ready | exited | timeout
proc th::wait_ready {rec timeout} {
    set deadline [expr {[clock milliseconds] + int($timeout * 1000)}]
    set pid [dict get $rec pid]
    while {[clock milliseconds] < $deadline} {
        if {![th::pid_alive $pid]} { return exited }
        if {[th::ping $rec]} { return ready }
        after 20
    }
    if {![th::pid_alive $pid]} { return exited }
    return timeout
}

proc th::ping {rec} {
    set ok 0
    if {[dict get $rec port] > 0} {
        set how [list resp::client [dict get $rec host] [dict get $rec port] -timeout 2]
    } elseif {[dict get $rec unixsocket] ne ""} {
        set how [list resp::client_unix [dict get $rec unixsocket] -timeout 2]
    } else {
        return 0
    }
    if {![catch {{*}$how} c]} {
        if {![catch {$c ping} reply opts]} {
            set ok [expr {$reply eq "PONG"}]
        } elseif {[lindex [dict get $opts -errorcode] 0] eq "RESP"} {
            # NOAUTH (requirepass) and the like: it is up. LOADING: not yet.
            set ok [expr {![string match LOADING* $reply] && ![string match BUSY* $reply]}]
        }
        catch {$c close}
    }
    return $ok
}

proc th::default_client {rec} {
    if {[dict get $rec port] > 0} {
        return [resp::client [dict get $rec host] [dict get $rec port] -autoreconnect 1]
    }
    return [resp::client_unix [dict get $rec unixsocket] -autoreconnect 1]
}

proc th::close_clients {rec} {
    variable clients
    set id [dict get $rec id]
    if {[dict get $rec client] ne ""} { catch {[dict get $rec client] close} }
    if {[info exists clients($id)]} {
        foreach c $clients($id) { catch {$c close} }
        unset clients($id)
    }
}

# Stop a server: SIGTERM, SIGKILL after stop_timeout; then check it had not
# died on its own and that its log holds no sanitizer report. Problems are
# reported as failures of the file (returns the number reported).
proc th::server_stop {rec} {
    th::close_clients $rec
    set pid [dict get $rec pid]
    set problems {}
    if {$pid == 0} { return 0 }
    if {[th::pid_alive $pid]} {
        th::signal $pid TERM
        if {![th::wait_exit $pid [expr {int($::th::stop_timeout * 1000)}]]} {
            th::signal $pid KILL
            th::wait_exit $pid 5000
            lappend problems "[th::describe $rec] did not exit within $::th::stop_timeout s of SIGTERM (killed)"
        }
    } elseif {![dict get $rec expect_exit] && ![dict get $rec dead_reported]} {
        lappend problems "[th::describe $rec] had exited before the end of its start_server block; log:\n[th::tail [th::server_log $rec] 30]"
    }
    th::emit serverdone $pid
    if {![dict exists $rec sanitizer_reported]} {
        set san [th::sanitizer_report $rec]
        if {$san ne ""} { lappend problems $san }
    }
    foreach p $problems {
        incr ::th::failed
        th::emit fail "server check: [dict get $rec kind] server on port [dict get $rec port]" 0 \
            "" $p ""
    }
    if {[llength $problems] == 0 && !$::th::keep_tmp && $::th::failed == 0} {
        file delete -force [dict get $rec dir]
        if {[string match /tmp/shoal-test.* [dict get $rec unixsocket]]} {
            file delete -force [dict get $rec unixsocket]
        }
    } else {
        th::info_msg "server files kept in [th::rel [dict get $rec dir]]"
    }
    return [llength $problems]
}

# After each test: servers that died without being expected to.
proc th::servers_check_alive {} {
    variable servers
    variable ref_servers
    set msgs {}
    foreach stackvar {servers ref_servers} {
        set stack [set $stackvar]
        for {set i 0} {$i < [llength $stack]} {incr i} {
            set rec [lindex $stack $i]
            if {[dict get $rec expect_exit] || [dict get $rec dead_reported]} continue
            if {[th::pid_alive [dict get $rec pid]]} continue
            dict set rec dead_reported 1
            set msg "[th::describe $rec] died during this test"
            set san [th::sanitizer_report $rec]
            if {$san ne ""} {
                append msg "\n" $san
                dict set rec sanitizer_reported 1
            } else {
                append msg "; log:\n[th::tail [th::server_log $rec] 30]"
            }
            lset $stackvar $i $rec
            lappend msgs $msg
        }
    }
    return [join $msgs "\n"]
}


# ---- the blocks ----

proc th::block_skip_reason {alltags} {
    # Denied tags skip silently (filtered), environment skips are counted.
    foreach t $::th::deny_tags {
        if {$t in $alltags} { return filtered }
    }
    return [th::env_skip_reason $alltags]
}

proc th::run_block {stackvar kind options body} {
    if {[llength $options] % 2} {
        error "start_server: options must be key/value pairs: {$options}"
    }
    foreach k [dict keys $options] {
        if {$k ni {tags overrides args config unixsocket binary wait_ready start_timeout env}} {
            error "start_server: unknown option \"$k\" (tags overrides args config unixsocket binary wait_ready start_timeout env)"
        }
    }
    set tags [expr {[dict exists $options tags] ? [dict get $options tags] : {}}]
    if {$kind eq "reference"} { lappend tags needs-redis }
    set alltags [concat $::th::tags $tags]
    set reason [th::block_skip_reason $alltags]
    if {$reason eq "filtered"} return
    if {$reason ne ""} {
        incr ::th::skipped
        th::emit skip "(start_server block with tags {$tags})" $reason
        return
    }
    set saved_tags $::th::tags
    lappend ::th::tags {*}$tags
    try {
        set rec [th::server_start $options $kind]
    } on error {err opts} {
        set ::th::tags $saved_tags
        return -options $opts $err
    }
    lappend ::th::$stackvar $rec
    try {
        uplevel 2 $body
    } finally {
        set stack [set ::th::$stackvar]
        # The record may have been updated (restart_server, expect_exit).
        set rec [lindex $stack end]
        set ::th::$stackvar [lrange $stack 0 end-1]
        set ::th::tags $saved_tags
        th::server_stop $rec
    }
}

proc start_server {options body} {
    th::run_block servers test $options $body
}

proc start_reference_server {options body} {
    th::run_block ref_servers reference $options $body
}

# ---- accessors ----

proc th::stack_index {stackvar level} {
    set stack [set ::th::$stackvar]
    if {![string is integer -strict $level] || $level > 0} {
        error "bad server level \"$level\" (0, -1, -2, ...)"
    }
    set i [expr {[llength $stack] - 1 + $level}]
    if {$i < 0} {
        if {$stackvar eq "servers"} { error "no server at level $level (not inside start_server?)" }
        error "no reference server at level $level (not inside start_reference_server?)"
    }
    return $i
}

proc th::srv_get {stackvar args} {
    set level 0
    if {[llength $args] == 2} {
        lassign $args level property
    } elseif {[llength $args] == 1} {
        set property [lindex $args 0]
    } else {
        error "usage: srv ?level? property"
    }
    set rec [lindex [set ::th::$stackvar] [th::stack_index $stackvar $level]]
    if {![dict exists $rec $property]} {
        error "unknown server property \"$property\"; one of: [dict keys $rec]"
    }
    return [dict get $rec $property]
}

proc th::srv_set {stackvar level key value} {
    set i [th::stack_index $stackvar $level]
    set rec [lindex [set ::th::$stackvar] $i]
    dict set rec $key $value
    lset ::th::$stackvar $i $rec
}

proc srv {args} { th::srv_get servers {*}$args }
proc ref_srv {args} { th::srv_get ref_servers {*}$args }

proc th::level_and_args {argv} {
    if {[regexp {^-?[0-9]+$} [lindex $argv 0]]} {
        return [list [lindex $argv 0] [lrange $argv 1 end]]
    }
    return [list 0 $argv]
}

proc r {args} {
    lassign [th::level_and_args $args] level argv
    tailcall [srv $level client] {*}$argv
}

proc ref {args} {
    lassign [th::level_and_args $args] level argv
    tailcall [ref_srv $level client] {*}$argv
}

proc reconnect {{level 0}} {
    [srv $level client] reconnect
}

proc th::new_client {stackvar level opts {unix 0}} {
    variable clients
    set i [th::stack_index $stackvar $level]
    set rec [lindex [set ::th::$stackvar] $i]
    if {$unix} {
        if {[dict get $rec unixsocket] eq ""} {
            error "the server was not started with a unix socket (start_server {unixsocket 1})"
        }
        set c [resp::client_unix [dict get $rec unixsocket] {*}$opts]
    } else {
        set c [resp::client [dict get $rec host] [dict get $rec port] {*}$opts]
    }
    lappend clients([dict get $rec id]) $c
    return $c
}

# New connections to a server; closed automatically when the server stops.
proc redis_client {{level 0}} { th::new_client servers $level {} }
proc redis_deferring_client {{level 0}} { th::new_client servers $level {-deferred 1} }
proc redis_unix_client {{level 0} args} { th::new_client servers $level $args 1 }
proc ref_client {{level 0}} { th::new_client ref_servers $level {} }
proc ref_deferring_client {{level 0}} { th::new_client ref_servers $level {-deferred 1} }

# The server's output so far (stdout, then stderr).
proc srv_log {{level 0}} {
    set rec [lindex $::th::servers [th::stack_index servers $level]]
    return [th::server_log $rec]
}

# Lines of the server log matching a glob.
proc count_log_lines {pattern {level 0}} {
    set n 0
    foreach line [split [srv_log $level] "\n"] {
        if {[string match $pattern $line]} { incr n }
    }
    return $n
}

# Wait until a log line matches the glob (fails the test after ms).
proc wait_for_log {pattern {ms 5000} {level 0}} {
    set deadline [expr {[clock milliseconds] + $ms}]
    while {[count_log_lines $pattern $level] == 0} {
        if {[clock milliseconds] > $deadline} {
            th::assert_failed "no server log line matched [th::show $pattern] within $ms ms"
        }
        after 20
    }
}

# The test expects the server to exit (SHUTDOWN, a deliberate crash...):
# its death is then not reported as a failure.
proc expect_server_exit {{level 0}} {
    th::srv_set servers $level expect_exit 1
}

proc server_is_alive {{level 0}} {
    return [th::pid_alive [srv $level pid]]
}

# Stop the server (SIGTERM) and start it again with the same config file
# and port; the default client reconnects. Returns the new pid.
proc restart_server {{level 0}} {
    set i [th::stack_index servers $level]
    set rec [lindex $::th::servers $i]
    th::close_clients $rec
    set pid [dict get $rec pid]
    if {[th::pid_alive $pid]} {
        th::signal $pid TERM
        if {![th::wait_exit $pid [expr {int($::th::stop_timeout * 1000)}]]} {
            th::signal $pid KILL
            th::wait_exit $pid 5000
            error "[th::describe $rec] did not exit within $::th::stop_timeout s of SIGTERM"
        }
    }
    th::emit serverdone $pid
    set san [th::sanitizer_report $rec]
    if {$san ne ""} { th::assert_failed $san }
    # keep the old output next to the new one
    foreach f {stdout stderr} {
        set p [dict get $rec $f]
        if {[file exists $p]} { file rename -force $p $p.[clock milliseconds] }
    }
    set rec [th::spawn $rec]
    set timeout [expr {[dict exists [dict get $rec options] start_timeout] ? [dict get [dict get $rec options] start_timeout] : $::th::start_timeout}]
    set res [th::wait_ready $rec $timeout]
    if {$res ne "ready"} {
        error "[th::describe $rec] did not restart ($res); log:\n[th::tail [th::server_log $rec] 30]"
    }
    dict set rec client [th::default_client $rec]
    dict set rec expect_exit 0
    dict set rec dead_reported 0
    lset ::th::servers $i $rec
    return [dict get $rec pid]
}

# Run a server that is expected to exit by itself (a bad config, --help...).
# Returns a dict: exitcode (124 if it was still running after secs and was
# stopped), output (stdout+stderr), config_file.
proc run_server_expect_exit {options {secs 5}} {
    incr ::th::server_seq
    set dir [file join $::th::tmproot "server.[pid].$::th::server_seq"]
    file mkdir $dir
    set bin [expr {[dict exists $options binary] ? [dict get $options binary] : $::th::server_bin}]
    set rec [dict create binary $bin dir $dir port [th::find_free_port] unixsocket ""]
    set conf [file join $dir server.conf]
    set fd [open $conf w]
    puts -nonewline $fd [th::build_config $rec $options]
    close $fd
    set args [expr {[dict exists $options args] ? [dict get $options args] : {}}]
    set vars [expr {[dict exists $options env] ? [dict get $options env] : {}}]
    set code 0
    if {[catch {th::with_env $vars {exec timeout -k 2 $secs $bin $conf {*}$args 2>@1}} out opts]} {
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] eq "CHILDSTATUS"} {
            set code [lindex $ec 2]
        } elseif {[lindex $ec 0] eq "CHILDKILLED"} {
            set code "signal [lindex $ec 2]"
        } elseif {$ec eq "NONE"} {
            # only stderr output, exit status 0
            set code 0
        } else {
            set code "error: $out"
        }
    }
    if {!$::th::keep_tmp} { file delete -force $dir }
    return [dict create exitcode $code output $out config_file $conf]
}

# Differential check: the same command on the server under test (level 0)
# and on the innermost reference server must give the same reply or the
# same error. Returns the reply.
proc assert_same_reply {args} {
    set c1 [catch {r {*}$args} v1]
    set c2 [catch {ref {*}$args} v2]
    if {$c1 != $c2 || $v1 ne $v2} {
        set k1 [expr {$c1 ? "error" : "reply"}]
        set k2 [expr {$c2 ? "error" : "reply"}]
        th::assert_failed "assert_same_reply failed for [th::show $args]\n  reference $k2: [th::show $v2]\n  server $k1:    [th::show $v1]"
    }
    if {$c1} { return -code error $v1 }
    return $v1
}

lappend ::th::helper_procs ::assert_same_reply ::wait_for_log ::count_log_lines ::srv_log \
    ::restart_server
