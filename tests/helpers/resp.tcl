# tests/helpers/resp.tcl -- a small RESP2/RESP3 client for the test suite.
#
#   set c [resp::client 127.0.0.1 6379 ?-deferred 0|1? ?-timeout SECS?]
#   set c [resp::client_unix /path/to/socket ?options?]
#   $c set k v                -> OK        (send one command, read its reply)
#   catch {$c foo} e          -> e = "ERR unknown command 'foo', ..."
#   $c hello 3                -> switches the handle to RESP3 (decoding is
#                                driven by the type byte, so RESP2 and RESP3
#                                replies are both understood at any time)
#
# Handle methods (everything else is sent to the server as a command):
#   $c read                   read and decode one reply (raw line in readraw)
#   $c write BYTES            queue raw bytes (no framing added)
#   $c flush                  flush queued bytes to the socket
#   $c readraw 0|1            1: every read returns the next raw reply line
#                             without its CRLF ("+OK", "$3", "foo", ...)
#   $c deferred 0|1           1: commands are only sent; read replies later
#   $c timeout ?SECS?         seconds to wait for a reply (0 = forever);
#                             default $::resp::default_timeout
#   $c reconnect              close and open a new connection (RESP2 again)
#   $c close                  close the connection and drop the handle
#   $c fd                     the Tcl channel
#   $c proto                  2 or 3 (what the last successful HELLO set)
#   $c attributes             the last RESP3 attribute map (|) seen, or {}
#   $c closed                 1 if the server closed the connection (EOF)
#   $c wait_close ?MS?        wait up to MS (default 3000) for the server to
#                             close; returns 1 on EOF, 0 on timeout; bytes
#                             that arrive first are returned via
#                             [$c leftover] (the data, "" if none)
#   $c leftover               see wait_close
#   $c partial                after an aggregate reply that held an error
#                             element (raised as a Tcl error, see below):
#                             the whole reply, error texts in place
#   $c describe               a dict describing the handle (debugging)
#
# Decoded reply shapes:
#   +simple / $bulk / =verbatim(without the "txt:" prefix) / (bignum /
#   ,double  -> the string;  :integer -> the integer;  #t/#f -> 1/0;
#   $-1 *-1 _ -> "" (empty string);  * ~ > -> a Tcl list;  % -> a flat
#   key/value list (usable with dict get);  | -> the attributes are stored
#   (see attributes) and the reply that follows is returned;
#   -error / !blob-error -> a Tcl error whose message is the error text
#   ("ERR ...", "WRONGTYPE ..."), with -errorcode {RESP ERRORCODE}. An error
#   element inside an aggregate (EXEC) raises the first such error after the
#   whole aggregate is read (as Redis's test client does); [$c partial] then
#   returns the full reply with the error texts in place.
#
# Arguments are sent as bytes: characters 0-255 are sent as the byte of the
# same value (so binary data built with binary format / format %c round
# trips); a string that holds any character above 255 is sent UTF-8 encoded.
#
# Unix sockets: Tcl has no native Unix-domain sockets, so client_unix runs
# tests/helpers/unixbridge.py (python3, standard library only) as a
# transparent byte pipe and talks to it over a bidirectional pipe channel.

namespace eval resp {
    variable next_id 0
    variable default_timeout 60
    variable S          ;# array: $id,field -> value
    array set S {}
    variable bridge [file join [file dirname [file normalize [info script]]] unixbridge.py]
}

# ---- construction ----

proc resp::client {host port args} {
    return [resp::_new [dict create kind tcp host $host port $port] $args]
}

proc resp::client_unix {path args} {
    return [resp::_new [dict create kind unix path $path] $args]
}

proc resp::_new {addr opts} {
    variable next_id
    variable S
    variable default_timeout
    set id [incr next_id]
    set S($id,addr) $addr
    set S($id,deferred) 0
    set S($id,readraw) 0
    set S($id,timeout) $default_timeout
    set S($id,autoreconnect) 0
    foreach {k v} $opts {
        switch -- $k {
            -deferred { set S($id,deferred) $v }
            -readraw { set S($id,readraw) $v }
            -timeout { set S($id,timeout) $v }
            -autoreconnect { set S($id,autoreconnect) $v }
            default { error "resp::client: unknown option $k" }
        }
    }
    if {[catch {resp::_open $id} err opts2]} {
        resp::_forget $id
        return -options $opts2 $err
    }
    set name ::resp::handle$id
    interp alias {} $name {} ::resp::_dispatch $id
    return $name
}

proc resp::_open {id} {
    variable S
    variable bridge
    set addr $S($id,addr)
    if {[dict get $addr kind] eq "tcp"} {
        set fd [socket [dict get $addr host] [dict get $addr port]]
    } else {
        set path [dict get $addr path]
        if {![file exists $path]} {
            error "couldn't open unix socket \"$path\": no such file"
        }
        set py [resp::_python]
        set fd [open [list | $py $bridge $path 2>@stderr] r+]
    }
    fconfigure $fd -translation binary -blocking 1 -buffering full -buffersize 1048576
    set S($id,fd) $fd
    set S($id,proto) 2
    set S($id,attrs) {}
    set S($id,eof) 0
    set S($id,leftover) ""
    set S($id,partial) {}
    set S($id,nesterr) {}
    set S($id,pushback) ""
    return $fd
}

proc resp::_python {} {
    foreach p {/usr/bin/python3 python3} {
        if {[file executable $p]} { return $p }
        if {[auto_execok $p] ne ""} { return [lindex [auto_execok $p] 0] }
    }
    error "python3 is needed for unix socket clients (tests/helpers/unixbridge.py)"
}

proc resp::_forget {id} {
    variable S
    array unset S $id,*
}

proc resp::_close_fd {id} {
    variable S
    if {[info exists S($id,fd)] && $S($id,fd) ne ""} {
        catch {fconfigure $S($id,fd) -blocking 0}
        catch {close $S($id,fd)}
        set S($id,fd) ""
    }
}

# ---- dispatch ----

proc resp::_dispatch {id args} {
    variable S
    if {![info exists S($id,addr)]} {
        error "resp client handle $id is closed"
    }
    set method [lindex $args 0]
    switch -exact -- $method {
        read {
            return [resp::_read_reply $id]
        }
        write {
            resp::_ensure_open $id
            puts -nonewline $S($id,fd) [lindex $args 1]
            return
        }
        flush {
            resp::_ensure_open $id
            flush $S($id,fd)
            return
        }
        readraw {
            set S($id,readraw) [lindex $args 1]
            return
        }
        deferred {
            set S($id,deferred) [lindex $args 1]
            return
        }
        timeout {
            if {[llength $args] > 1} { set S($id,timeout) [lindex $args 1] }
            return $S($id,timeout)
        }
        reconnect {
            resp::_close_fd $id
            resp::_open $id
            return
        }
        close {
            resp::_close_fd $id
            resp::_forget $id
            catch {interp alias {} ::resp::handle$id {}}
            return
        }
        fd { return $S($id,fd) }
        proto { return $S($id,proto) }
        attributes { return $S($id,attrs) }
        closed { return $S($id,eof) }
        leftover { return $S($id,leftover) }
        partial { return $S($id,partial) }
        wait_close {
            set ms [expr {[llength $args] > 1 ? [lindex $args 1] : 3000}]
            return [resp::_wait_close $id $ms]
        }
        describe {
            set d [dict create]
            foreach k {addr deferred readraw timeout proto eof fd} {
                dict set d $k $S($id,$k)
            }
            return $d
        }
    }
    if {[llength $args] == 0} { error "resp: empty command" }
    if {$S($id,autoreconnect)
            && ($S($id,fd) eq "" || $S($id,eof) || [resp::_peer_closed $id])} {
        resp::_close_fd $id
        resp::_open $id
    }
    resp::_ensure_open $id
    set fd $S($id,fd)
    puts -nonewline $fd [resp::encode $args]
    if {[catch {flush $fd} err]} {
        set S($id,eof) 1
        error "I/O error writing to server: $err"
    }
    if {$S($id,deferred)} { return }
    set reply [resp::_read_reply $id]
    if {[string equal -nocase $method hello] && [llength $args] > 1
            && [lindex $args 1] in {2 3}} {
        set S($id,proto) [lindex $args 1]
    }
    return $reply
}

proc resp::_ensure_open {id} {
    variable S
    if {$S($id,fd) eq ""} { error "resp client is not connected" }
}

# Encode a list of arguments as a RESP multibulk request.
proc resp::encode {argv} {
    set out "*[llength $argv]\r\n"
    foreach a $argv {
        if {![string is ascii $a] && [regexp {[^\x00-\xff]} $a]} {
            set a [encoding convertto utf-8 $a]
        }
        append out "\$[string length $a]\r\n" $a "\r\n"
    }
    return $out
}

# ---- reading ----

# Whether the server has closed the connection, without blocking. A byte
# that is there instead (a push message...) is kept for the next read.
proc resp::_peer_closed {id} {
    variable S
    set fd $S($id,fd)
    if {$S($id,pushback) ne "" || [chan pending input $fd] > 0} { return 0 }
    fconfigure $fd -blocking 0
    if {[catch {read $fd 1} b]} {
        set closed 1
    } elseif {$b ne ""} {
        set S($id,pushback) $b
        set closed 0
    } else {
        set closed [eof $fd]
    }
    catch {fconfigure $fd -blocking 1}
    if {$closed} { set S($id,eof) 1 }
    return $closed
}

# Wait until the channel has something to read (data or EOF), at most the
# handle's timeout. Runs the event loop while waiting.
proc resp::_wait_readable {id} {
    variable S
    set fd $S($id,fd)
    if {$S($id,pushback) ne "" || [chan pending input $fd] > 0} return
    set var ::resp::_ready($id)
    set $var 0
    fileevent $fd readable [list set $var 1]
    set timer ""
    if {$S($id,timeout) > 0} {
        set timer [after [expr {int($S($id,timeout) * 1000)}] [list set $var 2]]
    }
    vwait $var
    catch {fileevent $fd readable {}}
    if {$timer ne ""} { after cancel $timer }
    set r [set $var]
    unset $var
    if {$r == 2} {
        error "I/O timeout: no reply from server within $S($id,timeout) s"
    }
}

proc resp::_read_reply {id} {
    variable S
    resp::_ensure_open $id
    resp::_wait_readable $id
    if {$S($id,readraw)} {
        return [resp::_line $id]
    }
    set S($id,nesterr) {}
    set reply [resp::_decode $id]
    if {$S($id,nesterr) ne {}} {
        # Like Redis's own test client: an error inside an aggregate (EXEC)
        # is raised once the whole aggregate has been read; the complete
        # reply, with error texts in place, stays in [$c partial].
        set S($id,partial) $reply
        lassign $S($id,nesterr) msg code
        return -code error -errorcode $code $msg
    }
    return $reply
}

proc resp::_line {id} {
    variable S
    set fd $S($id,fd)
    set pb $S($id,pushback)
    if {$pb ne ""} {
        set S($id,pushback) ""
        if {$pb eq "\n"} { return "" }
    }
    if {[catch {gets $fd line} n]} {
        set S($id,eof) 1
        error "I/O error reading reply: $n"
    }
    if {$n < 0} {
        set S($id,eof) 1
        if {[eof $fd]} { error "I/O error reading reply: connection closed by server" }
        error "I/O error reading reply: incomplete line"
    }
    set line $pb$line
    if {[string index $line end] eq "\r"} {
        set line [string range $line 0 end-1]
    }
    return $line
}

proc resp::_bytes {id n} {
    variable S
    set fd $S($id,fd)
    set pb $S($id,pushback)
    if {$pb ne ""} {
        set S($id,pushback) ""
        incr n -1
    }
    if {[catch {read $fd $n} data]} {
        set S($id,eof) 1
        error "I/O error reading reply: $data"
    }
    if {[string length $data] != $n} {
        set S($id,eof) 1
        error "I/O error reading reply: connection closed by server (short read)"
    }
    return $pb$data
}

proc resp::_bulk {id len} {
    set data [resp::_bytes $id [expr {$len + 2}]]
    return [string range $data 0 end-2]
}

proc resp::_decode {id} {
    variable S
    set line [resp::_line $id]
    set type [string index $line 0]
    set rest [string range $line 1 end]
    switch -exact -- $type {
        + { return $rest }
        - { return -code error -errorcode [list RESP [lindex [split $rest " "] 0]] $rest }
        : { return $rest }
        , { return $rest }
        ( { return $rest }
        _ { return {} }
        # {
            if {$rest eq "t"} { return 1 }
            if {$rest eq "f"} { return 0 }
            error "protocol error: bad boolean '$line'"
        }
        $ {
            if {$rest < 0} { return {} }
            return [resp::_bulk $id $rest]
        }
        = {
            set s [resp::_bulk $id $rest]
            # "txt:" / "mkd:" format prefix
            return [string range $s 4 end]
        }
        ! {
            set s [resp::_bulk $id $rest]
            return -code error -errorcode [list RESP [lindex [split $s " "] 0]] $s
        }
        * - ~ - > {
            if {$rest < 0} { return {} }
            set l {}
            for {set i 0} {$i < $rest} {incr i} {
                lappend l [resp::_decode_nested $id]
            }
            return $l
        }
        % {
            set l {}
            for {set i 0} {$i < 2 * $rest} {incr i} {
                lappend l [resp::_decode_nested $id]
            }
            return $l
        }
        | {
            set l {}
            for {set i 0} {$i < 2 * $rest} {incr i} {
                lappend l [resp::_decode_nested $id]
            }
            set S($id,attrs) $l
            return [resp::_decode $id]
        }
        default {
            set S($id,eof) 1
            error "protocol error: unexpected reply type '[resp::_printable $type]' in line '[resp::_printable $line]'"
        }
    }
}

# An error element inside an aggregate: keep reading the aggregate, record
# the first error (raised by _read_reply at the end) and put its text in place.
proc resp::_decode_nested {id} {
    variable S
    if {[catch {resp::_decode $id} v opts]} {
        set code [dict get $opts -errorcode]
        if {[lindex $code 0] eq "RESP"} {
            if {$S($id,nesterr) eq {}} { set S($id,nesterr) [list $v $code] }
            return $v
        }
        return -options $opts $v
    }
    return $v
}

proc resp::_printable {s} {
    set out ""
    foreach ch [split $s ""] {
        scan $ch %c c
        if {$c < 32 || $c > 126} { append out [format "\\x%02x" $c] } else { append out $ch }
    }
    return $out
}

proc resp::_wait_close {id ms} {
    variable S
    set fd $S($id,fd)
    if {$fd eq ""} { return 1 }
    set S($id,leftover) $S($id,pushback)
    set S($id,pushback) ""
    set deadline [expr {[clock milliseconds] + $ms}]
    fconfigure $fd -blocking 0
    try {
        while 1 {
            if {[catch {read $fd} data]} {
                # ECONNRESET and friends: the connection is gone.
                set S($id,eof) 1
                return 1
            }
            append S($id,leftover) $data
            if {[eof $fd]} {
                set S($id,eof) 1
                return 1
            }
            set left [expr {$deadline - [clock milliseconds]}]
            if {$left <= 0} { return 0 }
            set var ::resp::_ready($id)
            set $var 0
            fileevent $fd readable [list set $var 1]
            set timer [after $left [list set $var 2]]
            vwait $var
            catch {fileevent $fd readable {}}
            after cancel $timer
            unset $var
        }
    } finally {
        catch {fconfigure $fd -blocking 1}
    }
}
