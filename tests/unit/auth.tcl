# tests/unit/auth.tcl -- authentication and protected mode: AUTH in its
# one- and two-argument forms, HELLO AUTH/SETNAME and HELLO before
# authenticating, which commands run unauthenticated, RESET logging out,
# requirepass changed at run time, and protected mode refusing peers other
# than 127.0.0.1 / ::1 (tested from 127.0.0.2, which Linux routes over the
# loopback interface, so no network namespace is needed). Every test here
# passes against Debian's redis-server 7.0.15 (tclsh tests/test_helper.tcl
# --server /usr/bin/redis-server --single unit/auth); shoal must match it.

set ::hello_noauth "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
set ::wrongpass "WRONGPASS invalid username-password pair or user is disabled."

# Redis 7.0.15's refusal, verbatim (typo "Setup a an" included).
set ::denied "-DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside.\r\n"

# A raw connection to the server from a given local address, or "" when
# that address can not be used on this machine.
proc connect_from {myaddr} {
    if {[catch {socket -myaddr $myaddr [srv host] [srv port]} fd]} { return "" }
    fconfigure $fd -translation binary -blocking 1 -buffering none
    return $fd
}

# Everything the server sends until it closes the connection (at most
# 5 s), or "TIMEOUT" if it keeps it open.
proc read_until_close {fd} {
    set data ""
    set deadline [expr {[clock milliseconds] + 5000}]
    fconfigure $fd -blocking 0
    while {[clock milliseconds] < $deadline} {
        append data [read $fd]
        if {[eof $fd]} { return $data }
        after 10
    }
    return "TIMEOUT"
}

# Sends one inline command on a raw connection and returns the first reply
# line (without CRLF).
proc raw_command {fd line} {
    puts -nonewline $fd "$line\r\n"
    fconfigure $fd -blocking 1
    return [string trimright [gets $fd] "\r"]
}

start_server {tags {auth} overrides {requirepass foobar}} {

    test {Commands are refused before AUTH, with NOAUTH} {
        set c [redis_client]
        assert_error {NOAUTH Authentication required.} {$c ping}
        assert_error {NOAUTH Authentication required.} {$c get k}
        assert_error {NOAUTH Authentication required.} {$c client id}
        assert_error {NOAUTH Authentication required.} {$c info}
        $c close
    }

    test {An unknown command and a wrong arity come before NOAUTH} {
        set c [redis_client]
        assert_error {ERR unknown command*} {$c nosuchcommand}
        assert_error {ERR wrong number of arguments for 'get' command} {$c get}
        $c close
    }

    test {AUTH with the wrong password, then the right one} {
        set c [redis_client]
        assert_error $::wrongpass {$c auth wrong}
        assert_error {NOAUTH Authentication required.} {$c ping}
        assert_equal OK [$c auth foobar]
        assert_equal PONG [$c ping]
        $c close
    }

    test {AUTH default <password> and other user names} {
        set c [redis_client]
        assert_error $::wrongpass {$c auth someone foobar}
        assert_error $::wrongpass {$c auth DEFAULT foobar}
        assert_error $::wrongpass {$c auth default wrong}
        assert_equal OK [$c auth default foobar]
        assert_equal PONG [$c ping]
        $c close
    }

    test {A failed AUTH keeps an authenticated client authenticated} {
        set c [redis_client]
        $c auth foobar
        assert_error $::wrongpass {$c auth wrong}
        assert_error $::wrongpass {$c auth default wrong}
        assert_equal PONG [$c ping]
        $c close
    }

    test {AUTH arity and syntax} {
        set c [redis_client]
        assert_error {ERR wrong number of arguments for 'auth' command} {$c auth}
        assert_error {ERR syntax error} {$c auth a b c}
        $c close
    }

    test {The password is compared whole: prefixes and extensions fail} {
        set c [redis_client]
        foreach p {foo foobarx "" Foobar "foobar "} {
            assert_error $::wrongpass {$c auth $p} "password [list $p]"
        }
        $c close
    }

    test {HELLO before authenticating is refused, in any form} {
        set c [redis_client]
        assert_error $::hello_noauth {$c hello}
        assert_error $::hello_noauth {$c hello 3}
        assert_error $::hello_noauth {$c hello 2 setname x}
        assert_equal 2 [$c proto]
        assert_error {NOAUTH Authentication required.} {$c ping}
        $c close
    }

    test {HELLO argument errors come before authentication} {
        set c [redis_client]
        assert_error {NOPROTO unsupported protocol version} {$c hello 4}
        assert_error {ERR Protocol version is not an integer or out of range} {$c hello x}
        assert_error {ERR Syntax error in HELLO option 'auth'} {$c hello 3 auth default}
        assert_error {ERR Syntax error in HELLO option 'foo'} {$c hello 3 foo}
        $c close
    }

    test {HELLO AUTH authenticates and switches protocol} {
        set c [redis_client]
        set reply [$c hello 3 auth default foobar]
        assert_equal 3 [dict get $reply proto]
        assert_equal [$c client id] [dict get $reply id]
        assert_equal PONG [$c ping]
        $c close
    }

    test {HELLO AUTH with a wrong password: WRONGPASS, nothing changes} {
        set c [redis_client]
        assert_error $::wrongpass {$c hello 3 auth default nope setname n1}
        assert_error {NOAUTH Authentication required.} {$c ping}
        $c auth foobar
        assert_equal {} [$c client getname]
        $c readraw 1
        assert_equal {+PONG} [$c ping]
        $c close
    }

    test {HELLO AUTH ... SETNAME names the connection} {
        set c [redis_client]
        $c hello 2 auth default foobar setname authed
        assert_equal authed [$c client getname]
        $c close
    }

    test {HELLO AUTH with a bad name: authenticated, but no name and RESP2} {
        set c [redis_client]
        assert_error {ERR Client names cannot contain spaces*} {$c hello 3 auth default foobar setname "a b"}
        assert_equal PONG [$c ping]
        assert_equal {} [$c client getname]
        $c readraw 1
        assert_equal {$-1} [$c client getname]
        $c close
    }

    test {AUTH, HELLO, QUIT and RESET work unauthenticated} {
        set c [redis_client]
        assert_equal RESET [$c reset]
        assert_error {NOAUTH Authentication required.} {$c ping}
        assert_equal OK [$c quit]
        assert_closed $c
        $c close
    }

    test {RESET logs the client out} {
        set c [redis_client]
        $c auth foobar
        assert_equal PONG [$c ping]
        assert_equal RESET [$c reset]
        assert_error {NOAUTH Authentication required.} {$c ping}
        assert_equal OK [$c auth foobar]
        $c close
    }

    test {Protected mode does not apply when a password is set} {
        set fd [connect_from 127.0.0.2]
        if {$fd eq ""} { skip "127.0.0.2 is not usable as a source address here" }
        assert_equal {-NOAUTH Authentication required.} [raw_command $fd PING]
        assert_equal {+OK} [raw_command $fd "AUTH foobar"]
        assert_equal {+PONG} [raw_command $fd PING]
        close $fd
    }

    test {CONFIG SET requirepass: new clients need the new password} {
        r auth foobar
        assert_equal OK [r config set requirepass newpass]
        # the default client stays authenticated
        assert_equal PONG [r ping]
        set c [redis_client]
        assert_error {NOAUTH Authentication required.} {$c ping}
        assert_error $::wrongpass {$c auth foobar}
        assert_equal OK [$c auth newpass]
        $c close
    }

    test {CONFIG SET requirepass "": clients are authenticated from the start} {
        r config set requirepass ""
        set c [redis_client]
        assert_equal PONG [$c ping]
        assert_error {ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?} {$c auth newpass}
        $c close
        r config set requirepass foobar
    }
}

start_server {tags {auth}} {

    test {AUTH <password> without requirepass is a configuration error} {
        assert_error {ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?} {r auth foo}
    }

    test {Without requirepass, the default user takes any password} {
        assert_equal OK [r auth default anything]
        assert_equal OK [r auth default ""]
        assert_error $::wrongpass {r auth someone x}
        set reply [r hello 2 auth default whatever]
        assert_equal 2 [dict get $reply proto]
    }

    test {HELLO with no arguments needs no password, and keeps the protocol} {
        set c [redis_client]
        set reply [$c hello]
        assert_equal 2 [dict get $reply proto]
        $c hello 3
        set reply [$c hello]
        assert_equal 3 [dict get $reply proto]
        $c close
    }

    test {RESET keeps a client authenticated when there is no password} {
        set c [redis_client]
        assert_equal RESET [$c reset]
        assert_equal PONG [$c ping]
        $c close
    }

    test {Protected mode: 127.0.0.1 is served} {
        set fd [connect_from 127.0.0.1]
        assert_equal {+PONG} [raw_command $fd PING]
        close $fd
    }

    test {Protected mode: any other peer gets the DENIED text and is closed} {
        set before [s rejected_connections]
        set fd [connect_from 127.0.0.2]
        if {$fd eq ""} { skip "127.0.0.2 is not usable as a source address here" }
        set got [read_until_close $fd]
        close $fd
        assert_equal $::denied $got
        assert_equal [expr {$before + 1}] [s rejected_connections]
    }

    test {Protected mode off: other peers are served} {
        r config set protected-mode no
        set fd [connect_from 127.0.0.2]
        if {$fd eq ""} {
            r config set protected-mode yes
            skip "127.0.0.2 is not usable as a source address here"
        }
        assert_equal {+PONG} [raw_command $fd PING]
        close $fd
        r config set protected-mode yes
    }
}

start_server {tags {auth} unixsocket 1} {
    test {Protected mode never refuses Unix socket clients} {
        set c [redis_unix_client]
        assert_equal PONG [$c ping]
        $c close
    }
}
