# tests/helpers/http.tcl -- a minimal HTTP/1.x client over Tcl sockets (no
# curl needed) and readers of the Prometheus text exposition, for the
# metrics listener's tests (tests/unit/metrics.tcl,
# tests/integration/metrics_cluster.tcl).
#
# Sourced by the test files that need it:
#   source [file join $::th::root tests helpers http.tcl]

namespace eval http {}

# Sends bytes to 127.0.0.1:port and reads until the server closes the
# connection or ms pass. Returns a dict: raw (every byte read), closed (1
# if the server closed it), ms (how long until then), reset (1 if the
# connection was reset).
proc http::raw {port bytes {ms 5000}} {
    set t0 [clock milliseconds]
    set s [socket 127.0.0.1 $port]
    fconfigure $s -translation binary -buffering none
    set reset 0
    if {[string length $bytes] && [catch {puts -nonewline $s $bytes}]} { set reset 1 }
    fconfigure $s -blocking 0
    set out ""
    set closed 0
    set deadline [expr {$t0 + $ms}]
    while {!$reset} {
        if {[catch {read $s} d]} { set reset 1; set closed 1; break }
        append out $d
        if {[eof $s]} { set closed 1; break }
        if {[clock milliseconds] >= $deadline} break
        after 5
    }
    catch {close $s}
    return [dict create raw $out closed $closed reset $reset ms [expr {[clock milliseconds] - $t0}]]
}

# Splits a raw response: a dict of status (0 if there is no whole head),
# headers (lower-case name -> value), body, closed, ms.
proc http::parse {res} {
    set raw [dict get $res raw]
    set out [dict create status 0 headers {} body "" closed [dict get $res closed] \
        ms [dict get $res ms] raw $raw]
    set i [string first "\r\n\r\n" $raw]
    if {$i < 0} { return $out }
    set lines [split [string map {"\r\n" "\n"} [string range $raw 0 [expr {$i - 1}]]] "\n"]
    if {![regexp {^HTTP/1\.[01] (\d{3}) } [lindex $lines 0] -> status]} { return $out }
    set headers [dict create]
    foreach line [lrange $lines 1 end] {
        if {[regexp {^([^:]+):[ \t]*(.*?)[ \t]*$} $line -> k v]} {
            dict set headers [string tolower $k] $v
        }
    }
    dict set out status $status
    dict set out headers $headers
    dict set out body [string range $raw [expr {$i + 4}] end]
    return $out
}

# One request, parsed (see http::parse).
proc http::request {port method path {extra ""} {ms 5000}} {
    return [http::parse [http::raw $port "$method $path HTTP/1.1\r\nHost: 127.0.0.1:$port\r\n$extra\r\n" $ms]]
}

proc http::get {port path} { return [http::request $port GET $path] }

# A header of a parsed response, "" if absent.
proc http::header {res name} {
    set h [dict get $res headers]
    return [expr {[dict exists $h $name] ? [dict get $h $name] : ""}]
}

# GET /metrics: its body, after checking the status and content type.
proc http::scrape {port} {
    set res [http::get $port /metrics]
    if {[dict get $res status] != 200} {
        th::assert_failed "GET /metrics: [th::show [dict get $res raw]]"
    }
    set type [http::header $res content-type]
    if {![string match "text/plain; version=0.0.4*" $type]} {
        th::assert_failed "GET /metrics: Content-Type '$type'"
    }
    return [dict get $res body]
}

# ---- the exposition ----

# series ("name{labels}") -> value, for every sample line.
proc http::samples {text} {
    set d [dict create]
    foreach line [split $text "\n"] {
        if {$line eq "" || [string index $line 0] eq "#"} continue
        set sp [string last " " $line]
        dict set d [string range $line 0 [expr {$sp - 1}]] [string range $line [expr {$sp + 1}] end]
    }
    return $d
}

# family -> type, from the # TYPE lines.
proc http::types {text} {
    set d [dict create]
    foreach {-> name type} [regexp -all -inline {(?n)^# TYPE (\S+) (\S+)$} $text] {
        dict set d $name $type
    }
    return $d
}

# The value of one series in a samples dict, or 0 if absent.
proc http::value {samples series} {
    return [expr {[dict exists $samples $series] ? [dict get $samples $series] : 0}]
}

# The family a series belongs to, given the types: its name, or for a
# histogram's _bucket/_sum/_count the name without the suffix.
proc http::family_of {types series} {
    set name [lindex [split $series "\{"] 0]
    if {[dict exists $types $name]} { return $name }
    foreach suffix {_bucket _sum _count} {
        if {[string match *$suffix $name]} {
            set base [string range $name 0 end-[string length $suffix]]
            if {[dict exists $types $base]} { return $base }
        }
    }
    return ""
}

# Fails unless every counter and histogram series of the first scrape is
# in the second with a value at least as large.
proc http::assert_monotonic {text1 text2} {
    set types [http::types $text2]
    set s1 [http::samples $text1]
    set s2 [http::samples $text2]
    set checked 0
    dict for {series v1} $s1 {
        set family [http::family_of $types $series]
        if {$family eq "" || [dict get $types $family] ni {counter histogram}} continue
        if {![dict exists $s2 $series]} { th::assert_failed "$series vanished between scrapes" }
        set v2 [dict get $s2 $series]
        if {$v2 < $v1} { th::assert_failed "$series went down between scrapes: $v1 -> $v2" }
        incr checked
    }
    return $checked
}

# promtool's path, "" if it is not installed.
proc http::promtool {} {
    return [lindex [auto_execok promtool] 0]
}

# Fails with promtool's complaints unless `promtool check metrics` accepts
# the text (it exits 0 with no output when the exposition is valid and
# follows the naming conventions).
proc http::assert_promtool_ok {text} {
    if {[catch {exec [http::promtool] check metrics << $text 2>@1} out opts]} {
        th::assert_failed "promtool check metrics: $out"
    }
}
