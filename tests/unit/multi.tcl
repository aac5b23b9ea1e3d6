# tests/unit/multi.tcl -- transactions: MULTI, EXEC, DISCARD, errors while
# queueing (EXECABORT), WATCH/UNWATCH and what dirties a watched key
# (writes, expiry, FLUSHDB/FLUSHALL, SWAPDB, MOVE, RENAME), RESP2/RESP3
# replies of an aborted EXEC, and atomicity with many connections (which
# shoal spreads over its worker threads). Every test here passes against
# Debian's redis-server 7.0.15 (tclsh tests/test_helper.tcl --server
# /usr/bin/redis-server --single unit/multi); shoal must match it.

# EXEC after a queued PING: PONG if the transaction ran, "" if a watched
# key was touched (the client decodes the null array as "").
proc exec_ping {{c r}} {
    $c multi
    $c ping
    return [$c exec]
}

start_server {tags {multi}} {

    # ---- MULTI / EXEC / DISCARD ----

    test {MULTI / EXEC runs the queued commands in order} {
        r flushall
        assert_equal OK [r multi]
        assert_equal QUEUED [r set a 1]
        assert_equal QUEUED [r incr a]
        assert_equal QUEUED [r get a]
        assert_equal QUEUED [r exists a nokey]
        assert_equal {OK 2 2 1} [r exec]
        assert_equal 2 [r get a]
    }

    test {An empty transaction replies an empty array} {
        r multi
        assert_equal {} [r exec]
        set c [redis_client]
        $c multi
        $c readraw 1
        assert_equal {*0} [$c exec]
        $c close
    }

    test {EXEC and DISCARD without MULTI} {
        assert_error {ERR EXEC without MULTI} {r exec}
        assert_error {ERR DISCARD without MULTI} {r discard}
    }

    test {MULTI can not be nested, the transaction goes on} {
        r multi
        r set a 1
        assert_error {ERR MULTI calls can not be nested} {r multi}
        r set b 2
        assert_equal {OK OK} [r exec]
    }

    test {WATCH inside MULTI is refused, the transaction goes on} {
        r multi
        assert_error {ERR WATCH inside MULTI is not allowed} {r watch a}
        r ping
        assert_equal {PONG} [r exec]
    }

    test {DISCARD drops the queue and leaves MULTI} {
        r set a 1
        r multi
        r set a 2
        assert_equal OK [r discard]
        assert_equal 1 [r get a]
        assert_error {ERR EXEC without MULTI} {r exec}
    }

    test {Commands queued are not run before EXEC} {
        r del q
        r multi
        r set q 1
        set c [redis_client]
        assert_equal 0 [$c exists q]
        r exec
        assert_equal 1 [$c exists q]
        $c close
    }

    test {SELECT inside a transaction applies to what follows, and stays} {
        r flushall
        r multi
        r select 1
        r set a one
        r exec
        assert_equal one [r get a]
        r select 0
        assert_equal 0 [r exists a]
    }

    # ---- errors ----

    test {An unknown command while queueing aborts EXEC} {
        r del a
        r multi
        r set a 1
        assert_error {ERR unknown command 'nosuchcommand', with args beginning with: 'x' } {r nosuchcommand x}
        r set a 2
        assert_error {EXECABORT Transaction discarded because of previous errors.} {r exec}
        assert_equal 0 [r exists a]
        assert_error {ERR EXEC without MULTI} {r exec}
    }

    test {A wrong number of arguments while queueing aborts EXEC} {
        r multi
        assert_error {ERR wrong number of arguments for 'get' command} {r get}
        r set a 1
        assert_error {EXECABORT Transaction discarded because of previous errors.} {r exec}
        assert_equal 0 [r exists a]
    }

    test {EXEC with arguments aborts the transaction} {
        r multi
        r set a 1
        assert_error {EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command} {r exec x}
        assert_error {ERR EXEC without MULTI} {r exec}
        assert_equal 0 [r exists a]
        assert_error {EXECABORT Transaction discarded because of: wrong number of arguments for 'exec' command} {r exec x}
    }

    test {DISCARD with arguments is an error, the transaction goes on} {
        r multi
        assert_error {ERR wrong number of arguments for 'discard' command} {r discard x}
        r ping
        assert_error {EXECABORT Transaction discarded because of previous errors.} {r exec}
    }

    test {Errors of commands run by EXEC are elements of its reply} {
        r flushall
        r set s notanumber
        r multi
        r incr s
        r set b 1
        r select 99
        r get b
        assert_error {ERR value is not an integer or out of range} {r exec}
        assert_equal {{ERR value is not an integer or out of range} OK {ERR DB index is out of range} 1} [r partial]
        assert_equal 1 [r get b]
    }

    # ---- WATCH ----

    test {EXEC runs when no watched key changed} {
        r flushall
        r set k 1
        r watch k nokey
        r get k
        assert_equal PONG [exec_ping]
    }

    test {EXEC fails when another client changed a watched key} {
        r set k 1
        r watch k
        set c [redis_client]
        $c set k 2
        assert_equal {} [exec_ping]
        $c close
    }

    test {EXEC fails when the client itself changed a watched key} {
        r set k 1
        r watch k
        r set k 2
        assert_equal {} [exec_ping]
    }

    test {A watched key that is created makes EXEC fail} {
        r del k
        r watch k
        r set k 1
        assert_equal {} [exec_ping]
    }

    test {Writes that change nothing do not touch a watched key} {
        r del missing
        r set k v
        r watch missing k
        r del missing
        r expire missing 100
        r persist k
        r expire k 100 xx
        r get k
        r exists k
        assert_equal PONG [exec_ping]
    }

    test {Every kind of change touches a watched key} {
        set c [redis_client]
        foreach change {
            {del k} {unlink k} {expire k 100} {pexpireat k 99999999999999}
            {expire k -1} {rename k k2} {rename other k} {renamenx k k2}
            {move k 1} {append k x} {incr n} {set k v} {getdel k}
        } {
            r flushall
            r mset k 5 n 5 other 1
            r watch k n
            $c {*}$change
            assert_equal {} [exec_ping] "after $change"
        }
        r flushall
        r set k v ex 100
        r watch k
        $c persist k
        assert_equal {} [exec_ping] "after persist k"
        $c close
    }

    test {MOVE into the watched db touches the key there} {
        r flushall
        r watch k
        set c [redis_client]
        $c select 1
        $c set k v
        $c move k 0
        assert_equal {} [exec_ping]
        $c close
    }

    test {The same key name in another db is not watched} {
        r flushall
        r watch k
        set c [redis_client]
        $c select 1
        $c set k v
        assert_equal PONG [exec_ping]
        $c close
    }

    test {UNWATCH forgets watched keys and a past change} {
        r set k 1
        r watch k
        r set k 2
        assert_equal OK [r unwatch]
        assert_equal PONG [exec_ping]
    }

    test {EXEC and DISCARD unwatch} {
        r set k 1
        r watch k
        exec_ping
        r set k 2
        assert_equal PONG [exec_ping]
        r watch k
        r multi
        r discard
        r set k 3
        assert_equal PONG [exec_ping]
    }

    test {A failed EXEC unwatches too} {
        r set k 1
        r watch k
        r set k 2
        assert_equal {} [exec_ping]
        r set k 3
        assert_equal PONG [exec_ping]
    }

    test {WATCH after a watched key changed keeps EXEC failing} {
        r set k 1
        r watch k
        r set k 2
        r watch other
        assert_equal {} [exec_ping]
    }

    test {WATCH of the same key twice, UNWATCH once} {
        r set k 1
        r watch k k
        r watch k
        r unwatch
        r set k 2
        assert_equal PONG [exec_ping]
    }

    test {A transaction's own writes to a watched key do not fail it} {
        r set k 1
        r watch k
        r multi
        r set k 2
        r incr k
        assert_equal {OK 3} [r exec]
    }

    test {A queued FLUSHALL touches the keys other clients watch} {
        r flushall
        r set k 1
        r watch k
        set c [redis_client]
        $c multi
        $c flushall
        $c exec
        assert_equal {} [exec_ping]
        $c close
    }

    # ---- WATCH and expiry ----

    test {A watched key that expires makes EXEC fail} {
        r flushall
        r set k v px 100
        r watch k
        after 200
        assert_equal {} [exec_ping]
    }

    test {A watched key already expired at WATCH time does not fail EXEC} {
        r set k v px 1
        after 20
        r watch k
        after 20
        assert_equal PONG [exec_ping]
    }

    test {... unless it is set again} {
        r set k v px 1
        after 20
        r watch k
        r set k v2
        assert_equal {} [exec_ping]
    }

    test {... or its expired value is read and then set} {
        r set k v px 1
        after 20
        r watch k
        r exists k
        r set k v3
        assert_equal {} [exec_ping]
    }

    test {A TTL change on a watched key fails EXEC} {
        r set k v
        r watch k
        r expire k 1000
        assert_equal {} [exec_ping]
    }

    # ---- WATCH and whole-db changes ----

    test {FLUSHDB touches the watched keys it deletes} {
        r flushall
        r set k v
        r watch k
        set c [redis_client]
        $c flushdb
        assert_equal {} [exec_ping]
        $c close
    }

    test {FLUSHDB does not touch watched keys that did not exist} {
        r flushall
        r set other v
        r watch k
        r flushdb
        assert_equal PONG [exec_ping]
    }

    test {FLUSHDB of another db does not touch watched keys} {
        r flushall
        r set k v
        r watch k
        set c [redis_client]
        $c select 3
        $c flushdb
        assert_equal PONG [exec_ping]
        $c close
    }

    test {FLUSHALL touches watched keys in every db} {
        r flushall
        r select 2
        r set k v
        r watch k
        r select 0
        r flushall
        assert_equal {} [exec_ping]
    }

    test {FLUSHDB of a watched key that had already expired does not fail EXEC} {
        r flushall
        r set k v px 1
        after 20
        r watch k
        r flushdb
        assert_equal PONG [exec_ping]
    }

    test {SWAPDB touches a watched key present in either db} {
        r flushall
        r set k v
        r watch k
        r swapdb 0 1
        assert_equal {} [exec_ping]
        r flushall
        r select 1
        r set k v
        r select 0
        r watch k
        r swapdb 0 1
        assert_equal {} [exec_ping]
    }

    test {SWAPDB of dbs without the watched key does not touch it} {
        r flushall
        r set other v
        r watch k
        r swapdb 0 1
        r swapdb 2 3
        assert_equal PONG [exec_ping]
    }

    test {SWAPDB bringing an already expired key does not fail EXEC} {
        r flushall
        r select 1
        r set k v px 1
        r select 0
        after 20
        r watch k
        r swapdb 0 1
        assert_equal PONG [exec_ping]
    }

    test {A WATCH stays on its db index across SWAPDB} {
        r flushall
        r watch k
        r swapdb 0 1
        r select 1
        r set k v
        r select 0
        assert_equal PONG [exec_ping]
        r flushall
        r watch k
        r swapdb 0 1
        r set k v
        assert_equal {} [exec_ping]
    }

    test {A WATCH survives several swaps} {
        r flushall
        r watch k
        r swapdb 0 5
        r swapdb 5 9
        r swapdb 0 9
        set c [redis_client]
        $c select 5
        $c set k v
        assert_equal PONG [exec_ping]
        r watch k
        $c select 0
        $c set k v
        assert_equal {} [exec_ping]
        $c close
    }

    # ---- replies of an aborted EXEC ----

    test {An aborted EXEC is a null array: *-1 in RESP2, _ in RESP3} {
        set c [redis_client]
        $c set k 1
        $c watch k
        r set k 2
        $c multi
        $c ping
        $c readraw 1
        assert_equal {*-1} [$c exec]
        $c readraw 0
        $c hello 3
        $c watch k
        r set k 3
        $c multi
        $c ping
        $c readraw 1
        assert_equal {_} [$c exec]
        $c readraw 0
        $c close
    }

    # ---- RESET and disconnecting ----

    test {RESET leaves MULTI and forgets watched keys} {
        set c [redis_client]
        $c set k 1
        $c watch k
        $c set k 2
        $c multi
        $c set q 1
        assert_equal RESET [$c reset]
        assert_error {ERR EXEC without MULTI} {$c exec}
        assert_equal PONG [exec_ping $c]
        $c close
    }

    test {Clients that disconnect while watching are forgotten} {
        r flushall
        for {set i 0} {$i < 50} {incr i} {
            set c [redis_client]
            $c select [expr {$i % 3}]
            $c watch k a:$i b:$i
            if {$i % 2} { $c multi; $c set k $i }
            $c close
        }
        after 100
        r set k 1
        r swapdb 0 1
        r swapdb 1 2
        r flushall
        r set k 2
        assert_equal PONG [r ping]
    }

    # ---- many connections ----

    test {A change dirties every client watching the key} {
        r flushall
        r set k 0
        set clients {}
        for {set i 0} {$i < 12} {incr i} {
            set c [redis_client]
            $c watch k
            lappend clients $c
        }
        r incr k
        foreach c $clients {
            assert_equal {} [exec_ping $c]
            $c close
        }
    }

    test {WATCH-based increments lose no update under concurrent writers} {
        r flushall
        r set counter 0
        set writers {}
        for {set i 0} {$i < 3} {incr i} {
            set w [redis_deferring_client]
            for {set j 0} {$j < 2000} {incr j} { $w incr counter }
            lappend writers $w
        }
        set won 0
        set c [redis_client]
        for {set i 0} {$i < 200} {incr i} {
            $c watch counter
            set v [$c get counter]
            $c multi
            $c set counter [expr {$v + 1}]
            if {[$c exec] ne ""} { incr won }
        }
        foreach w $writers {
            for {set j 0} {$j < 2000} {incr j} { $w read }
            $w close
        }
        assert_equal [expr {6000 + $won}] [r get counter]
        $c close
    }

    test {Transactions are atomic to every other client} {
        r flushall
        r mset x 0 y 0
        set writers {}
        for {set i 0} {$i < 3} {incr i} {
            set w [redis_deferring_client]
            for {set j 0} {$j < 300} {incr j} {
                $w multi
                $w incr x
                $w incr y
                $w exec
            }
            lappend writers $w
        }
        set c [redis_client]
        for {set i 0} {$i < 200} {incr i} {
            $c multi
            $c get x
            $c get y
            lassign [$c exec] x y
            assert_equal $x $y
        }
        foreach w $writers {
            for {set j 0} {$j < 300 * 4} {incr j} { $w read }
            $w close
        }
        assert_equal {900 900} [r mget x y]
        $c close
    }
}
