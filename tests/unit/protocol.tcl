# tests/unit/protocol.tcl -- the wire protocol: inline and multibulk
# requests, pipelining, requests split across reads, protocol errors (exact
# Redis 7.0 texts, connection closed after them), size limits, binary
# safety, RESP3 via HELLO, QUIT. Every test here passes against Debian's
# redis-server 7.0.15 (tclsh tests/test_helper.tcl --server
# /usr/bin/redis-server --single unit/protocol); shoal must match it.

# A new connection to server 0 (closed when the server stops).
proc pconn {} {
    return [redis_client]
}

proc send {c data} {
    $c write $data
    $c flush
}

# Sends bytes that must make the server answer with the protocol error
# "ERR Protocol error: <what>" and then close the connection, having sent
# nothing else.
proc assert_protocol_error {data what} {
    set c [pconn]
    send $c $data
    set e [assert_error "*" {$c read}]
    assert_equal "ERR Protocol error: $what" $e "reply to [th::show $data 60]"
    assert_closed $c
    $c close
}

# The request must leave the connection open with nothing sent back (the
# server waits for the rest of it).
proc assert_waits {c {ms 150}} {
    if {[$c wait_close $ms]} {
        fail "the server closed the connection (sent [th::show [$c leftover]])"
    }
    assert_equal "" [$c leftover] "the server replied to an incomplete request"
}

# A RESP multibulk request for the given arguments.
proc mbulk {args} {
    return [resp::encode $args]
}

start_server {tags {protocol}} {

    # ---- inline commands ----

    test "Inline PING with CRLF" {
        set c [pconn]
        send $c "PING\r\n"
        assert_equal PONG [$c read]
        $c close
    }

    test "Inline SET/GET with CRLF and with a bare LF" {
        set c [pconn]
        send $c "SET inl:k v1\r\n"
        assert_equal OK [$c read]
        send $c "GET inl:k\n"
        assert_equal v1 [$c read]
        send $c "SET inl:k v2\nGET inl:k\n"
        assert_equal OK [$c read]
        assert_equal v2 [$c read]
        $c close
    }

    test "Inline arguments in double and single quotes" {
        set c [pconn]
        send $c "SET \"inl a b\" 'x y'\r\n"
        assert_equal OK [$c read]
        assert_equal "x y" [r get "inl a b"]
        send $c "ECHO \"\"\r\nECHO ''\r\n"
        assert_equal "" [$c read]
        assert_equal "" [$c read]
        $c close
    }

    test "Inline escapes inside double quotes" {
        set c [pconn]
        send $c "SET inl:esc \"\\x41\\x4a-\\n\\r\\t\\b\\a-\\\\-\\\"\"\r\n"
        assert_equal OK [$c read]
        assert_equal "AJ-\n\r\t\b\a-\\-\"" [r get inl:esc]
        # Inside single quotes only \' is an escape.
        send $c "SET inl:esc 'it\\'s \\n'\r\n"
        assert_equal OK [$c read]
        assert_equal "it's \\n" [r get inl:esc]
        $c close
    }

    test "Inline: spaces and tabs around arguments are ignored" {
        set c [pconn]
        send $c "   PING   \r\n\tSET\tinl:tab\t v \r\n"
        assert_equal PONG [$c read]
        assert_equal OK [$c read]
        assert_equal v [r get inl:tab]
        $c close
    }

    test "Inline: unbalanced double quotes are a protocol error" {
        assert_protocol_error "SET \"a b\r\n" "unbalanced quotes in request"
    }

    test "Inline: unbalanced single quotes are a protocol error" {
        assert_protocol_error "SET 'a\r\n" "unbalanced quotes in request"
    }

    test "Inline: a closing quote followed by a non-space is a protocol error" {
        assert_protocol_error "\"PING\"x\r\n" "unbalanced quotes in request"
        assert_protocol_error "ECHO \"a\"\"b\"\r\n" "unbalanced quotes in request"
    }

    test "Empty lines are ignored" {
        set c [pconn]
        send $c "\r\n\n\r\n   \r\nPING\r\n\r\n"
        assert_equal PONG [$c read]
        assert_waits $c
        $c close
    }

    test "Inline request over 64 KiB without a newline: too big inline request" {
        assert_protocol_error [string repeat A [expr {64 * 1024 + 1}]] "too big inline request"
    }

    test "Inline request of exactly 64 KiB without a newline is still awaited" {
        set c [pconn]
        send $c [string repeat A [expr {64 * 1024}]]
        assert_waits $c
        $c close
    }

    test "Inline command with a 32 KiB argument" {
        set c [pconn]
        set arg [string repeat x 32768]
        send $c "ECHO $arg\r\n"
        assert_equal $arg [$c read]
        $c close
    }

    # ---- multibulk ----

    test "Multibulk PING and SET/GET" {
        set c [pconn]
        send $c "*1\r\n\$4\r\nPING\r\n"
        assert_equal PONG [$c read]
        send $c [mbulk SET mb:k hello]
        assert_equal OK [$c read]
        send $c [mbulk GET mb:k]
        assert_equal hello [$c read]
        $c close
    }

    test "Multibulk counts *0 and negative ones are ignored" {
        set c [pconn]
        send $c "*0\r\n*-1\r\n*-5\r\nPING\r\n"
        assert_equal PONG [$c read]
        assert_waits $c
        $c close
    }

    test "Empty bulk arguments" {
        set c [pconn]
        send $c [mbulk SET mb:empty ""]
        assert_equal OK [$c read]
        assert_equal "" [r get mb:empty]
        assert_equal 0 [r strlen mb:empty]
        # An empty command name is just an unknown command.
        send $c "*1\r\n\$0\r\n\r\n"
        assert_error "ERR unknown command ''*" {$c read}
        assert_equal PONG [$c ping]
        $c close
    }

    test "Invalid multibulk length" {
        foreach req {"*abc\r\n" "*\r\n" "*-\r\n" "*1a\r\n" "* 1\r\n" "*+1\r\n" "*01\r\n"
                     "*2147483648\r\n" "*99999999999999999999\r\n"} {
            assert_protocol_error $req "invalid multibulk length"
        }
    }

    test "Large multibulk counts (up to INT_MAX) are accepted and awaited" {
        foreach n {1024 1048576 1048577 2147483647} {
            set c [pconn]
            send $c "*$n\r\n\$4\r\nECHO\r\n"
            assert_waits $c 100
            $c close
        }
        assert_equal PONG [r ping]
    }

    test "Multibulk argument without '\$': expected '\$', got 'X'" {
        assert_protocol_error "*1\r\nfoo\r\n" "expected '\$', got 'f'"
        assert_protocol_error "*3\r\n:1\r\n" "expected '\$', got ':'"
        assert_protocol_error "*2\r\n\$4\r\nECHO\r\nx\r\n" "expected '\$', got 'x'"
        assert_protocol_error "*2\r\n\$4\r\nECHO\r\n*1\r\n" "expected '\$', got '*'"
    }

    test "Invalid bulk length" {
        foreach req {"*3\r\n\$x\r\n" "*1\r\n\$-1\r\n" "*1\r\n\$\r\n" "*1\r\n\$1x\r\n"
                     "*1\r\n\$04\r\n" "*1\r\n\$+4\r\n" "*1\r\n\$999999999999\r\n"
                     "*1\r\n\$99999999999999999999\r\n"} {
            assert_protocol_error $req "invalid bulk length"
        }
    }

    test "Bulk length over proto-max-bulk-len (default 512 MiB): invalid bulk length" {
        assert_protocol_error "*1\r\n\$536870913\r\n" "invalid bulk length"
    }

    test "Too big mbulk count string" {
        assert_protocol_error "*[string repeat 1 [expr {64 * 1024 + 1}]]" "too big mbulk count string"
    }

    test "Too big bulk count string" {
        assert_protocol_error "*1\r\n\$[string repeat 1 [expr {64 * 1024 + 1}]]" "too big bulk count string"
    }

    test "Commands before a protocol error are answered, later ones are not" {
        set c [pconn]
        send $c "PING\r\n*abc\r\nSET mb:after-error 1\r\n"
        assert_equal PONG [$c read]
        assert_error "ERR Protocol error: invalid multibulk length" {$c read}
        assert_closed $c
        $c close
        assert_equal 0 [r exists mb:after-error]
    }

    test "The server survives a client that sends half a command and leaves" {
        set c [pconn]
        send $c "*3\r\n\$3\r\nSET\r\n\$1\r\nk\r\n\$10\r\nabc"
        $c close
        set c [pconn]
        send $c "SET mb:after 1\r\n"
        $c close
        assert_equal PONG [r ping]
        # A command followed at once by a close is still executed.
        wait_for_condition 50 20 {[r get mb:after] eq "1"} else {
            fail "the command sent just before the close was not executed"
        }
    }

    # ---- pipelining ----

    test "Pipelining: 1000 commands in one write, replies in order" {
        r del pipe:counter
        set c [pconn]
        set req ""
        for {set i 0} {$i < 1000} {incr i} {
            if {$i % 2} {
                append req "INCR pipe:counter\r\n"
            } else {
                append req [mbulk INCR pipe:counter]
            }
        }
        send $c $req
        for {set i 1} {$i <= 1000} {incr i} {
            assert_equal $i [$c read]
        }
        assert_waits $c 50
        $c close
    }

    test "Pipelining: mixed commands and value sizes" {
        set c [pconn]
        set req ""
        set expected {}
        for {set i 0} {$i < 50} {incr i} {
            set v [string repeat [format %c [expr {65 + $i % 26}]] [expr {$i * 997}]]
            append req [mbulk SET pipe:k$i $v] [mbulk GET pipe:k$i] [mbulk STRLEN pipe:k$i] "PING\r\n"
            lappend expected OK $v [string length $v] PONG
        }
        send $c $req
        foreach e $expected {
            assert_equal $e [$c read]
        }
        $c close
    }

    test "Pipelining with a deferring client" {
        set rd [redis_deferring_client]
        for {set i 0} {$i < 100} {incr i} {
            $rd set pipe:d$i $i
            $rd get pipe:d$i
        }
        for {set i 0} {$i < 100} {incr i} {
            assert_equal OK [$rd read]
            assert_equal $i [$rd read]
        }
        $rd close
    }

    # ---- requests split across reads ----

    test "A multibulk command split at every byte boundary" {
        set c [pconn]
        set cmd [mbulk SET split:key hello-world]
        set len [string length $cmd]
        for {set i 1} {$i < $len} {incr i} {
            send $c [string range $cmd 0 [expr {$i - 1}]]
            after 2
            send $c [string range $cmd $i end]
            assert_equal OK [$c read] "split at byte $i"
        }
        assert_equal hello-world [r get split:key]
        $c close
    }

    test "A multibulk command sent one byte at a time" {
        set c [pconn]
        set cmd [mbulk SET split:bytes 0123456789]
        foreach ch [split $cmd ""] {
            send $c $ch
            after 1
        }
        assert_equal OK [$c read]
        assert_equal 0123456789 [r get split:bytes]
        $c close
    }

    test "An inline command split at every byte boundary" {
        set c [pconn]
        set cmd "SET split:inline \"a b\"\r\n"
        set len [string length $cmd]
        for {set i 1} {$i < $len} {incr i} {
            send $c [string range $cmd 0 [expr {$i - 1}]]
            after 2
            send $c [string range $cmd $i end]
            assert_equal OK [$c read] "split at byte $i"
        }
        assert_equal "a b" [r get split:inline]
        $c close
    }

    test "Pipelined commands sent one byte at a time" {
        set c [pconn]
        set req "[mbulk SET split:p1 x]PING\r\n[mbulk GET split:p1]"
        foreach ch [split $req ""] {
            send $c $ch
        }
        assert_equal OK [$c read]
        assert_equal PONG [$c read]
        assert_equal x [$c read]
        $c close
    }

    test "A large bulk value arriving in many small writes" {
        set c [pconn]
        set v [string repeat "0123456789abcdef" 8192]
        set cmd [mbulk SET split:big $v]
        for {set i 0} {$i < [string length $cmd]} {incr i 4000} {
            send $c [string range $cmd $i [expr {$i + 3999}]]
            if {$i % 40000 == 0} { after 1 }
        }
        assert_equal OK [$c read]
        assert_equal $v [r get split:big]
        $c close
    }

    # ---- binary safety and big values ----

    test "Binary-safe values: all 256 byte values" {
        set v [all_bytes]
        r set bin:all $v
        assert_equal 256 [r strlen bin:all]
        assert_equal $v [r get bin:all]
    }

    test "Binary-safe values: embedded CRLF, NUL, and a value that looks like RESP" {
        foreach v [list "a\r\nb" "\r\n" "\x00" "x\x00y\x00" "\$3\r\nfoo\r\n" "*1\r\n\$4\r\nPING\r\n" "-ERR x\r\n"] {
            r set bin:v $v
            assert_equal $v [r get bin:v]
            assert_equal [string length $v] [r strlen bin:v]
        }
    }

    test "Binary-safe keys" {
        set k "key\r\n\x00\xff"
        r set $k binkey
        assert_equal binkey [r get $k]
        assert_equal 1 [r exists $k]
        assert_equal 0 [r exists "key\r\n\x00"]
        r del $k
    }

    test "A 32 MiB bulk value round trip" {
        set v [string repeat [all_bytes] [expr {32 * 1024 * 1024 / 256}]]
        assert_equal OK [r set big:32m $v]
        assert_equal [expr {32 * 1024 * 1024}] [r strlen big:32m]
        set got [r get big:32m]
        assert {$got eq $v} "the 32 MiB value came back different ([string length $got] bytes)"
        r del big:32m
    }

    # ---- RESP3 ----

    test "HELLO 3 replies with a map (%7) and switches to RESP3" {
        set c [pconn]
        $c readraw 1
        assert_equal "%7" [$c hello 3]
        $c close

        set c [pconn]
        set reply [$c hello 3]
        assert_equal {server version proto id mode role modules} [dict keys $reply]
        assert_equal 3 [dict get $reply proto]
        assert_equal standalone [dict get $reply mode]
        assert_equal master [dict get $reply role]
        assert_equal {} [dict get $reply modules]
        assert {[string is integer -strict [dict get $reply id]]}
        assert_equal 3 [$c proto]
        assert_equal OK [$c set r3:k v]
        assert_equal v [$c get r3:k]
        $c close
    }

    test "HELLO without a version replies with the current protocol" {
        set c [pconn]
        $c readraw 1
        assert_equal "*14" [$c hello]
        $c close
        set c [pconn]
        assert_equal 2 [dict get [$c hello] proto]
        $c hello 3
        assert_equal 3 [dict get [$c hello] proto]
        $c close
    }

    test "RESP3 null is _, RESP2 null is \$-1" {
        set c [pconn]
        $c del r3:missing
        $c readraw 1
        assert_equal {$-1} [$c get r3:missing]
        $c readraw 0
        $c hello 3
        $c readraw 1
        assert_equal "_" [$c get r3:missing]
        $c readraw 0
        assert_equal "" [$c get r3:missing]
        $c hello 2
        $c readraw 1
        assert_equal {$-1} [$c get r3:missing]
        $c close
    }

    test "HELLO 4 (and 1, -1): -NOPROTO unsupported protocol version" {
        set c [pconn]
        foreach v {4 1 0 -1} {
            assert_error "NOPROTO unsupported protocol version" {$c hello $v}
        }
        $c readraw 1
        assert_equal "-NOPROTO unsupported protocol version" [$c hello 4]
        $c readraw 0
        # The connection stays open and in RESP2.
        assert_equal PONG [$c ping]
        $c readraw 1
        assert_equal "*14" [$c hello]
        $c close
    }

    test "HELLO with a non-integer version" {
        set c [pconn]
        assert_error "ERR Protocol version is not an integer or out of range" {$c hello abc}
        assert_equal PONG [$c ping]
        $c close
    }

    test "Errors are the same in RESP3" {
        set c [pconn]
        $c hello 3
        $c readraw 1
        assert_match "-ERR unknown command 'nosuchcommand'*" [$c nosuchcommand]
        assert_match "-ERR wrong number of arguments for 'get' command" [$c get]
        $c close
    }

    # ---- QUIT ----

    test "QUIT replies +OK and closes the connection" {
        set c [pconn]
        $c readraw 1
        assert_equal "+OK" [$c quit]
        assert_closed $c
        $c close
    }

    test "Commands pipelined after QUIT are not executed" {
        set c [pconn]
        send $c "QUIT\r\nSET quit:after 1\r\n"
        assert_equal OK [$c read]
        assert_closed $c
        $c close
        assert_equal 0 [r exists quit:after]
    }

    test "The default client reconnects after QUIT" {
        assert_equal OK [r quit]
        # the FIN may trail the +OK: wait for it, then the client reconnects
        assert_equal 1 [[srv client] wait_close 3000]
        assert_equal PONG [r ping]
    }
}

start_server {tags {protocol} overrides {proto-max-bulk-len 1048576}} {
    test "proto-max-bulk-len set by a directive is enforced" {
        assert_protocol_error "*1\r\n\$1048577\r\n" "invalid bulk length"
        set v [string repeat x 1048576]
        assert_equal OK [r set pmbl:k $v]
        assert_equal 1048576 [r strlen pmbl:k]
    }

    test "proto-max-bulk-len changed by CONFIG SET is enforced" {
        r config set proto-max-bulk-len 2000000
        set c [pconn]
        send $c "*3\r\n\$3\r\nSET\r\n\$6\r\npmbl:k\r\n\$1500000\r\n"
        assert_waits $c 50
        send $c "[string repeat y 1500000]\r\n"
        assert_equal OK [$c read]
        $c close
        assert_protocol_error "*1\r\n\$2000001\r\n" "invalid bulk length"
        r config set proto-max-bulk-len 1048576
        assert_protocol_error "*1\r\n\$1048577\r\n" "invalid bulk length"
    }
}

start_server {tags {protocol} overrides {client-query-buffer-limit 1048576}} {
    test "client-query-buffer-limit: a bigger argument closes the connection without a reply" {
        set c [pconn]
        set n [expr {2 * 1024 * 1024}]
        catch {
            send $c "*3\r\n\$3\r\nSET\r\n\$6\r\nqbl:k1\r\n\$$n\r\n"
            send $c "[string repeat z $n]\r\n"
        }
        assert_closed $c
        $c close
        assert_equal 0 [r exists qbl:k1]
        assert_equal PONG [r ping]
    }

    test "client-query-buffer-limit: arguments under the limit are fine" {
        set v [string repeat z 500000]
        assert_equal OK [r set qbl:k2 $v]
        assert_equal $v [r get qbl:k2]
    }

    test "client-query-buffer-limit: a long pipeline of small commands is fine" {
        # 3 MiB in one write, but each command is consumed as it arrives.
        set c [pconn]
        set one [mbulk SET qbl:p [string repeat p 1000]]
        set n 3000
        send $c [string repeat $one $n]
        for {set i 0} {$i < $n} {incr i} {
            assert_equal OK [$c read]
        }
        $c close
    }
}

start_server {tags {protocol} overrides {requirepass sekrit}} {
    test "Unauthenticated clients: multibulk count over 10 is a protocol error" {
        assert_protocol_error "*11\r\n" "unauthenticated multibulk length"
        set c [pconn]
        send $c "*10\r\n"
        assert_waits $c 100
        $c close
    }

    test "Unauthenticated clients: bulk length over 16 KiB is a protocol error" {
        assert_protocol_error "*1\r\n\$16385\r\n" "unauthenticated bulk length"
        set c [pconn]
        send $c "*1\r\n\$16384\r\n"
        assert_waits $c 100
        $c close
    }

    test "Unauthenticated clients get NOAUTH, authenticated ones have no such limits" {
        set c [pconn]
        assert_error "NOAUTH Authentication required." {$c ping}
        assert_equal OK [$c auth sekrit]
        set args {}
        for {set i 0} {$i < 20} {incr i} { lappend args k$i [string repeat v 20000] }
        assert_equal OK [$c mset {*}$args]
        assert_equal 20000 [$c strlen k7]
        $c close
    }
}

start_server {tags {protocol} unixsocket 1} {
    test "Commands over a unix socket" {
        set c [redis_unix_client]
        assert_equal PONG [$c ping]
        set v [all_bytes]
        assert_equal OK [$c set unix:k $v]
        assert_equal $v [$c get unix:k]
        assert_equal $v [r get unix:k]
        $c write "PING\r\n"
        $c flush
        assert_equal PONG [$c read]
        $c close
    }

    test "A protocol error over a unix socket closes it" {
        set c [redis_unix_client]
        $c write "*abc\r\n"
        $c flush
        assert_error "ERR Protocol error: invalid multibulk length" {$c read}
        assert_closed $c
        $c close
    }
}
