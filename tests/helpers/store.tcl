# tests/helpers/store.tcl -- helpers the store tests share (eviction,
# memory, store_load): raw pipelined replies, and whether used_memory is
# exact on the server under test.

# Reads from the channel until `want` has fully arrived, a byte differs
# from it, EOF, or timeout_ms passed; returns what was read.
proc read_expect {fd want {timeout_ms 20000}} {
    set n [string length $want]
    set buf ""
    set deadline [expr {[clock milliseconds] + $timeout_ms}]
    fconfigure $fd -blocking 0
    while {[string length $buf] < $n} {
        set have [string length $buf]
        append buf [read $fd [expr {$n - $have}]]
        set last [expr {[string length $buf] - 1}]
        if {[string range $buf $have end] ne [string range $want $have $last]} break
        if {[string length $buf] >= $n || [eof $fd]} break
        set left [expr {$deadline - [clock milliseconds]}]
        if {$left <= 0} break
        set ::_rx_ready 0
        fileevent $fd readable {set ::_rx_ready 1}
        set timer [after $left {set ::_rx_ready 2}]
        vwait ::_rx_ready
        after cancel $timer
        fileevent $fd readable {}
    }
    fconfigure $fd -blocking 1
    return $buf
}

# Whether used_memory is exact: jemalloc's counters. Sanitizer builds of
# shoal use libc malloc and report the resident size instead, which never
# shrinks: tests that need the real figure are skipped there.
proc exact_memory {} {
    string match jemalloc* [dict get [info_dict [r info memory]] mem_allocator]
}

proc need_exact_memory {} {
    if {![exact_memory]} { skip "used_memory is not exact without jemalloc" }
}

proc resp_cmd {args} {
    set out "*[llength $args]\r\n"
    foreach a $args { append out "\$[string length $a]\r\n$a\r\n" }
    return $out
}
