# tests/unit/command.tcl -- COMMAND and its subcommands (cmd_command.c) and
# the command table behind them (command_table.c): our own expectations
# first, then differential checks against Debian's redis-server 7.0.15,
# decoded and as raw RESP2/RESP3 bytes.

# Every command and subcommand shoal implements (src/commands.h).
set ::command_names {
    get set setnx setex psetex getset getdel getex mget mset msetnx append
    strlen getrange setrange incr decr incrby decrby incrbyfloat
    del unlink exists touch type expire pexpire expireat pexpireat ttl pttl
    expiretime pexpiretime persist rename renamenx keys scan randomkey dbsize
    flushdb flushall select swapdb move
    object object|idletime object|freq object|encoding object|refcount object|help
    memory memory|usage memory|help
    multi exec discard watch unwatch
    ping echo quit reset hello auth time shutdown
    client client|id client|setname client|getname client|setinfo client|info
    client|list client|kill client|reply client|no-evict client|help
    info
    config config|get config|set config|resetstat config|help
    command command|count command|info command|docs command|list
    command|getkeys command|help
    cluster cluster|info cluster|nodes cluster|slots cluster|shards cluster|members
    cluster|myid cluster|keyslot cluster|countkeysinslot cluster|getkeysinslot cluster|help
    cluster|peerlink readonly readwrite asking
}
# Newer than Redis 7.0.15 (CLIENT SETINFO is 7.2's): the reference lacks it.
set ::not_in_reference {client|setinfo cluster|members cluster|peerlink}
set ::containers {client cluster command config memory object}

# Our command names that the reference knows too.
proc comparable_names {} {
    lmap n $::command_names { expr {$n in $::not_in_reference ? [continue] : $n} }
}

# The next reply on client c, raw: its lines without CRLF, in order.
proc raw_reply {c} {
    set line [$c read]
    set out [list $line]
    set n [string range $line 1 end]
    switch -- [string index $line 0] {
        * - ~ - > {
            for {set i 0} {$i < $n} {incr i} { lappend out {*}[raw_reply $c] }
        }
        % {
            for {set i 0} {$i < 2 * $n} {incr i} { lappend out {*}[raw_reply $c] }
        }
        $ {
            if {$n >= 0} { lappend out [$c read] }
        }
    }
    return $out
}

# Sends a command on client c and returns its reply, raw.
proc raw_command {c args} {
    $c readraw 1
    $c write [resp::encode $args]
    $c flush
    try {
        return [raw_reply $c]
    } finally {
        $c readraw 0
    }
}

# A container's COMMAND INFO entry on each side: the same apart from the
# subcommands, and each of our subcommands as the reference describes it.
proc assert_same_container_info {name} {
    set ours [lindex [r command info $name] 0]
    set theirs [lindex [ref command info $name] 0]
    assert_equal [lrange $theirs 0 8] [lrange $ours 0 8] "command info $name"
    set ref_subs [dict create]
    foreach sub [lindex $theirs 9] { dict set ref_subs [lindex $sub 0] $sub }
    foreach sub [lindex $ours 9] {
        set sname [lindex $sub 0]
        if {$sname in $::not_in_reference} continue
        assert {[dict exists $ref_subs $sname]} "$sname unknown to the reference"
        assert_equal [dict get $ref_subs $sname] $sub "command info $name: $sname"
    }
}

# The same for COMMAND DOCS.
proc assert_same_container_docs {name} {
    set ours [dict get [r command docs $name] $name]
    set theirs [dict get [ref command docs $name] $name]
    assert_equal [dict remove $theirs subcommands] [dict remove $ours subcommands] \
        "command docs $name"
    set ref_subs [dict get $theirs subcommands]
    dict for {sname docs} [dict get $ours subcommands] {
        if {$sname in $::not_in_reference} continue
        assert_equal [dict get $ref_subs $sname] $docs "command docs $name: $sname"
    }
}

start_server {tags {command}} {
    tags {shoal-only} {
        test {COMMAND LIST is exactly the commands and subcommands in commands.h} {
            assert_equal_unordered $::command_names [r command list]
        }

        test {COMMAND COUNT and COMMAND cover the top-level commands} {
            set top [lmap n $::command_names {
                expr {[string first | $n] >= 0 ? [continue] : $n}
            }]
            assert_equal [llength $top] [r command count]
            assert_equal_unordered $top [lmap e [r command] {lindex $e 0}]
            assert_equal_unordered $top [lmap e [r command info] {lindex $e 0}]
            assert_equal_unordered $top [dict keys [r command docs]]
        }

        test {Subcommands are listed under their container as container|name} {
            foreach cont $::containers {
                set subs [lmap e [lindex [r command info $cont] 0 9] {lindex $e 0}]
                set expected [lsearch -all -inline -glob $::command_names "$cont|*"]
                assert_equal_unordered $expected $subs $cont
            }
        }

        test {Internal flags are never shown} {
            # exec and mget carry CMD_X_EXCLUSIVE / CMD_X_MULTIKEY_EXCLUSIVE.
            assert_equal {noscript loading stale skip_slowlog} [lindex [r command info exec] 0 2]
            assert_equal {readonly fast} [lindex [r command info mget] 0 2]
            assert_equal {admin noscript loading stale} [lindex [r command info config|set] 0 2]
        }

        test {CLIENT SETINFO is described as in Redis 7.2} {
            assert_equal {client|setinfo 4 {noscript loading stale} 0 0 0 {@slow @connection} {} {} {}} \
                [lindex [r command info client|setinfo] 0]
            set docs [dict get [r command docs client|setinfo] client|setinfo]
            assert_equal 7.2.0 [dict get $docs since]
            assert_equal {lib-name lib-ver} \
                [lmap a [dict get [lindex [dict get $docs arguments] 0] arguments] {dict get $a token}]
        }
    }

    test {COMMAND INFO: names in any case, container|sub, nil for unknown} {
        set reply [r command info GET nosuch CONFIG|GET config|nosuch get|x config|get|x ""]
        assert_equal 7 [llength $reply]
        assert_equal get [lindex $reply 0 0]
        assert_equal config|get [lindex $reply 2 0]
        foreach i {1 3 4 5 6} { assert_equal {} [lindex $reply $i] "entry $i" }
    }

    test {COMMAND DOCS leaves unknown names out} {
        assert_equal {} [r command docs nosuch]
        assert_equal {get config|get} [dict keys [r command docs get nosuch Config|Get]]
    }

    test {COMMAND GETKEYS} {
        assert_equal {a} [r command getkeys get a]
        assert_equal {a b} [r command getkeys mset a 1 b 2]
        assert_equal {a b} [r command getkeys rename a b]
        assert_equal {k} [r command getkeys object encoding k]
        assert_equal {k} [r command getkeys memory usage k samples 5]
        assert_equal {k} [r command getkeys set k v get]
        assert_error {ERR Invalid command specified} {r command getkeys nosuch a}
        assert_error {ERR Invalid command specified} {r command getkeys object nosuch k}
        assert_error {ERR The command has no key arguments} {r command getkeys ping a}
        assert_error {ERR The command has no key arguments} {r command getkeys time x}
        assert_error {ERR Invalid number of arguments specified for command} {r command getkeys get a b}
        assert_error {ERR wrong number of arguments for 'command|getkeys' command} {r command getkeys get}
    }

    test {COMMAND LIST FILTERBY} {
        set configs [r command list filterby pattern CONFIG|*]
        assert {"config|get" in $configs && "config" ni $configs}
        assert_equal {} [r command list filterby aclcat nosuch]
        assert_equal {} [r command list filterby module foo]
        assert {"exec" in [r command list filterby aclcat TRANSACTION]}
        assert_error {ERR syntax error} {r command list filterby}
        assert_error {ERR syntax error} {r command list filterby pattern}
        assert_error {ERR syntax error} {r command list filterby bogus x}
        assert_error {ERR syntax error} {r command list filterby pattern x extra}
    }

    test {COMMAND HELP} {
        set help [r command help]
        assert_equal {COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:} [lindex $help 0]
        assert_equal 21 [llength $help]
    }

    start_reference_server {} {
        test {COMMAND INFO and DOCS match Redis for every command} {
            foreach n [comparable_names] {
                if {$n in $::containers} {
                    assert_same_container_info $n
                    assert_same_container_docs $n
                } else {
                    assert_same_reply command info $n
                    assert_same_reply command docs $n
                }
            }
        }

        test {COMMAND GETKEYS matches Redis for every command} {
            foreach n [comparable_names] {
                set words [split $n |]
                for {set extra 0} {$extra < 5} {incr extra} {
                    set args $words
                    for {set i 0} {$i < $extra} {incr i} { lappend args k$i }
                    set c1 [catch {r command getkeys {*}$args} v1]
                    set c2 [catch {ref command getkeys {*}$args} v2]
                    assert_equal [list $c2 $v2] [list $c1 $v1] "command getkeys $args"
                }
            }
        }

        test {COMMAND LIST FILTERBY matches Redis on our commands} {
            set ours [comparable_names]
            set filters {}
            foreach cat {keyspace read write string admin fast slow dangerous connection
                         transaction Slow nosuch} {
                lappend filters [list aclcat $cat]
            }
            foreach pat {* get* GET* *|* config|* c*|g?t [a-c]* [^a-c]* *e[xt]* \\g* [ ?
                         client|[s-z]*} {
                lappend filters [list pattern $pat]
            }
            foreach f $filters {
                set theirs [lmap n [ref command list filterby {*}$f] {
                    expr {$n in $ours ? $n : [continue]}
                }]
                set mine [lmap n [r command list filterby {*}$f] {
                    expr {$n in $ours ? $n : [continue]}
                }]
                assert_equal [lsort $theirs] [lsort $mine] "filterby $f"
            }
        }

        test {Raw replies match Redis byte for byte in RESP2 and RESP3} {
            set cases {
                {command info get set mset nosuch config|get}
                {command info nosuch}
                {command docs get set getset client|kill client|list nosuch}
                {command docs nosuch}
                {command getkeys mset a 1 b 2}
                {command getkeys nosuch a}
                {command getkeys get a b}
                {command list filterby bogus x}
                {command list filterby module x}
                {command help}
            }
            foreach n [comparable_names] {
                if {$n in $::containers} continue
                lappend cases [list command info $n] [list command docs $n]
            }
            foreach proto {2 3} {
                set c [redis_client]
                set rc [ref_client]
                if {$proto == 3} {
                    $c hello 3
                    $rc hello 3
                }
                foreach cmd $cases {
                    assert_equal [raw_command $rc {*}$cmd] [raw_command $c {*}$cmd] "RESP$proto: $cmd"
                }
                $c close
                $rc close
            }
        }
    }
}
