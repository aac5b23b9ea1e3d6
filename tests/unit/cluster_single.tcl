# tests/unit/cluster_single.tcl -- the CLUSTER commands on one server.
# With cluster-enabled no, every subcommand is refused as Redis 7.0
# refuses it. As a single-node cluster (the node owns every slot): the
# reply shapes, field names and errors of CLUSTER INFO, NODES, SLOTS,
# SHARDS, MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT and HELP, and
# KEYSLOT / argument errors compared with a cluster-enabled reference
# Redis. shoal's own: CLUSTER MEMBERS and the INFO cluster fields.
# Every test passes against redis-server 7.0.15 (tclsh tests/test_helper.tcl
# --server /usr/bin/redis-server --single unit/cluster_single) except those
# tagged shoal-only; against Redis the node is given all slots with
# CLUSTER ADDSLOTSRANGE first (shoal assigns them itself).

# Overrides for a cluster-enabled server with a cluster port of its own.
proc cluster_overrides {} {
    return [list cluster-enabled yes cluster-port [th::find_free_port]]
}

# The cluster port a server was configured with.
proc cluster_port {{level 0}} {
    set fd [open [srv $level config_file] r]
    set text [read $fd]
    close $fd
    regexp {(?n)^cluster-port (\d+)$} $text -> port
    return $port
}

# Every slot served by this node and cluster_state:ok.
proc cluster_single_ready {} {
    if {![is_shoal]} { r cluster addslotsrange 0 16383 }
    wait_for_condition 100 50 {
        [string match "cluster_state:ok*" [r cluster info]]
    } else {
        fail "cluster_state did not become ok: [r cluster info]"
    }
}

# CLUSTER KEYSLOT of redis-server 7.0.15 for these keys.
set ::keyslots [list \
    "" 0  a 15495  foo 12182  bar 5061  123456789 12739 \
    "\{user1000\}.following" 3443  "\{user1000\}.followers" 3443  user1000 3443 \
    "\{\}" 15257  "\{\}x" 10595  "x\{\}" 2608  "\{\{a\}\}" 10276  "\{a" 10276 \
    "a\{b" 13340  "a\}b\{" 6027  "\}\{" 12793  "\{\}\{a\}" 13650  "foo\{\}\{bar\}" 8363 \
    "foo\{\{bar\}\}zap" 4015  "foo\{bar\}\{zap\}" 5061  "\{bar" 4015  "bar\}" 6624 \
    "a\{b\}c" 3300  "\{b\}" 3300  "\{" 4092  "\}" 12090  "\{\{\}\}" 4092  "\{ \}" 9314 \
    key:1 6657  key:100000 244  "hello world" 15332  "\{abc\}def" 7638  "\{a\}\{b\}" 15495]

set ::disabled "ERR This instance has cluster support disabled"

start_server {tags {cluster}} {
    test {CLUSTER with cluster-enabled no: every subcommand refused, KEYSLOT and HELP too} {
        foreach args {info nodes slots shards myid {keyslot foo} {countkeysinslot 1}
                      {countkeysinslot x} {getkeysinslot 1 1} {getkeysinslot x y} help} {
            assert_equal $::disabled [assert_error * {r cluster {*}$args}] "CLUSTER $args"
        }
    }

    test {CLUSTER MEMBERS with cluster-enabled no is refused the same way} {
        assert_equal $::disabled [assert_error * {r cluster members}]
    } {shoal-only}

    test {CLUSTER: arity and unknown subcommands are checked before the cluster is} {
        assert_error "ERR wrong number of arguments for 'cluster' command" {r cluster}
        assert_error "ERR wrong number of arguments for 'cluster|keyslot' command" \
            {r cluster keyslot}
        assert_error "ERR wrong number of arguments for 'cluster|getkeysinslot' command" \
            {r cluster getkeysinslot 1}
        assert_error "ERR wrong number of arguments for 'cluster|info' command" {r cluster info x}
        assert_error "ERR unknown subcommand 'foo'. Try CLUSTER HELP." {r cluster foo}
    }

    test {INFO cluster with cluster-enabled no is exactly cluster_enabled:0} {
        assert_equal "# Cluster\r\ncluster_enabled:0\r\n" [r info cluster]
    }
}

start_server [list tags {cluster} overrides [cluster_overrides]] {
    cluster_single_ready

    test {CLUSTER KEYSLOT: CRC16 of the key or of its hash tag, as Redis} {
        foreach {key slot} $::keyslots {
            assert_equal $slot [r cluster keyslot $key] "CLUSTER KEYSLOT \"$key\""
        }
        assert_equal 0 [r cluster keyslot "\x00"]
        assert_equal 0 [r cluster keyslot "{\x00}x"]
        assert_equal 5960 [r cluster keyslot [string repeat a 100]]
    }

    test {CLUSTER INFO: Redis's fields in Redis's order, one node with every slot} {
        set d [info_dict [r cluster info]]
        assert_equal [list cluster_state cluster_slots_assigned cluster_slots_ok \
            cluster_slots_pfail cluster_slots_fail cluster_known_nodes cluster_size \
            cluster_current_epoch cluster_my_epoch cluster_stats_messages_sent \
            cluster_stats_messages_received total_cluster_links_buffer_limit_exceeded] \
            [dict keys $d]
        assert_equal ok [dict get $d cluster_state]
        assert_equal 16384 [dict get $d cluster_slots_assigned]
        assert_equal 16384 [dict get $d cluster_slots_ok]
        assert_equal 0 [dict get $d cluster_slots_pfail]
        assert_equal 0 [dict get $d cluster_slots_fail]
        assert_equal 1 [dict get $d cluster_known_nodes]
        assert_equal 1 [dict get $d cluster_size]
        assert_match "*\r\n" [r cluster info]
    }

    test {CLUSTER INFO and NODES are bulk strings in RESP2, verbatim text in RESP3} {
        set c [redis_client]
        $c readraw 1
        assert_match {$*} [$c cluster info]
        $c close
        foreach sub {info nodes} {
            set c [redis_client]
            $c hello 3
            $c readraw 1
            assert_match {=*} [$c cluster $sub]
            assert_match {txt:*} [$c read]
            $c close
        }
    }

    test {CLUSTER MYID: 40 hex characters, the same every time} {
        set id [r cluster myid]
        assert_match [string repeat {[0-9a-f]} 40] $id
        assert_equal $id [r cluster myid]
    }

    test {CLUSTER NODES: one line, myself, a master serving 0-16383} {
        set id [r cluster myid]
        set port [srv port]
        set cport [cluster_port]
        set text [r cluster nodes]
        assert_match "*\n" $text
        set lines [split [string trimright $text "\n"] "\n"]
        assert_equal 1 [llength $lines]
        set f [split [lindex $lines 0] " "]
        assert_equal 9 [llength $f] "id addr flags master ping pong epoch link slots"
        assert_equal $id [lindex $f 0]
        assert_match "*:$port@$cport" [lindex $f 1]
        assert_equal myself,master [lindex $f 2]
        assert_equal - [lindex $f 3]
        assert_equal 0 [lindex $f 4]
        assert {[string is wideinteger -strict [lindex $f 5]]}
        assert {[string is wideinteger -strict [lindex $f 6]]}
        assert_equal connected [lindex $f 7]
        assert_equal 0-16383 [lindex $f 8]
    }

    test {CLUSTER SLOTS: one range, the node as ip, port, id and an empty metadata map} {
        set slots [r cluster slots]
        assert_equal 1 [llength $slots]
        lassign [lindex $slots 0] start end node
        assert_equal {0 16383} [list $start $end]
        assert_equal 3 [llength [lindex $slots 0]] "no replicas"
        lassign $node ip port id meta
        assert_equal 4 [llength $node]
        assert_equal [srv port] $port
        assert_equal [r cluster myid] $id
        assert_equal {} $meta
        set c [redis_client]
        $c hello 3
        $c readraw 1
        set raw [list [$c cluster slots]]
        for {set i 0} {$i < 10} {incr i} { lappend raw [$c read] }
        assert_equal {*1 *3 :0 :16383 *4} [lrange $raw 0 4]
        assert_equal :[srv port] [lindex $raw 7]
        assert_equal %0 [lindex $raw 10] "the metadata is a map"
        $c close
    }

    test {CLUSTER SHARDS: one shard with every slot and its node's fields} {
        set shards [r cluster shards]
        assert_equal 1 [llength $shards]
        set shard [lindex $shards 0]
        assert_equal {slots nodes} [dict keys $shard]
        assert_equal {0 16383} [dict get $shard slots]
        set nodes [dict get $shard nodes]
        assert_equal 1 [llength $nodes]
        set n [lindex $nodes 0]
        assert_equal {id port ip endpoint role replication-offset health} [dict keys $n]
        assert_equal [r cluster myid] [dict get $n id]
        assert_equal [srv port] [dict get $n port]
        assert_equal [dict get $n ip] [dict get $n endpoint]
        assert_equal master [dict get $n role]
        assert_equal 0 [dict get $n replication-offset]
        assert_equal online [dict get $n health]
    }

    test {CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT see the keys of the slot} {
        r flushall
        for {set i 0} {$i < 20} {incr i} { r set "{user1000}.k$i" v }
        r set foo bar
        assert_equal 20 [r cluster countkeysinslot 3443]
        assert_equal 1 [r cluster countkeysinslot 12182]
        assert_equal 0 [r cluster countkeysinslot 0]
        assert_equal 0 [r cluster countkeysinslot 16383]
        set five [r cluster getkeysinslot 3443 5]
        assert_equal 5 [llength $five]
        foreach k $five { assert_match "{user1000}.k*" $k }
        set all {}
        for {set i 0} {$i < 20} {incr i} { lappend all "{user1000}.k$i" }
        assert_equal [lsort $all] [lsort [r cluster getkeysinslot 3443 100]]
        assert_equal [lsort $all] [lsort [r cluster getkeysinslot 3443 9223372036854775807]]
        assert_equal {} [r cluster getkeysinslot 3443 0]
        assert_equal foo [r cluster getkeysinslot 12182 1]
        assert_equal {} [r cluster getkeysinslot 0 10]
        r del foo
        assert_equal 0 [r cluster countkeysinslot 12182]
        r flushall
    }

    test {CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT skip expired keys, and look at the current db} {
        r flushall
        r set "{user1000}.gone" v px 1
        r set "{user1000}.here" v
        after 20
        assert_equal 1 [r cluster countkeysinslot 3443]
        assert_equal [list "{user1000}.here"] [r cluster getkeysinslot 3443 10]
        r select 1
        assert_equal 0 [r cluster countkeysinslot 3443]
        r select 0
        r flushall
    } {shoal-only}

    test {CLUSTER COUNTKEYSINSLOT and GETKEYSINSLOT argument errors as Redis} {
        set notint "ERR value is not an integer or out of range"
        assert_error $notint {r cluster countkeysinslot x}
        assert_error $notint {r cluster countkeysinslot 01}
        assert_error $notint {r cluster countkeysinslot ""}
        assert_error "ERR Invalid slot" {r cluster countkeysinslot -1}
        assert_error "ERR Invalid slot" {r cluster countkeysinslot 16384}
        assert_error $notint {r cluster getkeysinslot x 1}
        assert_error $notint {r cluster getkeysinslot 1 x}
        assert_error $notint {r cluster getkeysinslot -1 x}
        assert_error "ERR Invalid slot or number of keys" {r cluster getkeysinslot 1 -1}
        assert_error "ERR Invalid slot or number of keys" {r cluster getkeysinslot 16384 1}
        assert_error "ERR Invalid slot or number of keys" {r cluster getkeysinslot -1 1}
        assert_error "ERR wrong number of arguments for 'cluster|countkeysinslot' command" \
            {r cluster countkeysinslot}
        assert_error "ERR wrong number of arguments for 'cluster|myid' command" {r cluster myid x}
        assert_error "ERR unknown subcommand 'nosuch'. Try CLUSTER HELP." {r cluster nosuch}
    }

    test {CLUSTER HELP: status lines, Redis's header and footer} {
        set help [r cluster help]
        assert_equal "CLUSTER <subcommand> \[<arg> \[value\] \[opt\] ...\]. Subcommands are:" \
            [lindex $help 0]
        assert_equal {HELP {    Prints this help.}} [lrange $help end-1 end]
        foreach sub {COUNTKEYSINSLOT GETKEYSINSLOT INFO KEYSLOT MYID NODES SLOTS SHARDS} {
            assert {[lsearch -glob $help "$sub*"] >= 0} "$sub in CLUSTER HELP"
        }
        set c [redis_client]
        $c readraw 1
        assert_match {\**} [$c cluster help]
        assert_equal "+CLUSTER <subcommand> \[<arg> \[value\] \[opt\] ...\]. Subcommands are:" \
            [$c read]
        $c close
    }

    test {INFO cluster says cluster_enabled:1} {
        set lines [split [r info cluster] "\n"]
        assert_equal "# Cluster\r" [lindex $lines 0]
        assert_equal "cluster_enabled:1\r" [lindex $lines 1]
    }

    test {INFO cluster: members by state, the slot map version, SWIM counters} {
        set d [info_dict [r info cluster]]
        assert_equal 1 [dict get $d cluster_members]
        assert_equal 1 [dict get $d cluster_members_alive]
        assert_equal 0 [dict get $d cluster_members_suspect]
        assert_equal 0 [dict get $d cluster_members_dead]
        assert_equal 0 [dict get $d cluster_members_left]
        assert_match [string repeat {[0-9a-f]} 16] [dict get $d cluster_slotmap_version]
        assert_equal 1 [dict get $d cluster_slotmap_owners]
        foreach f {packets_in packets_out bytes_in bytes_out dropped probes indirect_probes
                   suspicions refutations deaths pushpulls awareness} {
            assert {[string is wideinteger -strict [dict get $d cluster_swim_$f]]} $f
        }
    } {shoal-only}

    test {CLUSTER MEMBERS: this node, alive, as a map of its fields} {
        set members [r cluster members]
        assert_equal 1 [llength $members]
        set m [lindex $members 0]
        assert_equal {id ip port cluster-port state incarnation rtt-us state-seconds myself} \
            [dict keys $m]
        assert_equal [r cluster myid] [dict get $m id]
        assert_equal [srv port] [dict get $m port]
        assert_equal [cluster_port] [dict get $m cluster-port]
        assert_equal alive [dict get $m state]
        assert_equal 1 [dict get $m myself]
        assert_equal -1 [dict get $m rtt-us] "no probe of ourselves"
        assert_morethan_equal [dict get $m incarnation] 0
        assert_morethan_equal [dict get $m state-seconds] 0
        set c [redis_client]
        $c hello 3
        $c readraw 1
        assert_equal {*1} [$c cluster members]
        assert_equal {%9} [$c read]
        $c close
    } {shoal-only}

    test {COMMAND INFO and DOCS know CLUSTER MEMBERS} {
        set info [lindex [r command info cluster|members] 0]
        assert_equal {cluster|members 2 stale 0 0 0 @slow nondeterministic_output {} {}} $info
        set docs [r command docs cluster|members]
        assert_equal cluster [dict get [lindex $docs 1] group]
        assert_equal 11 [llength [lindex [r command info cluster] 0 9]] \
            "the CLUSTER container lists its subcommands"
    } {shoal-only}

    start_reference_server [list overrides [cluster_overrides]] {
        test {CLUSTER KEYSLOT of random keys is the same as Redis} {
            for {set i 0} {$i < 300} {incr i} {
                set k [randstring 0 12 binary]
                if {$i % 3 == 0} {
                    set k "[randstring 0 3 alpha]{[randstring 0 3 alpha]}[randstring 0 3]"
                }
                if {$i % 5 == 0} { set k "\{$k" }
                assert_same_reply cluster keyslot $k
            }
        }

        test {CLUSTER argument errors are the same as Redis} {
            foreach args {{countkeysinslot x} {countkeysinslot -1} {countkeysinslot 16384}
                          {countkeysinslot 18446744073709551616} {getkeysinslot 1 -1}
                          {getkeysinslot 16384 0} {getkeysinslot x -1} {getkeysinslot 1 x}
                          {keyslot} {keyslot a b} {nosuch} {info x} {shards x} {slots x}} {
                assert_error * {assert_same_reply cluster {*}$args}
            }
        }

        test {CLUSTER HELP lines are Redis's (but for MEMBERS)} {
            set ours [r cluster help]
            set theirs [ref cluster help]
            set skip 0
            foreach line $ours {
                if {[string match "MEMBERS*" $line]} { set skip 1; continue }
                if {$skip && [string match "    *" $line]} continue
                set skip 0
                assert {[lsearch -exact $theirs $line] >= 0} "\"$line\" is not in Redis's help"
            }
        }
    }
}
