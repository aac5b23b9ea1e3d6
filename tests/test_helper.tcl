#!/usr/bin/env tclsh
# tests/test_helper.tcl -- runs shoal's Tcl test suite (`make test`).
#
#   tclsh tests/test_helper.tcl [options]
#
# Every test file (tests/unit/**/*.tcl, then tests/integration/**/*.tcl,
# sorted) runs in its own tclsh child process, so one file's crash, hang or
# leaked state cannot affect the others. The children report each test as
# "@@ ..." lines on their standard output; this parent prints progress, a
# report of every failure, and ends with a line "N passed, N failed" (plus
# ", N skipped" when some were). The exit status is non-zero if anything
# failed. See tests/README.md.

set ::tests_dir [file dirname [file normalize [info script]]]
set ::root [file dirname $::tests_dir]

proc usage {} {
    puts {Usage: tclsh tests/test_helper.tcl [options]

  --single FILE      run only this test file (repeatable); FILE may be
                     unit/protocol, unit/protocol.tcl, tests/unit/protocol.tcl
                     or any path to a .tcl file
  --only PATTERN     run only tests whose name matches the glob (repeatable)
  --tags TAGS        TAG: run only tests having the tag; -TAG: skip tests
                     having it (repeatable; TAGS may hold several, space
                     separated: --tags "-slow -needs-redis")
  --server PATH      server binary under test (default src/shoal-server);
                     e.g. /usr/bin/redis-server to check the tests
                     themselves, src/shoal-server-address for ASan
  --reference PATH   reference Redis for needs-redis tests
                     (default /usr/bin/redis-server)
  --jobs N           test files run in parallel (default 2); --clients N
                     is the same
  --timeout SECS     per test file; a file still running is killed and
                     counted as failed (default 300)
  --start-timeout S  how long a server may take to answer PING (default 10)
  --verbose          also print harness details (servers started, ...)
  --quiet            print only failures and the summary
  --keep-tmp         keep tests/tmp/server.* directories even on success
  --list             list the test files that would run, and exit
  --help             this text}
}

# ---- option parsing (shared by parent and child) ----

array set opt {
    server "" reference /usr/bin/redis-server verbose 0 quiet 0 list 0
    timeout 300 jobs 2 keep_tmp 0 start_timeout 10 run_file "" baseport 21000
    single {} only {} tags {}
}

proc parse_args {argv} {
    global opt
    for {set i 0} {$i < [llength $argv]} {incr i} {
        set a [lindex $argv $i]
        set has_val [expr {$i + 1 < [llength $argv]}]
        set val [lindex $argv [expr {$i + 1}]]
        switch -exact -- $a {
            --single { lappend opt(single) $val; incr i }
            --only { lappend opt(only) $val; incr i }
            --tags { lappend opt(tags) {*}$val; incr i }
            --server { set opt(server) $val; incr i }
            --reference { set opt(reference) $val; incr i }
            --jobs - --clients { set opt(jobs) $val; incr i }
            --timeout { set opt(timeout) $val; incr i }
            --start-timeout { set opt(start_timeout) $val; incr i }
            --verbose { set opt(verbose) 1 }
            --quiet { set opt(quiet) 1 }
            --keep-tmp { set opt(keep_tmp) 1 }
            --list { set opt(list) 1 }
            --run-file { set opt(run_file) $val; incr i }
            --baseport { set opt(baseport) $val; incr i }
            --help - -h { usage; exit 0 }
            default {
                puts stderr "test_helper: unknown option '$a' (see --help)"
                exit 2
            }
        }
        if {$a ni {--verbose --quiet --keep-tmp --list --help -h} && !$has_val} {
            puts stderr "test_helper: option $a needs a value"
            exit 2
        }
    }
    foreach k {jobs timeout start_timeout} {
        if {![string is double -strict $opt($k)] || $opt($k) <= 0} {
            puts stderr "test_helper: bad value for --[string map {_ -} $k]: '$opt($k)'"
            exit 2
        }
    }
}

proc resolve_binary {path} {
    if {$path eq ""} { return [file join $::root src shoal-server] }
    if {[file pathtype $path] eq "absolute"} { return $path }
    if {[file exists $path]} { return [file normalize $path] }
    set p [file join $::root $path]
    if {[file exists $p]} { return [file normalize $p] }
    if {[llength [file split $path]] == 1 && [auto_execok $path] ne ""} {
        return [lindex [auto_execok $path] 0]
    }
    return [file normalize $path]
}

parse_args $argv

# =====================================================================
# Child: run one test file.
# =====================================================================

proc run_child {} {
    global opt
    fconfigure stdout -buffering line
    foreach f {resp.tcl util.tcl server.tcl} {
        source [file join $::tests_dir helpers $f]
    }
    set ::th::root $::root
    set ::th::file [file normalize $opt(run_file)]
    set ::th::only $opt(only)
    foreach t $opt(tags) {
        if {[string index $t 0] eq "-"} {
            lappend ::th::deny_tags [string range $t 1 end]
        } else {
            lappend ::th::allow_tags $t
        }
    }
    set ::th::verbose $opt(verbose)
    set ::th::server_bin $opt(server)
    set ::th::reference_bin $opt(reference)
    set ::th::baseport $opt(baseport)
    set ::th::portrange 100
    set ::th::start_timeout $opt(start_timeout)
    set ::th::keep_tmp $opt(keep_tmp)
    set ::th::tmproot [file join $::tests_dir tmp]
    file mkdir $::th::tmproot
    if {![info exists ::env(UBSAN_OPTIONS)]} {
        set ::env(UBSAN_OPTIONS) print_stacktrace=1
    }

    th::emit start $::th::file
    set code [catch {uplevel #0 [list source $::th::file]} err opts]
    if {$code == 1} {
        set ecode [dict get $opts -errorcode]
        switch -- [lindex $ecode 0] {
            SHOAL_ABORT {
                th::emit fileerror $err ""
            }
            SHOAL_SKIP {
                incr ::th::skipped
                th::emit skip "(whole file)" $err
            }
            SHOAL_ASSERT {
                th::emit fileerror "assertion outside a test at [lindex $ecode 1]: $err" ""
            }
            default {
                th::emit fileerror "error outside a test: $err" [dict get $opts -errorinfo]
            }
        }
    }
    # Servers are stopped by their start_server blocks; this is a last
    # resort for anything left behind (e.g. an error inside server_start).
    foreach var {servers ref_servers} {
        foreach rec [set ::th::$var] { catch {th::server_stop $rec} }
    }
    th::emit done $::th::passed $::th::failed $::th::skipped
    exit 0
}

if {$opt(run_file) ne ""} {
    run_child
}

# =====================================================================
# Parent: find the files, run them in child processes, report.
# =====================================================================

proc rel {path} {
    if {[string first "$::root/" $path] == 0} {
        return [string range $path [string length "$::root/"] end]
    }
    return $path
}

proc short {path} {
    set r [rel $path]
    if {[string match tests/* $r]} { set r [string range $r 6 end] }
    return $r
}

proc find_tcl_files {dir} {
    set out {}
    foreach f [glob -nocomplain -directory $dir -types f *.tcl] { lappend out $f }
    foreach d [glob -nocomplain -directory $dir -types d *] {
        lappend out {*}[find_tcl_files $d]
    }
    return $out
}

proc discover {} {
    set files {}
    foreach sub {unit integration} {
        lappend files {*}[lsort [find_tcl_files [file join $::tests_dir $sub]]]
    }
    return $files
}

proc resolve_single {name} {
    set cands [list $name "$name.tcl" [file join $::root $name] [file join $::root "$name.tcl"] \
        [file join $::tests_dir $name] [file join $::tests_dir "$name.tcl"] \
        [file join $::tests_dir unit $name] [file join $::tests_dir unit "$name.tcl"] \
        [file join $::tests_dir integration $name] [file join $::tests_dir integration "$name.tcl"]]
    foreach c $cands {
        if {[file isfile $c]} { return [file normalize $c] }
    }
    puts stderr "test_helper: no test file '$name'"
    exit 2
}

proc out {line} {
    puts stdout $line
    flush stdout
}

proc indent {text {pfx "    "}} {
    return "$pfx[join [split [string trimright $text "\n"] "\n"] "\n$pfx"]"
}

set ::passed 0
set ::failed 0
set ::skipped 0
set ::failures {}       ;# list of report texts
set ::running [dict create]
set ::queue {}
set ::started_files 0
set ::finished_files 0

proc record_failure {file name loc msg detail} {
    set r "\[err\]: $name ([short $file])"
    if {$loc ne ""} { append r "\n    at $loc" }
    if {$msg ne ""} { append r "\n[indent $msg]" }
    if {$detail ne ""} { append r "\n[indent $detail {    | }]" }
    lappend ::failures $r
    out $r
}

proc unescape {s} {
    return [string map [list \\\\ \\ \\n \n \\r \r] $s]
}

proc launch_next {} {
    global opt
    while {[dict size $::running] < $opt(jobs) && [llength $::queue] > 0} {
        set file [lindex $::queue 0]
        set ::queue [lrange $::queue 1 end]
        set idx $::started_files
        incr ::started_files
        set baseport [expr {20000 + (([pid] * 37 + $idx * 100) % 10000)}]
        set cmd [list [info nameofexecutable] [file join $::tests_dir test_helper.tcl] \
            --run-file $file --server $opt(server) --reference $opt(reference) \
            --baseport $baseport --start-timeout $opt(start_timeout)]
        foreach o $opt(only) { lappend cmd --only $o }
        foreach t $opt(tags) { lappend cmd --tags $t }
        if {$opt(verbose)} { lappend cmd --verbose }
        if {$opt(keep_tmp)} { lappend cmd --keep-tmp }
        set chan [open |[concat $cmd [list 2>@1]] r]
        fconfigure $chan -blocking 0 -buffering line -translation lf
        set st [dict create file $file start [clock milliseconds] passed 0 failed 0 \
            skipped 0 done 0 timed_out 0 current "" servers {} output {} child [pid $chan]]
        dict set st timer [after [expr {int($opt(timeout) * 1000)}] [list on_timeout $chan]]
        dict set ::running $chan $st
        fileevent $chan readable [list on_readable $chan]
    }
    if {[dict size $::running] == 0 && [llength $::queue] == 0} {
        set ::all_done 1
    }
}

proc st_set {chan key value} {
    dict set ::running $chan $key $value
}
proc st_get {chan key} {
    return [dict get $::running $chan $key]
}
proc st_incr {chan key} {
    dict set ::running $chan $key [expr {[dict get $::running $chan $key] + 1}]
}

proc on_readable {chan} {
    while {[gets $chan line] >= 0} {
        handle_line $chan $line
    }
    if {[eof $chan]} {
        finish_file $chan
    }
}

proc handle_line {chan line} {
    global opt
    set file [st_get $chan file]
    if {![string match "@@ *" $line]} {
        set o [st_get $chan output]
        lappend o $line
        if {[llength $o] > 40} { set o [lrange $o end-39 end] }
        st_set $chan output $o
        out "\[[short $file]\] $line"
        return
    }
    if {[catch {set msg [unescape [string range $line 3 end]]; llength $msg}]} {
        out "\[[short $file]\] (unparsable) $line"
        return
    }
    set args [lassign $msg kind]
    switch -exact -- $kind {
        start {}
        begin {
            st_set $chan current [lindex $args 0]
            if {$opt(verbose)} { out "\[begin\]: [lindex $args 0] ([short $file])" }
        }
        ok {
            lassign $args name ms
            st_incr $chan passed
            incr ::passed
            st_set $chan current ""
            if {!$opt(quiet)} { out "\[ok\]: $name ($ms ms)" }
        }
        skip {
            lassign $args name reason
            st_incr $chan skipped
            incr ::skipped
            st_set $chan current ""
            if {!$opt(quiet)} { out "\[skip\]: $name -- $reason" }
        }
        fail {
            lassign $args name ms loc err detail
            st_incr $chan failed
            incr ::failed
            st_set $chan current ""
            record_failure $file $name $loc $err $detail
        }
        fileerror {
            lassign $args err detail
            st_incr $chan failed
            incr ::failed
            record_failure $file "(file level error)" "" $err $detail
        }
        info {
            if {$opt(verbose)} { out "\[info\]: [lindex $args 0] ([short $file])" }
        }
        serverpid {
            set s [st_get $chan servers]
            lappend s [lindex $args 0]
            st_set $chan servers $s
        }
        serverdone {
            set s [st_get $chan servers]
            set i [lsearch -exact $s [lindex $args 0]]
            if {$i >= 0} { set s [lreplace $s $i $i] }
            st_set $chan servers $s
        }
        done {
            st_set $chan done 1
        }
        default {
            out "\[[short $file]\] (unknown message) $line"
        }
    }
}

proc pid_alive {pid} {
    if {[catch {open /proc/$pid/stat r} fd]} { return 0 }
    set stat [read $fd]
    close $fd
    set i [string last ")" $stat]
    set state [string index [string trimleft [string range $stat [expr {$i + 1}] end]] 0]
    return [expr {$state ni {Z X x}}]
}

proc kill_pids {pids} {
    foreach pid $pids {
        if {[pid_alive $pid]} {
            catch {exec kill -KILL $pid 2>/dev/null}
        }
    }
}

proc on_timeout {chan} {
    global opt
    st_set $chan timed_out 1
    st_set $chan timer ""
    kill_pids [st_get $chan child]
    kill_pids [st_get $chan servers]
    st_set $chan servers {}
    # EOF on the pipe follows and finishes the file.
}

proc finish_file {chan} {
    global opt
    set st [dict get $::running $chan]
    if {[dict get $st timer] ne ""} { after cancel [dict get $st timer] }
    fconfigure $chan -blocking 1
    set status ""
    if {[catch {close $chan} err opts]} {
        set ec [dict get $opts -errorcode]
        switch -- [lindex $ec 0] {
            CHILDSTATUS { set status "exit status [lindex $ec 2]" }
            CHILDKILLED { set status "killed by [lindex $ec 2]" }
            default { set status "" }
        }
    }
    dict unset ::running $chan
    set file [dict get $st file]
    # Children stop their servers; make sure nothing outlives a dead child.
    kill_pids [dict get $st servers]
    set extra_fail 0
    if {[dict get $st timed_out]} {
        set cur [dict get $st current]
        set msg "timed out after $opt(timeout) s; the file was killed"
        if {$cur ne ""} { append msg " while running test \"$cur\"" }
        record_failure $file "(timeout)" "" $msg ""
        set extra_fail 1
    } elseif {![dict get $st done]} {
        set cur [dict get $st current]
        set msg "the test process exited unexpectedly"
        if {$status ne ""} { append msg " ($status)" }
        if {$cur ne ""} { append msg " while running test \"$cur\"" }
        set tail [dict get $st output]
        if {[llength $tail] > 0} {
            append msg "\nlast output:\n[indent [join [lrange $tail end-19 end] \n]]"
        }
        record_failure $file "(crash)" "" $msg ""
        set extra_fail 1
    }
    if {$extra_fail} {
        incr ::failed
        dict incr st failed
    }
    incr ::finished_files
    set secs [format %.1f [expr {([clock milliseconds] - [dict get $st start]) / 1000.0}]]
    set line "\[$::finished_files/$::total_files done\]: [short $file]: [dict get $st passed] passed, [dict get $st failed] failed"
    if {[dict get $st skipped]} { append line ", [dict get $st skipped] skipped" }
    append line " ($secs s)"
    out $line
    launch_next
}

# Server directories are kept when their file failed; drop those of test
# processes that are gone, after an hour (other runs may share tests/tmp).
proc prune_tmp {} {
    set now [clock seconds]
    foreach d [glob -nocomplain -directory [file join $::tests_dir tmp] -types d server.*] {
        if {![regexp {^server\.(\d+)\.\d+$} [file tail $d] -> owner]} continue
        if {[pid_alive $owner]} continue
        if {[catch {file mtime $d} mt] || $now - $mt < 3600} continue
        catch {file delete -force $d}
    }
}

proc main {} {
    global opt
    prune_tmp
    set opt(server) [resolve_binary $opt(server)]
    set opt(reference) [resolve_binary $opt(reference)]
    if {[llength $opt(single)]} {
        set files {}
        foreach s $opt(single) { lappend files [resolve_single $s] }
    } else {
        set files [discover]
    }
    if {$opt(list)} {
        foreach f $files { out [rel $f] }
        exit 0
    }
    if {![file executable $opt(server)]} {
        out "test_helper: server binary not found or not executable: [rel $opt(server)]"
        out "  build it with `make`, or choose one with --server PATH"
        out "0 passed, 1 failed"
        exit 1
    }
    set ::total_files [llength $files]
    set ::queue $files
    set t0 [clock milliseconds]
    if {!$opt(quiet)} {
        out "Testing [rel $opt(server)] with $::total_files file(s), $opt(jobs) at a time"
    }
    launch_next
    if {![info exists ::all_done]} { vwait ::all_done }
    set secs [format %.1f [expr {([clock milliseconds] - $t0) / 1000.0}]]
    out ""
    if {[llength $::failures]} {
        out "======== [llength $::failures] failure(s) ========"
        foreach f $::failures { out $f }
        out "========"
    }
    out "All tests finished in $secs s"
    set line "$::passed passed, $::failed failed"
    if {$::skipped} { append line ", $::skipped skipped" }
    out $line
    exit [expr {$::failed > 0 ? 1 : 0}]
}

if {[catch main err opts]} {
    # A bug in the runner itself: still end with the closing line.
    puts stderr "test_helper: internal error: [dict get $opts -errorinfo]"
    foreach chan [dict keys $::running] {
        catch {kill_pids [st_get $chan child]}
        catch {kill_pids [st_get $chan servers]}
    }
    puts "$::passed passed, [expr {$::failed + 1}] failed"
    exit 1
}
