# tests/helpers/util.tcl -- the test proc, tags, assertions and small
# utilities used by test files. Loaded into the child process that runs one
# test file (see tests/test_helper.tcl); reports results to the parent as
# "@@ ..." lines on standard output.

namespace eval th {
    # Set by test_helper.tcl before a file runs.
    variable root ""            ;# repository root
    variable file ""            ;# the test file being run (absolute)
    variable only {}            ;# --only globs
    variable allow_tags {}      ;# --tags TAG
    variable deny_tags {}       ;# --tags -TAG
    variable verbose 0
    # Runtime state.
    variable tags {}            ;# tag stack of enclosing tags/start_server
    variable in_test 0
    variable test_name ""
    variable test_frame 0       ;# [info frame] of the running test proc
    variable test_line ""       ;# line of the running `test` command
    variable test_file ""
    variable passed 0
    variable failed 0
    variable skipped 0
    # Procs whose frames are skipped when locating the failing line.
    variable helper_procs {}
}

# ---- reporting to the parent ----

proc th::escape {s} {
    return [string map [list \\ \\\\ \n \\n \r \\r] $s]
}

proc th::emit {args} {
    if {[catch {
        puts stdout "@@ [th::escape $args]"
        flush stdout
    }]} {
        # The runner is gone (interrupted): don't leave servers behind.
        foreach var {servers ref_servers} {
            if {![info exists ::th::$var]} continue
            foreach rec [set ::th::$var] {
                catch {exec kill -KILL [dict get $rec pid] 2>/dev/null}
            }
        }
        exit 1
    }
}

proc th::info_msg {msg} {
    th::emit info $msg
}

# ---- test ----

proc th::name_matches {name} {
    variable only
    if {[llength $only] == 0} { return 1 }
    foreach p $only {
        if {[string match $p $name]} { return 1 }
    }
    return 0
}

# Whether tags pass the --tags filters (filtered-out tests are not counted).
proc th::tags_acceptable {tags} {
    variable allow_tags
    variable deny_tags
    foreach t $deny_tags {
        if {$t in $tags} { return 0 }
    }
    if {[llength $allow_tags] == 0} { return 1 }
    foreach t $allow_tags {
        if {$t in $tags} { return 1 }
    }
    return 0
}

# Why tests with these tags can't run here ("" if they can).
proc th::env_skip_reason {tags} {
    if {"shoal-only" in $tags && ![th::is_shoal]} {
        return "shoal-only test, server is not shoal"
    }
    if {"needs-redis" in $tags && ![th::have_reference]} {
        return "needs-redis test, no reference server at $::th::reference_bin"
    }
    return ""
}

proc th::rel {path} {
    variable root
    if {[string first "$root/" $path] == 0} {
        return [string range $path [string length "$root/"] end]
    }
    return $path
}

# test NAME BODY ?TAGS?
proc test {name __test_body__ {tags {}}} {
    if {$::th::in_test} {
        error "test \"$name\" nested inside test \"$::th::test_name\""
    }
    if {![th::name_matches $name]} return
    set alltags [concat $::th::tags $tags]
    if {![th::tags_acceptable $alltags]} return
    set reason [th::env_skip_reason $alltags]
    if {$reason ne ""} {
        incr ::th::skipped
        th::emit skip $name $reason
        return
    }
    lassign [th::frame_location [expr {[info frame] - 1}]] ::th::test_file ::th::test_line
    th::emit begin $name
    set ::th::in_test 1
    set ::th::test_name $name
    set ::th::test_frame [info frame]
    set start [clock milliseconds]
    set code [catch {uplevel 1 $__test_body__} err opts]
    set ms [expr {[clock milliseconds] - $start}]
    set ::th::in_test 0
    set dead [th::servers_check_alive]

    set outcome ok
    set loc ""
    set detail ""
    if {$code == 1} {
        set ecode [dict get $opts -errorcode]
        switch -- [lindex $ecode 0] {
            SHOAL_SKIP {
                set outcome skip
            }
            SHOAL_ASSERT {
                set outcome fail
                set loc [lindex $ecode 1]
            }
            SHOAL_ABORT {
                set outcome fail
                set detail "aborted"
            }
            RESP {
                # An error reply the test did not catch: the trace from the
                # client internals on is noise, show the command only.
                set outcome fail
                set loc [th::error_location $opts]
                set ei [th::trim_errorinfo [dict get $opts -errorinfo]]
                if {[regexp -indices {\n    invoked from within\n"::resp::handle\d+ [^\n]*"\n} $ei m]} {
                    set ei [string range $ei [expr {[lindex $m 1] + 1}] end]
                }
                set err "uncaught error reply: $err"
                set detail $ei
            }
            default {
                set outcome fail
                set loc [th::error_location $opts]
                set detail [th::trim_errorinfo [dict get $opts -errorinfo]]
            }
        }
    }
    if {$dead ne ""} {
        if {$outcome eq "ok"} {
            set outcome fail
            set err ""
        } else {
            append err "\n"
        }
        append err $dead
    }
    switch -- $outcome {
        ok {
            incr ::th::passed
            th::emit ok $name $ms
        }
        skip {
            incr ::th::skipped
            th::emit skip $name $err
        }
        fail {
            incr ::th::failed
            if {$loc eq ""} { set loc "[th::rel $::th::test_file]:$::th::test_line" }
            th::emit fail $name $ms $loc $err $detail
        }
    }
    if {$dead ne ""} {
        return -code error -errorcode SHOAL_ABORT \
            "a server died during test \"$name\"; rest of the file skipped"
    }
}

# The file:line in the test file of a non-assertion error, from errorInfo.
proc th::error_location {opts} {
    set ei [dict get $opts -errorinfo]
    set base "[th::rel $::th::test_file]"
    if {[regexp {\("uplevel" body line (\d+)\)\s+invoked from within\s+"uplevel 1 \$__test_body__"} $ei -> n]
            && [string is integer -strict $::th::test_line]} {
        return "$base:[expr {$::th::test_line + $n - 1}]"
    }
    return "$base:$::th::test_line"
}

# errorInfo without the harness frames below the test body.
proc th::trim_errorinfo {ei} {
    set i [string first "\n    invoked from within\n\"uplevel 1 \$__test_body__\"" $ei]
    if {$i >= 0} {
        set ei [string range $ei 0 [expr {$i - 1}]]
        # the last line is then ("uplevel" body line N), keep it: it says
        # where in the test body the error came from.
    }
    return $ei
}

# tags {TAG ...} {BODY}: tests inside get the tags.
proc tags {tags body} {
    set saved $::th::tags
    lappend ::th::tags {*}$tags
    try {
        uplevel 1 $body
    } finally {
        set ::th::tags $saved
    }
}

# skip ?REASON?: inside a test, end it as skipped.
proc skip {{reason ""}} {
    return -code error -errorcode SHOAL_SKIP $reason
}

# ---- assertions ----

# Whether a file is part of the harness (its frames are not "user" code).
proc th::is_helper_file {file} {
    variable root
    return [expr {[string match "$root/tests/helpers/*" $file]
                  || $file eq "$root/tests/test_helper.tcl"}]
}

# The absolute {file line} of the command running in frame `upto`.
#
# Test files are read by `source`, so Tcl reports lines inside a script
# that a proc evaluates with uplevel (start_server, tags, test bodies...)
# relative to that script ("eval" frames). Walking the frames from the
# outside in rebuilds the absolute line: an eval frame that follows a
# harness frame is a script passed to a harness proc, which starts on the
# line of the command that passed it; one that follows a frame of a
# user-defined proc starts at the line that called that proc; consecutive
# eval frames belong to the same script (loops and ifs compiled inline).
# Assumes a body's opening brace is on its command's line, as usual.
proc th::frame_location {upto} {
    variable file
    set cur ""
    set curfile $file
    set base ""
    set basefile $file
    set callsite ""
    set callfile $file
    set prev ""                 ;# helper | user | eval
    for {set i 1} {$i <= $upto} {incr i} {
        set f [info frame $i]
        set type [dict get $f type]
        if {$type eq "source" && [dict exists $f file]} {
            set ff [dict get $f file]
            if {[th::is_helper_file $ff]} {
                set prev helper
                continue
            }
            if {$prev eq "eval"} {
                set callsite $cur
                set callfile $curfile
            }
            set cur [dict get $f line]
            set curfile $ff
            set prev user
        } elseif {$type eq "eval"} {
            if {$prev eq "helper"} {
                set base $cur
                set basefile $curfile
            } elseif {$prev eq "user"} {
                set base $callsite
                set basefile $callfile
            }
            if {[string is integer -strict $base]} {
                set cur [expr {$base + [dict get $f line] - 1}]
            } else {
                set cur ""
            }
            set curfile $basefile
            set prev eval
        }
    }
    return [list $curfile $cur]
}

# Where the failing assertion was called from, as "file:line": the
# innermost frame that is not inside a harness helper proc.
proc th::location {} {
    variable helper_procs
    set n [info frame]
    set ui 0
    for {set i [expr {$n - 1}]} {$i > 0} {incr i -1} {
        set f [info frame $i]
        set p [expr {[dict exists $f proc] ? [dict get $f proc] : ""}]
        if {$p in $helper_procs} continue
        set ui $i
        break
    }
    if {$ui == 0} { return "?" }
    lassign [th::frame_location $ui] f line
    if {$line eq ""} { set line "?" }
    set here "[th::rel $f]:$line"
    if {$::th::in_test && $ui > $::th::test_frame} {
        # Inside a proc called by the test body: also name the body line.
        set last 0
        for {set i [expr {$::th::test_frame + 1}]} {$i <= $ui} {incr i} {
            if {[dict get [info frame $i] type] ne "eval"} break
            set last $i
        }
        if {$last && $last < $ui} {
            lassign [th::frame_location $last] bf bl
            if {$bl ne "" && "[th::rel $bf]:$bl" ne $here} {
                append here " (called from [th::rel $bf]:$bl)"
            }
        }
    }
    return $here
}

proc th::assert_failed {msg} {
    return -code error -errorcode [list SHOAL_ASSERT [th::location]] $msg
}

# A readable rendering of a value: control and high bytes escaped, long
# values cut.
proc th::show {v {max 300}} {
    variable show_map
    if {![info exists show_map]} {
        set show_map [list \\ \\\\ \r \\r \n \\n \t \\t]
        for {set i 0} {$i < 256} {incr i} {
            if {($i < 32 && $i ni {9 10 13}) || $i >= 127} {
                lappend show_map [format %c $i] [format "\\x%02x" $i]
            }
        }
    }
    set len [string length $v]
    set s $v
    if {$len > $max} { set s [string range $v 0 [expr {$max - 1}]] }
    set s [string map $show_map $s]
    if {$len > $max} { append s "... ($len chars)" }
    return "'$s'"
}

proc th::first_diff {a b} {
    set n [expr {min([string length $a], [string length $b])}]
    for {set i 0} {$i < $n} {incr i} {
        if {[string index $a $i] ne [string index $b $i]} { return $i }
    }
    return $n
}

proc fail {msg} {
    th::assert_failed $msg
}

proc assert {condition {detail ""}} {
    if {![uplevel 1 [list expr $condition]]} {
        set msg "assertion failed: $condition"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

# assert_equal EXPECTED ACTUAL ?DETAIL?
proc assert_equal {expected actual {detail ""}} {
    if {$expected ne $actual} {
        set msg "assert_equal failed\n  expected: [th::show $expected]\n  got:      [th::show $actual]"
        if {[string length $expected] > 80 || [string length $actual] > 80} {
            append msg "\n  lengths: expected [string length $expected], got [string length $actual]; first difference at offset [th::first_diff $expected $actual]"
        }
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

proc assert_not_equal {unexpected actual {detail ""}} {
    if {$unexpected eq $actual} {
        set msg "assert_not_equal failed: got [th::show $actual]"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

# Same elements in any order (lists).
proc assert_equal_unordered {expected actual {detail ""}} {
    if {[lsort $expected] ne [lsort $actual]} {
        set msg "assert_equal_unordered failed\n  expected: [th::show [lsort $expected]]\n  got:      [th::show [lsort $actual]]"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

# Same key/value pairs in any order (RESP3 maps, HGETALL, CONFIG GET).
proc assert_dict_equal {expected actual {detail ""}} {
    set e [lsort -stride 2 -index 0 [dict get [dict create {*}$expected]]]
    set a [lsort -stride 2 -index 0 [dict get [dict create {*}$actual]]]
    if {$e ne $a} {
        set msg "assert_dict_equal failed\n  expected: [th::show $e]\n  got:      [th::show $a]"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

# assert_match GLOB ACTUAL
proc assert_match {pattern actual {detail ""}} {
    if {![string match $pattern $actual]} {
        set msg "assert_match failed\n  pattern: [th::show $pattern]\n  got:     [th::show $actual]"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

proc assert_no_match {pattern actual {detail ""}} {
    if {[string match $pattern $actual]} {
        set msg "assert_no_match failed\n  pattern: [th::show $pattern]\n  got:     [th::show $actual]"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

# assert_error GLOB {SCRIPT}: the script must raise an error matching GLOB.
proc assert_error {pattern script {detail ""}} {
    if {[catch {uplevel 1 $script} err opts]} {
        set ecode [lindex [dict get $opts -errorcode] 0]
        if {$ecode in {SHOAL_ASSERT SHOAL_SKIP SHOAL_ABORT}} {
            return -options $opts $err
        }
        if {![string match $pattern $err]} {
            set msg "assert_error failed: error does not match\n  pattern: [th::show $pattern]\n  error:   [th::show $err]"
            if {$detail ne ""} { append msg "\n  $detail" }
            th::assert_failed $msg
        }
        return $err
    }
    set msg "assert_error failed: no error raised (pattern [th::show $pattern])\n  result: [th::show $err]"
    if {$detail ne ""} { append msg "\n  $detail" }
    th::assert_failed $msg
}

proc assert_range {value min max {detail ""}} {
    if {![string is double -strict $value] || $value < $min || $value > $max} {
        set msg "assert_range failed: expected [th::show $value] to be between $min and $max"
        if {$detail ne ""} { append msg "\n  $detail" }
        th::assert_failed $msg
    }
}

proc assert_morethan {value than {detail ""}} {
    if {!($value > $than)} {
        th::assert_failed "assert_morethan failed: expected [th::show $value] > $than[expr {$detail ne "" ? "\n  $detail" : ""}]"
    }
}

proc assert_morethan_equal {value than {detail ""}} {
    if {!($value >= $than)} {
        th::assert_failed "assert_morethan_equal failed: expected [th::show $value] >= $than[expr {$detail ne "" ? "\n  $detail" : ""}]"
    }
}

proc assert_lessthan {value than {detail ""}} {
    if {!($value < $than)} {
        th::assert_failed "assert_lessthan failed: expected [th::show $value] < $than[expr {$detail ne "" ? "\n  $detail" : ""}]"
    }
}

proc assert_lessthan_equal {value than {detail ""}} {
    if {!($value <= $than)} {
        th::assert_failed "assert_lessthan_equal failed: expected [th::show $value] <= $than[expr {$detail ne "" ? "\n  $detail" : ""}]"
    }
}

# assert_encoding ENC KEY ?LEVEL?: OBJECT ENCODING of a key.
proc assert_encoding {enc key {level 0}} {
    set got [r $level object encoding $key]
    if {![string match $enc $got]} {
        th::assert_failed "assert_encoding failed for key [th::show $key]\n  expected: [th::show $enc]\n  got:      [th::show $got]"
    }
}

# assert_type TYPE KEY ?LEVEL?
proc assert_type {type key {level 0}} {
    set got [r $level type $key]
    if {$got ne $type} {
        th::assert_failed "assert_type failed for key [th::show $key]\n  expected: [th::show $type]\n  got:      [th::show $got]"
    }
}

# assert_closed CLIENT ?MS?: the server closes the connection within MS ms
# and sends nothing more first.
proc assert_closed {client {ms 3000}} {
    if {![$client wait_close $ms]} {
        th::assert_failed "assert_closed failed: connection still open after $ms ms (received [th::show [$client leftover]])"
    }
    if {[$client leftover] ne ""} {
        th::assert_failed "assert_closed failed: unexpected bytes before close: [th::show [$client leftover]]"
    }
}

# assert_open CLIENT: the connection still works (PING answers PONG).
proc assert_open {client} {
    if {[catch {$client ping} r] || $r ne "PONG"} {
        th::assert_failed "assert_open failed: PING on the connection gave [th::show $r]"
    }
}

# wait_for_condition MAXTRIES DELAYMS {CONDITION} else {SCRIPT}
proc wait_for_condition {maxtries delay condition else_kw else_script} {
    if {$else_kw ne "else"} { error "wait_for_condition: expected 'else', got '$else_kw'" }
    while {[incr maxtries -1] >= 0} {
        if {[uplevel 1 [list expr $condition]]} return
        after $delay
    }
    uplevel 1 $else_script
}

# ---- small utilities ----

proc randstring {min max {type binary}} {
    set len [expr {$min + int(rand() * ($max - $min + 1))}]
    set out ""
    switch -- $type {
        binary { set lo 0; set hi 255 }
        alpha { set lo 48; set hi 122 }
        compr { set lo 48; set hi 52 }
        default { error "randstring: unknown type $type" }
    }
    for {set i 0} {$i < $len} {incr i} {
        append out [format %c [expr {$lo + int(rand() * ($hi - $lo + 1))}]]
    }
    return $out
}

# All 256 byte values, in order.
proc all_bytes {} {
    set s ""
    for {set i 0} {$i < 256} {incr i} { append s [format %c $i] }
    return $s
}

# Split INFO output into a dict of field -> value.
proc info_dict {text} {
    set d [dict create]
    foreach line [split $text "\n"] {
        set line [string trimright $line "\r"]
        if {$line eq "" || [string index $line 0] eq "#"} continue
        set i [string first : $line]
        if {$i < 0} continue
        dict set d [string range $line 0 [expr {$i - 1}]] [string range $line [expr {$i + 1}] end]
    }
    return $d
}

# s ?LEVEL? FIELD: a field of INFO on a server (0 = innermost).
proc s {args} {
    set level 0
    if {[llength $args] == 2} { set level [lindex $args 0]; set args [lrange $args 1 end] }
    set d [info_dict [r $level info all]]
    set f [lindex $args 0]
    if {[dict exists $d $f]} { return [dict get $d $f] }
    return ""
}

# Frames running inside these procs are skipped when locating a failure.
# (Not `test`/`tags`: a test body's own frames report proc ::test.)
foreach __p [concat [info procs ::th::*] \
        [lmap __x {fail assert assert_equal assert_not_equal assert_equal_unordered
            assert_dict_equal assert_match assert_no_match assert_error assert_range
            assert_morethan assert_morethan_equal assert_lessthan assert_lessthan_equal
            assert_encoding assert_type assert_closed assert_open wait_for_condition
            skip} {set __x ::$__x}]] {
    lappend ::th::helper_procs $__p
}
unset -nocomplain __p __x
