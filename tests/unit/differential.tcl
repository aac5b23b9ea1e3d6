# tests/unit/differential.tcl -- differential test: a seeded random stream of
# the commands shoal implements (valid and invalid arguments, expiries,
# pipelines, transactions, WATCH from a second client, RESP2 and RESP3) is
# sent to the server under test and to Debian's redis-server 7.0.15 side by
# side, and every reply is compared as raw RESP (type and bytes), with a
# tolerance only where time makes replies differ (TTL, PTTL, EXPIRETIME of
# relative expiries), sorting for KEYS, whole-iteration key sets for SCAN,
# and null/non-null plus membership for RANDOMKEY. The generator is
# tests/helpers/diffgen.tcl (its header says how timing is kept out of the
# comparison).
#
# Environment:
#   SHOAL_DIFF_COMMANDS=N   commands per portion (RESP2 and RESP3 each);
#                           default 5000. Long runs need a larger
#                           --timeout for the file (default 300 s).
#   SHOAL_DIFF_SEED=S       the seed (default: a fixed one, so make test is
#                           deterministic; "random" picks a new one). It is
#                           shown in the test names and every mismatch report
#   SHOAL_DIFF_TRACE=1      print every command and both replies
#   SHOAL_DIFF_CONTINUE=N   go on after a mismatch, up to N of them (later
#                           ones may only be consequences of earlier ones);
#                           the test still fails, listing them all
#
#   tclsh tests/test_helper.tcl --single unit/differential
#   SHOAL_DIFF_COMMANDS=200000 SHOAL_DIFF_SEED=42 \
#       tclsh tests/test_helper.tcl --single unit/differential --timeout 7200
#   tclsh tests/test_helper.tcl --single unit/differential \
#       --server /usr/bin/redis-server          ;# redis against redis
#
# A mismatch fails the test with the seed, the command's index, the command
# (redis-cli quoting), both replies (raw RESP), the comparison used, the last
# commands before it, and the environment to replay it.

source [file join $::th::root tests helpers diffgen.tcl]

namespace eval diff {
    variable seed
    variable ncmds
    variable trace 0
    variable history {}
    variable portion ""
    variable reply_timeout 30
    variable ttl_tol 1            ;# s
    variable pttl_tol 1000        ;# ms
    variable dump_every 1000      ;# full keyspace comparison every N commands
    variable dbs_used 4           ;# the generator uses databases 0..3
    variable keep_going 0         ;# SHOAL_DIFF_CONTINUE
    variable mismatches {}
    variable fd                   ;# fd(A|B|A2|B2|A3|B3)
    array set fd {}
}

set diff::seed 20261124
if {[info exists ::env(SHOAL_DIFF_SEED)] && $::env(SHOAL_DIFF_SEED) ne ""} {
    set diff::seed $::env(SHOAL_DIFF_SEED)
}
if {$diff::seed eq "random"} {
    set diff::seed [expr {([clock microseconds] ^ ([pid] << 20)) % 1000000000}]
}
if {![string is wideinteger -strict $diff::seed] || $diff::seed < 0} {
    error "SHOAL_DIFF_SEED must be a non-negative integer, got '$diff::seed'"
}
if {[info exists ::env(SHOAL_DIFF_COMMANDS)] && $::env(SHOAL_DIFF_COMMANDS) ne ""} {
    set diff::ncmds $::env(SHOAL_DIFF_COMMANDS)
} else {
    set diff::ncmds 5000
}
if {![string is integer -strict $diff::ncmds] || $diff::ncmds < 0} {
    error "SHOAL_DIFF_COMMANDS must be a non-negative integer, got '$diff::ncmds'"
}
if {[info exists ::env(SHOAL_DIFF_CONTINUE)] && $::env(SHOAL_DIFF_CONTINUE) ne ""} {
    set diff::keep_going $::env(SHOAL_DIFF_CONTINUE)
    if {![string is integer -strict $diff::keep_going]} {
        error "SHOAL_DIFF_CONTINUE must be an integer, got '$diff::keep_going'"
    }
}
if {[info exists ::env(SHOAL_DIFF_TRACE)] && $::env(SHOAL_DIFF_TRACE) ni {"" 0}} {
    set diff::trace 1
}

# ---- printing ----

# An argument as redis-cli would take it.
proc diff::fmt_arg {a} {
    if {$a ne "" && [string length $a] <= 160
            && [regexp {^[A-Za-z0-9_:.+*?/@%=,{}\[\]^!-]+$} $a]} { return $a }
    set out "\""
    set n 0
    foreach ch [split $a ""] {
        if {[incr n] > 160} {
            append out "...\" (an argument of [string length $a] bytes, cut)"
            return $out
        }
        scan $ch %c c
        switch -- $ch {
            "\"" { append out "\\\"" }
            "\\" { append out "\\\\" }
            "\n" { append out "\\n" }
            "\r" { append out "\\r" }
            "\t" { append out "\\t" }
            default {
                if {$c < 32 || $c > 126} {
                    append out [format "\\x%02x" $c]
                } else {
                    append out $ch
                }
            }
        }
    }
    append out "\""
    return $out
}

proc diff::fmt_cmd {cmd} {
    return [join [lmap a $cmd {diff::fmt_arg $a}] " "]
}

# A reply as raw RESP, escaped and cut to max characters.
proc diff::fmt_reply {node {max 600}} {
    set raw [diff::raw $node]
    set s [string map [list \\ \\\\ \r \\r \n \\n \t \\t] $raw]
    set out ""
    foreach ch [split $s ""] {
        scan $ch %c c
        if {$c < 32 || $c > 126} { append out [format "\\x%02x" $c] } else { append out $ch }
    }
    if {[string length $out] > $max} {
        set out "[string range $out 0 [expr {$max - 1}]]... ([string length $raw] bytes)"
    }
    return $out
}

# ---- RESP reading: replies as typed trees ----
#
# A node is a list {TYPE PAYLOAD}: "+ OK", "- {ERR ...}", ": 12", "$ bytes",
# "$nil", "*nil", "_", ", 1.5", "# t", "( 123", "= txt:..", "! msg",
# "* {node ...}" (also ~ > and % / | with 2n nodes; "|" is followed by the
# attributed reply as a third element).

proc diff::wait_readable {f} {
    variable reply_timeout
    if {[chan pending input $f] > 0} return
    set ::diff::ready 0
    fileevent $f readable {set ::diff::ready 1}
    set t [after [expr {$reply_timeout * 1000}] {set ::diff::ready 2}]
    vwait ::diff::ready
    fileevent $f readable {}
    after cancel $t
    if {$::diff::ready == 2} {
        error "no reply within $reply_timeout s"
    }
}

proc diff::line {f} {
    if {[catch {gets $f line} n]} { error "read error: $n" }
    if {$n < 0} {
        if {[eof $f]} { error "connection closed by the server" }
        error "incomplete line"
    }
    if {[string index $line end] ne "\r"} {
        error "protocol error: line not ended by CRLF: [diff::fmt_arg $line]"
    }
    return [string range $line 0 end-1]
}

proc diff::count {line} {
    set n [string range $line 1 end]
    if {![string is integer -strict $n] || $n < -1} {
        error "protocol error: bad length in [diff::fmt_arg $line]"
    }
    return $n
}

proc diff::parse {f} {
    set line [diff::line $f]
    set t [string index $line 0]
    set rest [string range $line 1 end]
    switch -exact -- $t {
        + - - - : - , - ( - # {
            return [list $t $rest]
        }
        _ {
            if {$rest ne ""} { error "protocol error: [diff::fmt_arg $line]" }
            return [list _]
        }
        $ - = - ! {
            set n [diff::count $line]
            if {$n < 0} {
                if {$t ne "\$"} { error "protocol error: [diff::fmt_arg $line]" }
                return [list {$nil}]
            }
            set data [read $f [expr {$n + 2}]]
            if {[string length $data] != $n + 2} { error "connection closed in a bulk reply" }
            if {[string range $data end-1 end] ne "\r\n"} {
                error "protocol error: bulk of $n bytes not followed by CRLF"
            }
            return [list $t [string range $data 0 end-2]]
        }
        * - ~ - > - % - | {
            set n [diff::count $line]
            if {$n < 0} {
                if {$t ne "*"} { error "protocol error: [diff::fmt_arg $line]" }
                return [list *nil]
            }
            if {$t in {% |}} { set n [expr {2 * $n}] }
            set l {}
            for {set i 0} {$i < $n} {incr i} { lappend l [diff::parse $f] }
            if {$t eq "|"} { return [list | $l [diff::parse $f]] }
            return [list $t $l]
        }
        default {
            error "protocol error: unexpected reply line [diff::fmt_arg $line]"
        }
    }
}

proc diff::raw {node} {
    lassign $node t p
    switch -exact -- $t {
        + - - - : - , - ( - # { return "$t$p\r\n" }
        _ { return "_\r\n" }
        {$nil} { return "\$-1\r\n" }
        *nil { return "*-1\r\n" }
        $ - = - ! { return "$t[string length $p]\r\n$p\r\n" }
        * - ~ - > - % - | {
            set n [llength $p]
            if {$t in {% |}} { set n [expr {$n / 2}] }
            set out "$t$n\r\n"
            foreach c $p { append out [diff::raw $c] }
            if {$t eq "|"} { append out [diff::raw [lindex $node 2]] }
            return $out
        }
    }
    return "?$node"
}

# Reads one reply; a read failure becomes a pseudo reply "X message" that
# never equals a real one.
proc diff::read_reply {f} {
    if {[catch {diff::wait_readable $f; diff::parse $f} node]} {
        return [list X $node]
    }
    return $node
}

proc diff::send {f cmd} {
    puts -nonewline $f [resp::encode $cmd]
}

# ---- comparison ----

proc diff::is_int {node} {
    return [expr {[lindex $node 0] eq ":" && [string is wideinteger -strict [lindex $node 1]]}]
}

# 1 if the replies a (server under test) and b (reference) match for kind.
proc diff::same {a b kind {qkinds {}}} {
    variable ttl_tol
    variable pttl_tol
    if {[lindex $a 0] eq "X" || [lindex $b 0] eq "X"} { return 0 }
    if {$a eq $b} { return 1 }
    switch -exact -- $kind {
        ttl - pttl {
            if {![diff::is_int $a] || ![diff::is_int $b]} { return 0 }
            set x [lindex $a 1]
            set y [lindex $b 1]
            if {$x < 0 || $y < 0} { return 0 }
            set tol [expr {$kind eq "ttl" ? $ttl_tol : $pttl_tol}]
            return [expr {abs($x - $y) <= $tol}]
        }
        expiretime - pexpiretime {
            if {![diff::is_int $a] || ![diff::is_int $b]} { return 0 }
            set x [lindex $a 1]
            set y [lindex $b 1]
            if {$x < 0 || $y < 0} { return 0 }
            if {$kind eq "expiretime"} {
                set band [diffgen::band_s]
                set tol $ttl_tol
            } else {
                set band [diffgen::band_ms]
                set tol $pttl_tol
            }
            # from an absolute input: exact
            if {$x >= $band || $y >= $band} { return 0 }
            return [expr {abs($x - $y) <= $tol}]
        }
        sorted {
            lassign $a ta pa
            lassign $b tb pb
            if {$ta ne $tb || $ta ni {* ~ >}} { return 0 }
            return [expr {[lsort $pa] eq [lsort $pb]}]
        }
        randomkey {
            # both null (of the same type) or both a bulk string
            return [expr {[lindex $a 0] eq "\$" && [lindex $b 0] eq "\$"}]
        }
        hello {
            return [diff::same_hello $a $b]
        }
        exec {
            lassign $a ta pa
            lassign $b tb pb
            if {$ta ne "*" || $tb ne "*" || [llength $pa] != [llength $pb]
                    || [llength $pa] != [llength $qkinds]} {
                return 0
            }
            foreach x $pa y $pb k $qkinds {
                if {![diff::same $x $y $k]} { return 0 }
            }
            return 1
        }
    }
    return 0
}

# HELLO: the same type and field names, the same values except for server,
# version and id.
proc diff::same_hello {a b} {
    lassign $a ta pa
    lassign $b tb pb
    if {$ta ne $tb || $ta ni {* %} || [llength $pa] != [llength $pb]} { return 0 }
    foreach {ka va} $pa {kb vb} $pb {
        if {$ka ne $kb} { return 0 }
        if {[lindex $ka 1] in {server version id}} {
            if {[lindex $va 0] ne [lindex $vb 0]} { return 0 }
            continue
        }
        if {$va ne $vb} { return 0 }
    }
    return 1
}

# ---- history and reports ----

proc diff::remember {label cmd reply} {
    variable history
    lappend history "$label [diff::fmt_cmd $cmd]  ->  [diff::fmt_reply $reply 120]"
    if {[llength $history] > 20} { set history [lrange $history end-19 end] }
}

proc diff::mismatch {label cmd a b kind {note ""}} {
    variable seed
    variable ncmds
    variable history
    variable portion
    set msg "differential mismatch: seed $seed, $portion, command $label\n"
    append msg "  command:   [diff::fmt_cmd $cmd]\n"
    if {$note ne ""} { append msg "  note:      $note\n" }
    append msg "  compared:  $kind\n"
    append msg "  server:    [diff::fmt_reply $a]\n"
    append msg "  reference: [diff::fmt_reply $b]\n"
    append msg "  replay:    SHOAL_DIFF_SEED=$seed SHOAL_DIFF_COMMANDS=$ncmds tclsh tests/test_helper.tcl --single unit/differential --only '$portion*'\n"
    append msg "  the last [llength $history] commands before it (reference replies):"
    foreach h $history { append msg "\n    $h" }
    append msg [diff::context]
    variable keep_going
    variable mismatches
    lappend mismatches $msg
    if {[llength $mismatches] <= $keep_going && "X" ni [list [lindex $a 0] [lindex $b 0]]} {
        puts $msg
        return
    }
    diff::fail_all
}

proc diff::fail_all {} {
    variable mismatches
    if {[llength $mismatches] == 0} return
    set all $mismatches
    set mismatches {}
    if {[llength $all] == 1} { fail [lindex $all 0] }
    fail "[llength $all] mismatches (SHOAL_DIFF_CONTINUE):\n[join $all "\n"]"
}

# After a mismatch: how the key spaces of databases 0..3 differ (KEYS *
# and DBSIZE on the third connection), to help when the mismatch is only a
# symptom.
proc diff::context {} {
    variable dbs_used
    set out ""
    set clients {}
    if {[catch {
        # new connections: the test's own may have replies pending
        set ca [redis_client]
        set cb [ref_client]
        set clients [list $ca $cb]
        for {set db 0} {$db < $dbs_used} {incr db} {
            set r {}
            foreach c $clients {
                set f [$c fd]
                foreach cmd [list [list SELECT $db] [list DBSIZE] [list KEYS *]] {
                    diff::send $f $cmd
                }
                flush $f
                set sel [diff::read_reply $f]
                set size [diff::read_reply $f]
                set keys [diff::read_reply $f]
                lappend r [lindex $size 1] [lsort [lmap n [lindex $keys 1] {lindex $n 1}]]
            }
            lassign $r sa ka sb kb
            set only_a {}
            set only_b {}
            foreach k $ka { if {$k ni $kb} { lappend only_a [diff::fmt_arg $k] } }
            foreach k $kb { if {$k ni $ka} { lappend only_b [diff::fmt_arg $k] } }
            if {$sa ne $sb || [llength $only_a] || [llength $only_b]} {
                append out "\n    db $db: DBSIZE server $sa, reference $sb; KEYS * only on the server: \[[join $only_a " "]\], only on the reference: \[[join $only_b " "]\]"
            }
        }
    } err]} {
        foreach c $clients { catch {$c close} }
        return "\n  (key space comparison failed: $err)"
    }
    foreach c $clients { catch {$c close} }
    if {$out eq ""} { return "\n  key spaces of db 0..[expr {$dbs_used - 1}] now: same DBSIZE and KEYS *" }
    return "\n  key spaces now (KEYS * hides expired keys that DBSIZE still counts):$out"
}

proc diff::tracef {label cmd a b} {
    variable trace
    if {!$trace} return
    puts "$label [diff::fmt_cmd $cmd]\n    server:    [diff::fmt_reply $a 200]\n    reference: [diff::fmt_reply $b 200]"
}

# Sends cmd on the pair (A/B, A2/B2 or A3/B3), compares, remembers.
proc diff::pair {which label cmd kind {note ""}} {
    variable fd
    set fa $fd(A$which)
    set fb $fd(B$which)
    diff::send $fa $cmd
    diff::send $fb $cmd
    flush $fa
    flush $fb
    set a [diff::read_reply $fa]
    set b [diff::read_reply $fb]
    diff::check $label $cmd $a $b $kind {} $note
    return [list $a $b]
}

proc diff::check {label cmd a b kind {qkinds {}} {note ""}} {
    diff::tracef $label $cmd $a $b
    if {![diff::same $a $b $kind $qkinds]} {
        diff::mismatch $label $cmd $a $b $kind $note
    }
    diff::remember $label $cmd $b
}

# ---- running items ----

proc diff::label {item {extra ""}} {
    set l "#[dict get $item idx]"
    if {[dict get $item client] eq "other"} { append l " (second client)" }
    if {$extra ne ""} { append l " $extra" }
    return $l
}

# A pipeline of items of the main client: all sent, then all replies read.
proc diff::run_batch {items} {
    variable fd
    if {[llength $items] == 0} return
    foreach it $items {
        diff::send $fd(A) [dict get $it cmd]
        diff::send $fd(B) [dict get $it cmd]
    }
    flush $fd(A)
    flush $fd(B)
    set n [llength $items]
    set i 0
    foreach it $items {
        incr i
        set a [diff::read_reply $fd(A)]
        set b [diff::read_reply $fd(B)]
        set extra ""
        if {$n > 1} { set extra "(pipeline $i/$n)" }
        set qk {}
        if {[dict exists $it qkinds]} { set qk [dict get $it qkinds] }
        diff::check [diff::label $it $extra] [dict get $it cmd] $a $b [dict get $it kind] $qk
    }
}

proc diff::run_single {item} {
    variable fd
    set cmd [dict get $item cmd]
    set kind [dict get $item kind]
    set which [expr {[dict get $item client] eq "other" ? 2 : ""}]
    if {$kind eq "scan"} {
        diff::run_scan $item
        return
    }
    lassign [diff::pair $which [diff::label $item] $cmd $kind] a b
    if {$kind eq "randomkey" && [dict exists $item followup]
            && [lindex $a 0] eq "\$" && [lindex $b 0] eq "\$"} {
        # each side's key must exist on both sides
        set note "RANDOMKEY returned [diff::fmt_arg [lindex $a 1]] (server) and [diff::fmt_arg [lindex $b 1]] (reference)"
        foreach k [lsort -unique [list [lindex $a 1] [lindex $b 1]]] {
            lassign [diff::pair "" [diff::label $item "(RANDOMKEY follow-up)"] [list EXISTS $k] exact $note] x
            if {$x ne {: 1}} {
                diff::mismatch [diff::label $item "(RANDOMKEY follow-up)"] [list EXISTS $k] $x {: 1} exact $note
            }
        }
    }
    if {[dict get $item settle]} {
        if {[dict get $item sleep] > 0} { after [dict get $item sleep] }
        diff::pair "" [diff::label $item "(settle follow-up)"] [list EXISTS [dict get $item settlekey]] exact \
            "after [dict get $item sleep] ms, to reclaim a key whose expiry is short or past"
    }
}

# SCAN: each side iterates to the end with its own cursors; the sets of keys
# must match. The first reply's shape and any error must match exactly.
proc diff::run_scan {item} {
    variable fd
    set cmd [dict get $item cmd]
    set opts [lrange $cmd 2 end]
    set label [diff::label $item]
    set keys(A) {}
    set keys(B) {}
    set first {}
    foreach side {A B} {
        set f $fd($side)
        set c $cmd
        for {set iter 0} {1} {incr iter} {
            diff::send $f $c
            flush $f
            set r [diff::read_reply $f]
            if {$iter == 0} { lappend first $r }
            lassign $r t p
            if {$t ne "*" || [llength $p] != 2 || [lindex $p 0 0] ne "\$"
                    || [lindex $p 1 0] ni {* ~}} {
                if {$iter > 0} {
                    diff::mismatch $label [list {*}$c] $r $r scan \
                        "a bad reply in the middle of a SCAN iteration on the [expr {$side eq "A" ? "server" : "reference"}]"
                }
                break
            }
            foreach k [lindex $p 1 1] {
                if {[lindex $k 0] ne "\$"} {
                    diff::mismatch $label [list {*}$c] $r $r scan "SCAN returned a non-bulk key on $side"
                }
                lappend keys($side) [lindex $k 1]
            }
            set cur [lindex $p 0 1]
            if {$cur eq "0"} break
            if {$iter > 100000} {
                diff::mismatch $label $cmd $r $r scan "SCAN did not finish after 100000 calls on $side"
                break
            }
            set c [list [lindex $cmd 0] $cur {*}$opts]
        }
    }
    lassign $first a b
    # Compare the first replies' shapes (cursors and keys aside) or errors.
    set shape_a [diff::scan_shape $a]
    set shape_b [diff::scan_shape $b]
    if {$shape_a ne $shape_b} {
        diff::mismatch $label $cmd $a $b scan "the first replies differ in kind"
    }
    if {$shape_a eq "ok"} {
        set ka [lsort -unique $keys(A)]
        set kb [lsort -unique $keys(B)]
        if {$ka ne $kb} {
            set na [list * [lmap k $ka {list \$ $k}]]
            set nb [list * [lmap k $kb {list \$ $k}]]
            diff::mismatch $label $cmd $na $nb "scan (the sorted key sets of whole iterations)"
        }
        diff::tracef $label $cmd [list + "SCAN keys: [lmap k $ka {diff::fmt_arg $k}]"] [list + "SCAN keys: [lmap k $kb {diff::fmt_arg $k}]"]
        diff::remember $label $cmd [list + "(whole SCAN) [llength $kb] keys"]
    } else {
        diff::tracef $label $cmd $a $b
        diff::remember $label $cmd $b
    }
}

proc diff::scan_shape {r} {
    lassign $r t p
    if {$t eq "*" && [llength $p] == 2 && [lindex $p 0 0] eq "\$" && [lindex $p 1 0] in {* ~}} {
        return ok
    }
    return $r
}

# Every key of the databases used, value and PTTL, on a third connection
# (which changes nothing the stream can see), and DBSIZE of all databases.
proc diff::dump {label} {
    variable dbs_used
    variable fd
    for {set db 0} {$db < 16} {incr db} {
        diff::pair 3 "$label db $db" [list SELECT $db] exact
        diff::pair 3 "$label db $db" [list DBSIZE] exact
        if {$db >= $dbs_used} continue
        lassign [diff::pair 3 "$label db $db" [list KEYS *] sorted] a b
        set cmds {}
        foreach k [lsort [lmap n [lindex $b 1] {lindex $n 1}]] {
            lappend cmds [list GET $k] exact [list PTTL $k] pttl
        }
        foreach {c kind} $cmds {
            diff::send $fd(A3) $c
            diff::send $fd(B3) $c
        }
        flush $fd(A3)
        flush $fd(B3)
        foreach {c kind} $cmds {
            set a [diff::read_reply $fd(A3)]
            set b [diff::read_reply $fd(B3)]
            diff::check "$label db $db" $c $a $b $kind
        }
    }
}

# ---- a whole portion ----

proc diff::open_clients {} {
    variable fd
    foreach w {"" 2 3} {
        set ca [redis_client]
        set cb [ref_client]
        set ::diff::client(A$w) $ca
        set ::diff::client(B$w) $cb
        set fd(A$w) [$ca fd]
        set fd(B$w) [$cb fd]
    }
}

proc diff::close_clients {} {
    foreach {k c} [array get ::diff::client] { catch {$c close} }
    array unset ::diff::client
    array unset ::diff::fd
}

proc diff::run {proto} {
    variable seed
    variable ncmds
    variable history
    variable portion
    variable dump_every
    set portion "differential: RESP$proto"
    set history {}
    diff::open_clients
    try {
        diff::pair "" "setup" [list FLUSHALL] exact
        if {$proto == 3} {
            diff::pair "" "setup" [list HELLO 3] hello
        }
        diffgen::init $seed [clock milliseconds] $proto
        set i 0
        set next_dump $dump_every
        while {$i < $ncmds} {
            set size [diffgen::batch_size]
            set batch {}
            while {[llength $batch] < $size && $i < $ncmds} {
                set it [diffgen::next_item]
                dict set it idx $i
                incr i
                set standalone [expr {[dict get $it client] ne "main"
                    || [dict get $it kind] in {scan randomkey hello}
                    || [dict get $it settle]}]
                if {$standalone} {
                    diff::run_batch $batch
                    set batch {}
                    diff::run_single $it
                    break
                }
                lappend batch $it
            }
            diff::run_batch $batch
            if {$i >= $next_dump} {
                diff::dump "(keyspace check after #[expr {$i - 1}])"
                incr next_dump $dump_every
            }
        }
        set batch {}
        foreach it [diffgen::finish] {
            dict set it idx $i
            incr i
            lappend batch $it
        }
        diff::run_batch $batch
        diff::dump "(final keyspace check)"
        diff::fail_all
    } finally {
        set diff::mismatches {}
        diff::close_clients
    }
}

# The comparison and the RESP reader themselves (no server needed): a type
# difference is a mismatch, tolerances apply only where they should.
test "differential: reply parsing and comparison rules" {
    set f [file join $::th::tmproot "diffparse.[pid]"]
    set replies [list "+OK\r\n" "-ERR x y\r\n" ":-12\r\n" "\$3\r\na\r\n\r\n" "\$-1\r\n" \
        "*-1\r\n" "_\r\n" ",1.5\r\n" "#t\r\n" "(123456789012345678901234567890\r\n" \
        "=7\r\ntxt:abc\r\n" "!3\r\nERR\r\n" "*2\r\n\$1\r\nx\r\n*1\r\n:1\r\n" \
        "%1\r\n+a\r\n~2\r\n_\r\n#f\r\n" ">2\r\n+m\r\n\$0\r\n\r\n" \
        "|1\r\n+k\r\n+v\r\n:7\r\n" "*0\r\n"]
    set fh [open $f wb]
    puts -nonewline $fh [join $replies ""]
    close $fh
    set fh [open $f rb]
    fconfigure $fh -translation binary
    foreach r $replies {
        assert_equal $r [diff::raw [diff::parse $fh]]
    }
    close $fh
    file delete $f

    diffgen::init 1 [clock milliseconds] 2
    set band_s [diffgen::band_s]
    set band_ms [diffgen::band_ms]
    foreach {a b kind qk ok} [list \
        {+ OK} {$ OK} exact {} 0 \
        {$nil} {*nil} exact {} 0 \
        {$nil} {_} exact {} 0 \
        {: 1} {$ 1} exact {} 0 \
        {: 1} {, 1} exact {} 0 \
        {* {{$ a}}} {~ {{$ a}}} exact {} 0 \
        {- {ERR a}} {- {ERR a }} exact {} 0 \
        {$nil} {_} randomkey {} 0 \
        {$ k1} {$ k2} randomkey {} 1 \
        {$ k1} {$nil} randomkey {} 0 \
        {: 100} {: 101} ttl {} 1 \
        {: 100} {: 102} ttl {} 0 \
        {: -1} {: 0} ttl {} 0 \
        {: -2} {: -1} pttl {} 0 \
        {: 5000} {: 5900} pttl {} 1 \
        {: 5000} {: 6001} pttl {} 0 \
        {$ 5000} {: 5000} pttl {} 0 \
        [list : [expr {$band_s - 10}]] [list : [expr {$band_s - 9}]] expiretime {} 1 \
        [list : $band_s] [list : [expr {$band_s + 1}]] expiretime {} 0 \
        [list : [expr {$band_ms - 900}]] [list : [expr {$band_ms - 1}]] pexpiretime {} 1 \
        [list : $band_ms] [list : [expr {$band_ms - 1}]] pexpiretime {} 0 \
        {* {{$ a} {$ b}}} {* {{$ b} {$ a}}} sorted {} 1 \
        {* {{$ a} {$ b}}} {* {{$ b} {$ b}}} sorted {} 0 \
        {* {{$ a} {$ b}}} {~ {{$ b} {$ a}}} sorted {} 0 \
        {* {{: 5} {+ OK}}} {* {{: 6} {+ OK}}} exec {ttl exact} 1 \
        {* {{: 5} {+ OK}}} {* {{: 6} {+ OK}}} exec {exact exact} 0 \
        {* {{: 5}}} {* {{: 5} {+ OK}}} exec {exact exact} 0 \
        {*nil} {_} exec {} 0 \
        {% {{$ server} {$ redis} {$ version} {$ 7.0.15} {$ proto} {: 3} {$ id} {: 5}}} \
            {% {{$ server} {$ shoal} {$ version} {$ 0.1} {$ proto} {: 3} {$ id} {: 9}}} hello {} 1 \
        {% {{$ server} {$ redis} {$ proto} {: 3}}} {% {{$ server} {$ redis} {$ proto} {: 2}}} hello {} 0 \
        {* {{$ server} {$ redis} {$ proto} {: 3}}} {% {{$ server} {$ redis} {$ proto} {: 3}}} hello {} 0 \
        {X {no reply}} {X {no reply}} exact {} 0 \
    ] {
        assert_equal $ok [diff::same $a $b $kind $qk] "same {$a} {$b} $kind $qk"
    }
    assert_equal {SET "a b" "x\x00y\r\n" EX 10} [diff::fmt_cmd [list SET "a b" "x\x00y\r\n" EX 10]]
    assert_equal {"" "\"q\"" k*} [diff::fmt_cmd [list "" "\"q\"" "k*"]]
}

start_server {tags {differential}} {
    start_reference_server {} {
        test "differential: RESP2, seed $diff::seed, $diff::ncmds commands" {
            diff::run 2
        }

        test "differential: RESP3, seed $diff::seed, $diff::ncmds commands" {
            diff::run 3
        }
    }
}
