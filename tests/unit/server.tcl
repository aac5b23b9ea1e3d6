# tests/unit/server.tcl -- the server process: listeners (TCP on IPv4 and
# IPv6, Unix socket), maxclients, idle timeout, command line, pidfile, and
# a clean stop on SIGTERM and SHUTDOWN.

start_server {tags {server} overrides {maxclients 3}} {
    test "maxclients is enforced with Redis's error, and a freed slot is reusable" {
        # the default client is one of the three
        set a [redis_client]
        set b [redis_client]
        set c [resp::client 127.0.0.1 [srv port]]
        assert_error "ERR max number of clients reached" {$c ping}
        catch {$c close}
        $b close
        wait_for_condition 50 20 {[s connected_clients] == 2} else {
            fail "client count did not drop"
        }
        set d [redis_client]
        assert_equal PONG [$d ping]
        assert_morethan [s rejected_connections] 0
        $a close
        $d close
    }

    test "CONFIG SET maxclients takes effect for new connections" {
        r config set maxclients 10
        set cs {}
        for {set i 0} {$i < 5} {incr i} { lappend cs [redis_client] }
        foreach c $cs { assert_equal PONG [$c ping]; $c close }
    }
}

start_server {tags {server} overrides {timeout 1}} {
    test "An idle client is closed after timeout seconds" {
        set c [redis_client]
        assert_equal PONG [$c ping]
        assert_equal 1 [$c wait_close 5000]
    }

    test "A client that keeps talking is not timed out" {
        set c [redis_client]
        for {set i 0} {$i < 8} {incr i} {
            assert_equal PONG [$c ping]
            after 250
        }
        $c close
    }
}

start_server {tags {server shoal-only} overrides {bind {127.0.0.1 ::1}}} {
    test "IPv4 and IPv6 listeners on the same port" {
        if {[catch {socket ::1 [srv port]} fd]} {
            skip "no IPv6 loopback here: $fd"
        }
        close $fd
        set c [resp::client ::1 [srv port]]
        assert_equal PONG [$c ping]
        assert_match {*addr=\[::1\]:*} [$c client info]
        $c close
    }
}

start_server {tags {server shoal-only} unixsocket 1} {
    test "A Unix socket client is served" {
        set c [redis_unix_client]
        assert_equal OK [$c set unix:k v]
        assert_equal v [r get unix:k]
        $c close
    }
}

tags {server shoal-only} {
    test "--version and --help answer and exit 0" {
        assert_match "shoal-server v=* redis-compat=7.0.15 *" [exec $::th::server_bin --version]
        assert_match "*Usage:*" [exec $::th::server_bin --help]
    }

    test "A bad directive on the command line stops start-up with status 1" {
        set r [run_server_expect_exit {args {--port notanumber}}]
        assert_equal 1 [dict get $r exitcode]
        assert_match "*FATAL CONFIG FILE ERROR*" [dict get $r output]
    }

    test "A port already in use stops start-up with status 1" {
        set fd [socket -server {apply {{args} {}}} -myaddr 127.0.0.1 0]
        set port [lindex [fconfigure $fd -sockname] 2]
        set r [run_server_expect_exit [list args [list --port $port --bind 127.0.0.1]]]
        close $fd
        assert_equal 1 [dict get $r exitcode]
        assert_match "*Could not create server TCP listening socket*" [dict get $r output]
    }

    test "SIGTERM stops the server cleanly: status 0, pidfile removed" {
        set dir [file normalize tests/tmp]
        file mkdir $dir
        set base $dir/sigterm.[pid]
        set port [th::find_free_port]
        # a shell runs it so its exit status can be read back
        exec sh -c {"$0" --port "$1" --bind 127.0.0.1 --pidfile "$2.pid" > "$2.log" 2>&1; echo $? > "$2.status"} \
            $::th::server_bin $port $base &
        wait_for_condition 100 50 {[file exists $base.pid]} else { fail "no pidfile" }
        set pid [string trim [th::read_file $base.pid]]
        set c [resp::client 127.0.0.1 $port]
        assert_equal OK [$c set k v]
        exec kill -TERM $pid
        wait_for_condition 100 50 {[file exists $base.status]} else { fail "still running" }
        assert_equal 0 [string trim [th::read_file $base.status]]
        assert_equal 0 [file exists $base.pid]
        assert_match "*Received SIGTERM scheduling shutdown*ready to exit*" [th::read_file $base.log]
        catch {$c close}
        file delete $base.log $base.status
    }
}

start_server {tags {server}} {
    test "SHUTDOWN stops the server and closes the connection without a reply" {
        expect_server_exit
        set c [redis_client]
        catch {$c shutdown nosave} err
        assert_match "*closed*" $err
        wait_for_condition 100 50 {![server_is_alive]} else { fail "server still running" }
    }
}

start_server {tags {server}} {
    test "A client that pipelines 200k commands before reading gets every reply" {
        # Output buffers are unbounded (client-output-buffer-limit normal
        # 0 0 0): 200k replies of 100 bytes (21.6 MB) pile up while the
        # client is still writing, and must all arrive, in order.
        r set k [string repeat v 100]
        set c [redis_client]
        set fd [$c fd]
        fconfigure $fd -blocking 1
        puts -nonewline $fd [string repeat "*2\r\n\$3\r\nGET\r\n\$1\r\nk\r\n" 200000]
        flush $fd
        set one "\$100\r\n[string repeat v 100]\r\n"
        set got 0
        for {set i 0} {$i < 200000} {incr i} {
            if {[read $fd [string length $one]] ne $one} break
            incr got
        }
        assert_equal 200000 $got
        $c close
    }
}
