# tests/unit/client.tcl -- the connection commands: CLIENT ID / SETNAME /
# GETNAME / LIST / INFO / KILL / REPLY / NO-EVICT / HELP (and SETINFO,
# which Redis 7.2 added), PING, ECHO, TIME, HELLO, RESET, QUIT, SHUTDOWN.
# CLIENT LIST must show the clients of every worker thread with Redis
# 7.0's fields in Redis 7.0's order, and CLIENT KILL must reach a client
# on any thread. Every test here passes against Debian's redis-server
# 7.0.15 (tclsh tests/test_helper.tcl --server /usr/bin/redis-server
# --single unit/client) except those tagged shoal-only.

# Redis 7.0's CLIENT LIST fields, in order.
set ::client_fields {id addr laddr fd name age idle flags db sub psub ssub multi
    qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem events cmd user
    redir resp}

# A CLIENT LIST line as a dict (field order kept).
proc client_line_dict {line} {
    set d [dict create]
    foreach kv [split [string trimright $line "\n"] " "] {
        set i [string first = $kv]
        dict set d [string range $kv 0 [expr {$i - 1}]] [string range $kv [expr {$i + 1}] end]
    }
    return $d
}

# CLIENT LIST output as a list of dicts.
proc client_list_dicts {text} {
    set out {}
    foreach line [split $text "\n"] {
        if {$line ne ""} { lappend out [client_line_dict $line] }
    }
    return $out
}

# The CLIENT LIST entry of one client id ("" if not listed), as a dict.
proc client_entry {id {c r}} {
    set text [$c client list id $id]
    if {$text eq ""} { return "" }
    return [client_line_dict $text]
}

proc client_field {id field {c r}} {
    set d [client_entry $id $c]
    if {$d eq ""} { return "" }
    return [dict get $d $field]
}

# Ids of every listed client.
proc listed_ids {} {
    lmap d [client_list_dicts [r client list]] {dict get $d id}
}

# The "ip:port" a Tcl-side client connects from, as CLIENT LIST's addr.
proc local_addr {c} {
    lassign [fconfigure [$c fd] -sockname] ip host port
    return "$ip:$port"
}

# Waits until the connections earlier tests closed are gone from the
# server, leaving the default client alone.
proc wait_only_me {} {
    wait_for_condition 100 20 {[llength [listed_ids]] == 1} else {
        fail "other clients are still connected: [r client list]"
    }
}

# The tests that need several connections: run once with the server's
# default threads and, on shoal, again with four worker threads so that
# clients certainly sit on different threads.
proc many_clients_tests {} {

    test {CLIENT LIST shows every connection, each once} {
        set cs {}
        set ids {}
        for {set i 0} {$i < 8} {incr i} {
            set c [redis_client]
            $c client setname many-$i
            lappend cs $c
            lappend ids [$c client id]
        }
        set text [r client list]
        set listed [lmap d [client_list_dicts $text] {dict get $d id}]
        foreach id $ids {
            assert_equal 1 [llength [lsearch -all $listed $id]] "client $id"
        }
        for {set i 0} {$i < 8} {incr i} {
            assert_match "* name=many-$i *" $text
        }
        foreach c $cs { $c close }
    }

    test {CLIENT LIST lists clients oldest first (by id)} {
        set cs [lmap i {1 2 3 4 5} {redis_client}]
        foreach c $cs { $c ping }
        set ids [listed_ids]
        assert_equal [lsort -integer $ids] $ids
        foreach c $cs { $c close }
    }

    test {CLIENT LIST ID of clients on other connections, in the order asked} {
        set a [redis_client]
        set b [redis_client]
        set ida [$a client id]
        set idb [$b client id]
        $a client setname aa
        $b client setname bb
        set ds [client_list_dicts [r client list id $idb 999999 $ida]]
        assert_equal 2 [llength $ds]
        assert_equal {bb aa} [lmap d $ds {dict get $d name}]
        $a close
        $b close
    }

    test {Another connection's name, db, protocol and last command are seen} {
        set c [redis_client]
        set id [$c client id]
        $c select 5
        $c hello 3
        $c client setname watcher
        $c echo hi
        set d [client_entry $id]
        assert_equal watcher [dict get $d name]
        assert_equal 5 [dict get $d db]
        assert_equal 3 [dict get $d resp]
        assert_equal echo [dict get $d cmd]
        assert_equal r [dict get $d events]
        assert_equal 0 [dict get $d qbuf]
        $c close
    }

    test {A client in MULTI shows flags=x and the queue length} {
        set c [redis_client]
        set id [$c client id]
        $c multi
        $c set a 1
        $c get a
        set d [client_entry $id]
        assert_equal x [dict get $d flags]
        assert_equal 2 [dict get $d multi]
        $c exec
        set d [client_entry $id]
        assert_equal N [dict get $d flags]
        assert_equal -1 [dict get $d multi]
        $c close
    }

    test {A watched key touched by another client: flags=d} {
        set c [redis_client]
        set id [$c client id]
        $c watch wk
        r set wk 1
        assert_equal d [client_field $id flags]
        $c unwatch
        assert_equal N [client_field $id flags]
        $c close
    }

    test {CLIENT KILL ID closes another connection, which leaves the list at once} {
        set c [redis_client]
        set id [$c client id]
        assert_equal 1 [r client kill id $id]
        assert_closed $c
        assert_equal {} [r client list id $id]
        assert {[lsearch [listed_ids] $id] < 0}
        $c close
    }

    test {CLIENT KILL addr:port (old form) closes another connection} {
        set c [redis_client]
        $c ping
        set addr [local_addr $c]
        assert_equal OK [r client kill $addr]
        assert_closed $c
        assert_error {ERR No such client} {r client kill $addr}
        $c close
    }

    test {CLIENT KILL ADDR, LADDR and USER filters} {
        set a [redis_client]
        set b [redis_client]
        $a ping
        $b ping
        assert_equal 1 [r client kill addr [local_addr $a]]
        assert_closed $a
        assert_equal 0 [r client kill addr [local_addr $a]]
        assert_equal 0 [r client kill laddr 1.2.3.4:5]
        # LADDR: every connection to this port; USER default: every client
        assert_morethan_equal [r client kill laddr [srv host]:[srv port] user default] 1
        assert_closed $b
        assert_equal PONG [r ping]
        $a close
        $b close
    }

    test {CLIENT KILL TYPE normal kills all other clients, TYPE pubsub none} {
        wait_only_me
        set cs [lmap i {1 2 3} {redis_client}]
        foreach c $cs { $c ping }
        assert_equal 0 [r client kill type pubsub]
        assert_equal 0 [r client kill type master]
        assert_equal 0 [r client kill type replica]
        assert_equal 3 [r client kill type normal]
        foreach c $cs { assert_closed $c; $c close }
        assert_equal [list [r client id]] [listed_ids]
    }

    test {connected_clients follows connections and kills} {
        wait_only_me
        set before [s connected_clients]
        set cs [lmap i {1 2 3} {redis_client}]
        foreach c $cs { $c ping }
        wait_for_condition 100 20 {[s connected_clients] == $before + 3} else {
            fail "connected_clients is [s connected_clients], expected [expr {$before + 3}]"
        }
        r client kill id [[lindex $cs 0] client id]
        [lindex $cs 1] close
        wait_for_condition 100 20 {[s connected_clients] == $before + 1} else {
            fail "connected_clients is [s connected_clients], expected [expr {$before + 1}]"
        }
        foreach c $cs { catch {$c close} }
    }
}

start_server {tags {client}} {

    # ---- PING, ECHO, TIME ----

    test {PING and PING <message>, in RESP2 and RESP3} {
        set c [redis_client]
        $c readraw 1
        assert_equal {+PONG} [$c ping]
        assert_equal {$5} [$c ping hello]
        assert_equal hello [$c read]
        $c readraw 0
        $c hello 3
        $c readraw 1
        assert_equal {+PONG} [$c ping]
        assert_equal {$2} [$c ping hi]
        assert_equal hi [$c read]
        $c close
    }

    test {PING with two arguments is an arity error} {
        assert_error {ERR wrong number of arguments for 'ping' command} {r ping a b}
    }

    test {ECHO returns its argument byte for byte} {
        set bin [all_bytes]
        assert_equal $bin [r echo $bin]
        assert_equal {} [r echo ""]
        assert_error {ERR wrong number of arguments for 'echo' command} {r echo}
        assert_error {ERR wrong number of arguments for 'echo' command} {r echo a b}
    }

    test {TIME is seconds and microseconds as bulk strings} {
        set c [redis_client]
        $c readraw 1
        assert_equal {*2} [$c time]
        set secs [$c read]
        assert_match {$*} $secs
        set secs [$c read]
        $c read
        set usecs [$c read]
        assert_range $usecs 0 999999
        assert_range $secs [expr {[clock seconds] - 5}] [expr {[clock seconds] + 5}]
        assert_error {ERR wrong number of arguments for 'time' command} {r time x}
        $c close
    }

    # ---- CLIENT ID, SETNAME, GETNAME ----

    test {CLIENT ID is a positive integer, distinct per connection, as HELLO says} {
        set c [redis_client]
        set id [$c client id]
        assert {[string is integer -strict $id] && $id > 0}
        assert_not_equal $id [r client id]
        assert_equal $id [dict get [$c hello 2] id]
        assert_equal $id [$c client id]
        $c close
    }

    test {CLIENT SETNAME / GETNAME} {
        set c [redis_client]
        assert_equal {} [$c client getname]
        assert_equal OK [$c client setname myname]
        assert_equal myname [$c client getname]
        assert_equal OK [$c client setname "!~printable~!"]
        assert_equal "!~printable~!" [$c client getname]
        $c close
    }

    test {CLIENT SETNAME "" removes the name (GETNAME is a null)} {
        set c [redis_client]
        $c client setname x
        assert_equal OK [$c client setname ""]
        $c readraw 1
        assert_equal {$-1} [$c client getname]
        $c close
    }

    test {CLIENT SETNAME refuses spaces, control and non-ASCII bytes} {
        set c [redis_client]
        $c client setname keep
        foreach bad [list "a b" "a\nb" "a\rb" "\x01" "\x7f" "caf\xe9" " "] {
            assert_error {ERR Client names cannot contain spaces, newlines or special characters.} \
                {$c client setname $bad} "name [list $bad]"
        }
        assert_equal keep [$c client getname]
        $c close
    }

    test {CLIENT subcommand arities and unknown subcommands} {
        assert_error {ERR wrong number of arguments for 'client' command} {r client}
        assert_error {ERR wrong number of arguments for 'client|id' command} {r client id x}
        assert_error {ERR wrong number of arguments for 'client|setname' command} {r client setname}
        assert_error {ERR wrong number of arguments for 'client|getname' command} {r client getname x}
        assert_error {ERR wrong number of arguments for 'client|info' command} {r client info x}
        assert_error {ERR wrong number of arguments for 'client|kill' command} {r client kill}
        assert_error {ERR wrong number of arguments for 'client|reply' command} {r client reply}
        assert_error {ERR unknown subcommand 'nosuch'. Try CLIENT HELP.} {r client nosuch}
    }

    # ---- CLIENT LIST / CLIENT INFO ----

    test {CLIENT LIST has Redis 7.0's fields in Redis 7.0's order} {
        set line [lindex [split [r client list id [r client id]] "\n"] 0]
        set keys [dict keys [client_line_dict $line]]
        assert_equal [list {*}$::client_fields] [lrange $keys 0 [expr {[llength $::client_fields] - 1}]]
    }

    test {CLIENT INFO is this client's CLIENT LIST line, ending in a newline} {
        set c [redis_client]
        $c client setname info-me
        set info [$c client info]
        assert_equal "\n" [string index $info end]
        assert_equal 1 [llength [split [string trimright $info "\n"] "\n"]]
        set d [client_line_dict $info]
        assert_equal [$c client id] [dict get $d id]
        assert_equal info-me [dict get $d name]
        assert_equal [local_addr $c] [dict get $d addr]
        assert_equal [srv host]:[srv port] [dict get $d laddr]
        assert_equal client|info [dict get $d cmd]
        assert_equal N [dict get $d flags]
        assert_equal 0 [dict get $d db]
        assert_equal -1 [dict get $d multi]
        assert_equal {0 0 0} [list [dict get $d sub] [dict get $d psub] [dict get $d ssub]]
        assert_equal default [dict get $d user]
        assert_equal -1 [dict get $d redir]
        assert_equal 2 [dict get $d resp]
        assert_equal r [dict get $d events]
        foreach f {fd age idle qbuf qbuf-free argv-mem multi-mem rbs rbp obl oll omem tot-mem} {
            assert {[string is integer -strict [dict get $d $f]]} "field $f: [dict get $d $f]"
        }
        # the command being run is in the query buffer and in argv
        assert_equal [string length [resp::encode {client info}]] [dict get $d qbuf]
        assert_equal [string length "clientinfo"] [dict get $d argv-mem]
        $c close
    }

    test {CLIENT LIST and CLIENT INFO: bulk in RESP2, verbatim text in RESP3} {
        foreach {proto cmd pattern} {
            2 {client info} {$*}  2 {client list} {$*}  2 {client list id 999999} {$0}
            3 {client info} {=*}  3 {client list} {=*}  3 {client list id 999999} {=4}
        } {
            set c [redis_client]
            if {$proto == 3} { $c hello 3 }
            $c readraw 1
            assert_match $pattern [$c {*}$cmd] "RESP$proto $cmd"
            if {$proto == 3} { assert_match {txt:*} [$c read] }
            $c close
        }
    }

    test {A connection that ran no command yet shows cmd=NULL, age and idle} {
        set fd [socket [srv host] [srv port]]
        lassign [fconfigure $fd -sockname] ip host port
        set d ""
        wait_for_condition 100 10 {
            [set d [lsearch -inline -glob [split [r client list] "\n"] "* addr=$ip:$port *"]] ne ""
        } else {
            fail "the new connection is not listed"
        }
        set d [client_line_dict $d]
        assert_equal NULL [dict get $d cmd]
        assert_equal 0 [dict get $d age]
        after 1100
        set d [client_entry [dict get $d id]]
        assert_morethan_equal [dict get $d age] 1
        assert_morethan_equal [dict get $d idle] 1
        close $fd
    }

    test {CLIENT LIST TYPE and its errors} {
        set id [r client id]
        assert_match "id=$id *" [r client list type normal]
        assert_match "*id=$id *" [r client list type NORMAL]
        foreach t {pubsub master replica slave} {
            assert_equal {} [r client list type $t] "type $t"
        }
        assert_error {ERR Unknown client type 'foo'} {r client list type foo}
        assert_error {ERR syntax error} {r client list type}
        assert_error {ERR syntax error} {r client list foo}
        assert_error {ERR syntax error} {r client list type normal id 1}
        assert_error {ERR syntax error} {r client list id}
    }

    test {CLIENT LIST ID: bad ids are an error, unknown ids are skipped} {
        assert_error {ERR Invalid client ID} {r client list id abc}
        assert_error {ERR Invalid client ID} {r client list id 1 2x}
        assert_error {ERR Invalid client ID} {r client list id 99999999999999999999}
        assert_equal {} [r client list id 0 -1 999999]
        set id [r client id]
        set text [r client list id $id $id]
        assert_equal 2 [llength [lsearch -all [split $text "\n"] "id=$id *"]]
    }

    test {CLIENT NO-EVICT sets flag e} {
        set c [redis_client]
        set id [$c client id]
        assert_equal OK [$c client no-evict on]
        assert_equal e [client_field $id flags]
        assert_equal OK [$c client no-evict OFF]
        assert_equal N [client_field $id flags]
        assert_error {ERR syntax error} {$c client no-evict maybe}
        $c close
    }

    many_clients_tests

    # ---- CLIENT KILL: the caller and the errors ----

    test {CLIENT KILL ID of the caller: skipped by default, SKIPME no closes after the reply} {
        set c [redis_client]
        set id [$c client id]
        assert_equal 0 [$c client kill id $id]
        assert_equal 0 [$c client kill id $id skipme yes]
        assert_equal PONG [$c ping]
        assert_equal 1 [$c client kill id $id skipme no]
        assert_closed $c
        $c close
    }

    test {CLIENT KILL of the caller's own address (old form) replies +OK, then closes} {
        set c [redis_client]
        $c readraw 1
        assert_equal {+OK} [$c client kill [local_addr $c]]
        assert_closed $c
        $c close
    }

    test {CLIENT KILL errors} {
        assert_error {ERR No such client} {r client kill 1.2.3.4:5}
        assert_error {ERR No such client} {r client kill id}
        foreach id {0 -1 abc 99999999999999999999} {
            assert_error {ERR client-id should be greater than 0} {r client kill id $id} "id $id"
        }
        assert_error {ERR Unknown client type 'foo'} {r client kill type foo}
        assert_error {ERR No such user 'bob'} {r client kill user bob}
        assert_error {ERR syntax error} {r client kill skipme maybe}
        assert_error {ERR syntax error} {r client kill foo bar}
        assert_error {ERR syntax error} {r client kill id 1 type}
        assert_error {ERR syntax error} {r client kill a b c}
        assert_equal 0 [r client kill id 999999]
    }

    # ---- CLIENT REPLY ----

    test {CLIENT REPLY OFF: nothing until CLIENT REPLY ON, which replies +OK} {
        set c [redis_deferring_client]
        $c client reply off
        $c set rk 1
        $c incr rk
        $c client reply on
        $c get rk
        assert_equal OK [$c read]
        assert_equal 2 [$c read]
        $c close
    }

    test {CLIENT REPLY SKIP silences exactly the next command} {
        set c [redis_deferring_client]
        $c client reply skip
        $c echo skipped
        $c echo shown
        assert_equal shown [$c read]
        $c close
    }

    test {CLIENT REPLY SKIP while OFF keeps the replies off} {
        set c [redis_deferring_client]
        $c client reply off
        $c client reply skip
        $c echo a
        $c echo b
        $c client reply on
        $c echo c
        assert_equal OK [$c read]
        assert_equal c [$c read]
        $c close
    }

    test {CLIENT REPLY SKIP then ON: the ON is not silenced} {
        set c [redis_deferring_client]
        $c client reply skip
        $c client reply on
        $c echo after
        assert_equal OK [$c read]
        assert_equal after [$c read]
        $c close
    }

    test {CLIENT REPLY: errors are silenced too; a bad mode is a syntax error} {
        set c [redis_deferring_client]
        $c client reply off
        $c nosuchcommand
        $c client reply on
        $c client reply maybe
        assert_equal OK [$c read]
        assert_error {ERR syntax error} {$c read}
        $c close
    }

    # ---- CLIENT HELP ----

    test {CLIENT HELP: Redis's layout} {
        set help [r client help]
        assert_equal {CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:} [lindex $help 0]
        assert_equal {HELP} [lindex $help end-1]
        assert_equal {    Prints this help.} [lindex $help end]
        foreach sub {GETNAME ID INFO {KILL <ip:port>} {LIST [options ...]} {REPLY (ON|OFF|SKIP)}
                {SETNAME <name>} {NO-EVICT (ON|OFF)}} {
            assert {[lsearch -exact $help $sub] > 0} "CLIENT HELP lists $sub"
        }
    }

    # ---- CLIENT SETINFO (Redis 7.2) ----

    test {CLIENT SETINFO LIB-NAME / LIB-VER show in CLIENT INFO} {
        set c [redis_client]
        assert_equal OK [$c client setinfo lib-name shoal-tests]
        assert_equal OK [$c client setinfo LIB-VER 1.2.3]
        set d [client_line_dict [$c client info]]
        assert_equal shoal-tests [dict get $d lib-name]
        assert_equal 1.2.3 [dict get $d lib-ver]
        assert_equal {lib-name lib-ver} [lrange [dict keys $d] end-1 end]
        # RESET keeps them: they describe the library, not the session
        $c reset
        assert_equal shoal-tests [dict get [client_line_dict [$c client info]] lib-name]
        assert_equal OK [$c client setinfo lib-name ""]
        assert_equal {} [dict get [client_line_dict [$c client info]] lib-name]
        $c close
    } {shoal-only}

    test {CLIENT SETINFO errors} {
        assert_error {ERR Unrecognized option 'lib-foo'} {r client setinfo lib-foo x}
        assert_error {ERR LIB-NAME cannot contain spaces, newlines or special characters.} \
            {r client setinfo LIB-NAME "a b"}
        assert_error {ERR lib-ver cannot contain spaces, newlines or special characters.} \
            {r client setinfo lib-ver "1\n2"}
        assert_error {ERR wrong number of arguments for 'client|setinfo' command} \
            {r client setinfo lib-name}
    } {shoal-only}

    # ---- HELLO ----

    test {HELLO replies Redis's 7-entry map, in RESP2 and in RESP3} {
        set c [redis_client]
        set reply [$c hello 2]
        assert_equal {server version proto id mode role modules} [dict keys $reply]
        assert_equal redis [dict get $reply server]
        assert_equal 7.0.15 [dict get $reply version]
        assert_equal 2 [dict get $reply proto]
        assert_equal standalone [dict get $reply mode]
        assert_equal master [dict get $reply role]
        assert_equal {} [dict get $reply modules]
        $c readraw 1
        assert_equal {*14} [$c hello 2]
        $c close
        set c [redis_client]
        $c readraw 1
        assert_equal {%7} [$c hello 3]
        $c close
    }

    test {HELLO SETNAME, and the last of several SETNAMEs wins} {
        set c [redis_client]
        $c hello 3 setname first setname second
        assert_equal second [$c client getname]
        assert_error {ERR Syntax error in HELLO option 'setname'} {$c hello 3 setname}
        assert_error {ERR Client names cannot contain spaces*} {$c hello 2 setname "x y"}
        # the failed HELLO did not switch back to RESP2
        assert_equal 3 [dict get [$c hello] proto]
        $c close
    }

    test {HELLO errors leave the protocol as it was} {
        set c [redis_client]
        $c hello 3
        assert_error {NOPROTO unsupported protocol version} {$c hello 4}
        assert_error {NOPROTO unsupported protocol version} {$c hello 1}
        assert_error {NOPROTO unsupported protocol version} {$c hello -1}
        assert_error {ERR Protocol version is not an integer or out of range} {$c hello 03}
        assert_error {ERR Syntax error in HELLO option 'bogus'} {$c hello 2 bogus}
        $c readraw 1
        assert_equal {_} [$c client getname]
        $c close
    }

    # ---- RESET ----

    test {RESET: db 0, RESP2, no name, no MULTI, no WATCH, replies back on} {
        set c [redis_client]
        set id [$c client id]
        $c select 3
        $c hello 3
        $c client setname before-reset
        $c watch rk1
        $c multi
        $c set rk1 x
        assert_equal RESET [$c reset]
        assert_equal $id [$c client id]
        set d [client_line_dict [$c client info]]
        assert_equal 0 [dict get $d db]
        assert_equal 2 [dict get $d resp]
        assert_equal {} [dict get $d name]
        assert_equal N [dict get $d flags]
        assert_equal -1 [dict get $d multi]
        assert_error {ERR EXEC without MULTI} {$c exec}
        assert_equal 0 [r exists rk1]
        $c readraw 1
        assert_equal {$-1} [$c client getname]
        $c close
    }

    test {RESET clears CLIENT REPLY OFF: its own reply is sent} {
        set c [redis_deferring_client]
        $c client reply off
        $c ping
        $c reset
        $c ping
        assert_equal RESET [$c read]
        assert_equal PONG [$c read]
        $c close
    }

    test {RESET keeps CLIENT NO-EVICT (as Redis 7.0 does)} {
        set c [redis_client]
        $c client no-evict on
        $c reset
        assert_equal e [dict get [client_line_dict [$c client info]] flags]
        $c close
    }

    test {RESET has no arguments} {
        assert_error {ERR wrong number of arguments for 'reset' command} {r reset x}
    }

    # ---- QUIT ----

    test {QUIT replies +OK and closes, also with arguments} {
        set c [redis_client]
        $c readraw 1
        assert_equal {+OK} [$c quit]
        assert_closed $c
        $c close
        set c [redis_client]
        $c readraw 1
        assert_equal {+OK} [$c quit now please]
        assert_closed $c
        $c close
    }

    # ---- SHUTDOWN, without stopping the server ----

    test {SHUTDOWN ABORT with no shutdown in progress, and argument errors} {
        assert_error {ERR No shutdown in progress.} {r shutdown abort}
        assert_error {ERR syntax error} {r shutdown bogus}
        assert_error {ERR syntax error} {r shutdown save nosave}
        assert_error {ERR syntax error} {r shutdown nosave abort}
        assert_error {ERR syntax error} {r shutdown now abort}
        assert_error {ERR syntax error} {r shutdown force abort}
        assert_equal PONG [r ping]
    }

    test {SHUTDOWN is not allowed inside MULTI} {
        set c [redis_client]
        $c multi
        assert_error {ERR Command not allowed inside a transaction} {$c shutdown nosave}
        assert_error {EXECABORT*} {$c exec}
        assert_equal PONG [r ping]
        $c close
    }
}

start_server {tags {client} unixsocket 1} {
    test {A Unix socket client: flags=U, addr and laddr are the socket path with port 0} {
        set c [redis_unix_client]
        set d [client_line_dict [$c client info]]
        assert_equal U [dict get $d flags]
        assert_equal [srv unixsocket]:0 [dict get $d addr]
        assert_equal [srv unixsocket]:0 [dict get $d laddr]
        $c close
    }
}

start_server {tags {client shoal-only} args {--threads 4}} {
    many_clients_tests

    test {CLIENT SETNAME on one thread is seen by CLIENT LIST on the others} {
        set cs [lmap i {1 2 3 4 5 6 7 8} {redis_client}]
        for {set round 0} {$round < 20} {incr round} {
            foreach c $cs { $c client setname n$round }
            foreach c $cs {
                set names [lmap d [client_list_dicts [$c client list]] {dict get $d name}]
                assert_equal 8 [llength [lsearch -all $names n$round]]
            }
        }
        foreach c $cs { $c close }
    }
}

start_server {tags {client}} {
    test {SHUTDOWN NOSAVE: no reply, the connection closes and the server exits} {
        expect_server_exit
        set c [redis_client]
        set pid [srv pid]
        $c deferred 1
        $c shutdown nosave
        assert_closed $c 5000
        wait_for_condition 100 50 {![server_is_alive]} else {
            fail "the server is still running after SHUTDOWN"
        }
        $c close
    }
}

start_server {tags {client}} {
    test {SHUTDOWN from a client that is not the first: the server exits} {
        expect_server_exit
        set cs [lmap i {1 2 3 4} {redis_client}]
        foreach c $cs { $c ping }
        set c [lindex $cs end]
        $c deferred 1
        $c shutdown
        wait_for_condition 100 50 {![server_is_alive]} else {
            fail "the server is still running after SHUTDOWN"
        }
    }
}
