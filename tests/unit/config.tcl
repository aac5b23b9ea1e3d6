# tests/unit/config.tcl -- directives: the config file, the command line,
# CONFIG GET / SET / RESETSTAT / HELP. Error texts are checked against the
# reference Redis where shoal promises the same (needs-redis), the rest
# against the documented values (redis-compat.conf).

# A file under tests/tmp holding text; returns its path.
proc config_tmp_file {name text} {
    set path [file join $::th::tmproot "config-[pid]-$name"]
    set fd [open $path w]
    puts -nonewline $fd $text
    close $fd
    return $path
}

# assert_same_reply, where both servers failing the same way is a pass.
proc same_reply {args} {
    if {[catch {assert_same_reply {*}$args} err opts]
            && [lindex [dict get $opts -errorcode] 0] eq "SHOAL_ASSERT"} {
        return -options $opts $err
    }
}
lappend ::th::helper_procs ::same_reply

# The immutable directives shoal lists in CONFIG GET.
set ::immutable {unixsocket unixsocketperm tcp-backlog databases logfile pidfile
    daemonize threads io-threads cluster-enabled cluster-port cluster-name cluster-seeds
    cluster-probe-interval cluster-indirect-checks cluster-mode cgroup-root metrics-port
    metrics-bind}

start_server {} {
    test {CONFIG GET returns the documented defaults} {
        assert_dict_equal [list maxmemory 0 maxmemory-policy noeviction maxmemory-samples 5 \
            databases 16 hz 10 timeout 0 tcp-keepalive 300 tcp-backlog 511 \
            protected-mode yes maxclients 10000 proto-max-bulk-len 536870912 \
            client-query-buffer-limit 1073741824 loglevel notice requirepass "" \
            unixsocketperm 0 daemonize no bind 127.0.0.1 port [srv port]] \
            [r config get maxmemory maxmemory-policy maxmemory-samples databases hz \
                timeout tcp-keepalive tcp-backlog protected-mode maxclients \
                proto-max-bulk-len client-query-buffer-limit loglevel requirepass \
                unixsocketperm daemonize bind port]
    }

    test {CONFIG GET lists exactly shoal's directives} {
        set names [dict keys [r config get *]]
        assert_equal_unordered {save appendonly cluster-enabled cluster-port cluster-name
            cluster-seeds cluster-probe-interval cluster-indirect-checks cluster-announce-ip
            cluster-announce-port cluster-leave-timeout cluster-mode cluster-forward-timeout
            cluster-forward-buffer-limit cluster-secret masterauth bind port unixsocket unixsocketperm protected-mode
            tcp-backlog tcp-keepalive timeout requirepass maxclients proto-max-bulk-len
            client-query-buffer-limit maxmemory maxmemory-policy maxmemory-samples databases
            hz loglevel logfile pidfile daemonize threads io-threads cgroup-root shutdown-timeout
            metrics-port metrics-bind} $names
    } {shoal-only}

    test {CONFIG GET io-threads is an alias of threads} {
        set threads [dict get [r config get threads] threads]
        assert_morethan $threads 0
        assert_equal [list io-threads $threads] [r config get io-threads]
    } {shoal-only}

    test {CONFIG GET pattern is a case-insensitive glob} {
        assert_dict_equal {maxmemory 0 maxmemory-policy noeviction maxmemory-samples 5} \
            [r config get MAXMEM*]
        assert_dict_equal {timeout 0} [r config get T?MEOUT]
        assert_equal_unordered {port} [dict keys [r config get {[p]o?t}]]
        assert_equal_unordered {protected-mode cluster-mode} [dict keys [r config get *-mode]]
    } {shoal-only}

    test {CONFIG GET with an exact name echoes it as given} {
        assert_equal {MAXMEMORY 0} [r config get MAXMEMORY]
    }

    test {CONFIG GET with several patterns has no duplicates} {
        set all [r config get *]
        assert_equal [llength $all] [llength [r config get * * maxmemory]]
        assert_equal {maxmemory 0} [r config get maxmemory maxmemory MaxMemory]
        assert_equal {} [r config get no-such-directive]
        assert_equal [dict size [dict create {*}$all]] [expr {[llength $all] / 2}]
    }

    test {CONFIG GET replies a map in RESP3} {
        set c [redis_client]
        $c hello 3
        $c readraw 1
        assert_equal {%1} [$c config get maxmemory]
        assert_equal {$9} [$c read]
        assert_equal maxmemory [$c read]
        assert_equal {$1} [$c read]
        assert_equal 0 [$c read]
        $c readraw 0
        $c hello 2
        assert_equal {maxmemory 0} [$c config get maxmemory]
        $c close
    }

    test {CONFIG SET then GET, memory units as Redis} {
        foreach {value bytes} {1k 1000 1kb 1024 1m 1000000 1mb 1048576 1g 1000000000
                1gb 1073741824 2GB 2147483648 3Kb 3072 5b 5 0 0} {
            assert_equal OK [r config set maxmemory $value]
            assert_equal [list maxmemory $bytes] [r config get maxmemory] "maxmemory $value"
        }
    }

    test {CONFIG SET accepts every listed parameter's own value} {
        foreach {k v} [r config get *] {
            if {$k in $::immutable} {
                assert_error "*can't set immutable config*" {r config set $k $v}
            } else {
                assert_equal OK [r config set $k $v] "CONFIG SET $k '$v'"
                assert_equal [list $k $v] [r config get $k]
            }
        }
    } {shoal-only}

    test {CONFIG SET bind and port only to their current value} {
        assert_equal OK [r config set port [srv port]]
        assert_equal OK [r config set bind 127.0.0.1]
        assert_error "ERR CONFIG SET failed (possibly related to argument 'port') - can't set immutable config" \
            {r config set port [expr {[srv port] + 1}]}
        assert_error "ERR CONFIG SET failed (possibly related to argument 'bind') - can't set immutable config" \
            {r config set bind "127.0.0.1 ::1"}
    } {shoal-only}

    test {CONFIG SET several pairs is atomic} {
        r config set maxmemory 0 timeout 0
        assert_error "*argument 'hz'*" {r config set maxmemory 10mb timeout 30 hz abc}
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal {timeout 0} [r config get timeout]
        assert_equal OK [r config set maxmemory 10mb timeout 30 maxmemory-policy allkeys-lru]
        assert_dict_equal {maxmemory 10485760 timeout 30 maxmemory-policy allkeys-lru} \
            [r config get maxmemory timeout maxmemory-policy]
        r config set maxmemory 0 timeout 0 maxmemory-policy noeviction
    }

    test {CONFIG SET keeps hz within 1..500 and accepts names in any case} {
        r config set hz 1000
        assert_equal {hz 500} [r config get hz]
        r config set HZ 0
        assert_equal {hz 1} [r config get hz]
        r config set hz 10
        r config set Protected-Mode YES
        assert_equal {protected-mode yes} [r config get protected-mode]
        r config set loglevel WARNING
        assert_equal {loglevel warning} [r config get loglevel]
        r config set loglevel notice
    }

    test {CONFIG SET loglevel accepts nothing} {
        r config set loglevel nothing
        assert_equal {loglevel nothing} [r config get loglevel]
        r config set loglevel notice
        assert_error "*argument(s) must be one of the following: debug, verbose, notice, warning, nothing" \
            {r config set loglevel loud}
    } {shoal-only}

    test {CONFIG SET maxclients above INT_MAX saturates} {
        r config set maxclients 4294967295
        assert_equal {maxclients 2147483647} [r config get maxclients]
        r config set maxclients 10000
    } {shoal-only}

    test {CONFIG SET of a Redis directive shoal ignores} {
        assert_equal OK [r config set save "" appendonly no]
        # reported as the facts they are (no persistence), never stored
        assert_equal {save {}} [r config get save]
        assert_equal OK [r config set appendonly yes]
        assert_equal {appendonly no} [r config get appendonly]
        wait_for_log "*CONFIG SET save ignored*"
        wait_for_log "*CONFIG SET appendonly ignored*"
        assert_error "ERR CONFIG SET failed (possibly related to argument 'SAVE') - duplicate parameter" \
            {r config set save "" SAVE ""}
        assert_error "ERR Unknown option or number of arguments for CONFIG SET - 'rename-command'" \
            {r config set rename-command x}
    } {shoal-only}

    test {requirepass set and cleared at run time} {
        r config set requirepass secret
        # this connection was authenticated before: it stays so
        assert_equal PONG [r ping]
        set c [redis_client]
        assert_error "NOAUTH*" {$c ping}
        assert_error "WRONGPASS*" {$c auth wrong}
        assert_equal OK [$c auth secret]
        assert_equal PONG [$c ping]
        set c2 [redis_client]
        assert_error "NOAUTH*" {$c2 ping}
        r config set requirepass ""
        assert_equal PONG [$c2 ping]
        assert_equal {requirepass {}} [r config get requirepass]
        $c close
        $c2 close
    }

    test {CONFIG RESETSTAT zeroes command and error statistics} {
        # INFO in capitals: the client handle's own "info" method takes the
        # lower-case spelling
        r set config-test-key 1
        catch {r config-no-such-command}
        assert_match "*cmdstat_set:*" [r INFO commandstats]
        assert_match "*errorstat_ERR:*" [r INFO errorstats]
        assert_equal OK [r config resetstat]
        assert_no_match "*cmdstat_set:*" [r INFO commandstats]
        assert_no_match "*errorstat_ERR:*" [r INFO errorstats]
        assert_lessthan [dict get [info_dict [r INFO stats]] total_commands_processed] 5
        r del config-test-key
    }

    start_reference_server {} {
        test {CONFIG SET and CONFIG GET errors as Redis} {
            foreach cmd {
                {config set foo bar}
                {config set foo bar maxmemory abc}
                {config set maxmemory abc foo bar}
                {config set maxmemory abc}
                {config set maxmemory -1}
                {config set maxmemory 1.5gb}
                {config set proto-max-bulk-len 1000}
                {config set maxmemory 1 maxmemory 2}
                {config set maxmemory 1 MAXMEMORY 2}
                {config set daemonize no}
                {config set databases 16}
                {config set maxmemory 5 daemonize no}
                {config set daemonize no foo bar}
                {config set io-threads 1}
                {config set unixsocketperm 700}
                {config set tcp-backlog 511}
                {config set port abc}
                {config set port 99999}
                {config set hz -1}
                {config set hz 05}
                {config set timeout -1}
                {config set maxclients 0}
                {config set maxclients 4294967296}
                {config set maxmemory-samples 0}
                {config set protected-mode maybe}
                {config set maxmemory-policy lru}
                {config set maxmemory 1 maxmemory}
                {config set maxmemory}
                {config get}
                {config resetstat now}
                {config nosuch}
            } {
                same_reply {*}$cmd
            }
        }

        test {CONFIG HELP as Redis} {
            assert_same_reply config help
        }
    }
}

# ---- the config file and the command line ----

test {A bad directive stops start-up with Redis's message} {
    set res [run_server_expect_exit {overrides {bogus-directive 1}}]
    assert_equal 1 [dict get $res exitcode]
    set out [dict get $res output]
    assert_match "*\*\*\* FATAL CONFIG FILE ERROR (Redis 7.0.15) \*\*\**" $out
    assert_match "*Reading the configuration file, at line *" $out
    assert_match "*>>> 'bogus-directive 1'*" $out
    assert_match "*Bad directive or wrong number of arguments*" $out
}

test {A bad value stops start-up with Redis's message} {
    foreach {line reason} {
        {port abc} {argument couldn't be parsed into an integer}
        {port 65536} {argument must be between 0 and 65535 inclusive}
        {maxmemory 1x} {argument must be a memory value}
        {protected-mode maybe} {argument must be 'yes' or 'no'}
        {maxmemory-policy lru} {argument(s) must be one of the following: volatile-lru, *}
        {unixsocketperm 999} {argument couldn't be parsed as an octal number}
        {timeout 1 2} {wrong number of arguments}
        {bind "127.0.0.1} {Unbalanced quotes in configuration line}
        {bind "a"b} {Unbalanced quotes in configuration line}
    } {
        set conf [config_tmp_file bad.conf "$line\n"]
        set res [run_server_expect_exit [list config $conf]]
        file delete $conf
        assert_equal 1 [dict get $res exitcode] $line
        assert_match "*Reading the configuration file, at line 2*\n>>> '$line'\n$reason*" \
            [dict get $res output]
    }
}

test {A bad command line option stops start-up with Redis's message} {
    set res [run_server_expect_exit {args {--maxmemory abc}}]
    assert_equal 1 [dict get $res exitcode]
    assert_match "*>>> 'maxmemory \"abc\"'\nargument must be a memory value*" [dict get $res output]
}

test {A missing config file stops start-up} {
    set res [run_server_expect_exit [list overrides [list include /nonexistent/shoal.conf]]]
    assert_equal 1 [dict get $res exitcode]
    assert_match "*can't open config file '/nonexistent/shoal.conf'*" [dict get $res output]
}

test {A file error names the file and line} {
    set res [run_server_expect_exit {overrides {bogus-directive 1}}]
    assert_match "*Reading the configuration file, at line * ([dict get $res config_file])*" \
        [dict get $res output]
    set res [run_server_expect_exit {args {--hz 10 --bogus x}}]
    assert_match "*Reading the configuration file, at line 2 (command line)*" [dict get $res output]
} {shoal-only}

start_server {args {--maxmemory 5mb --hz 20 --maxmemory-policy allkeys-lfu}} {
    test {Command line options override the file} {
        assert_dict_equal {maxmemory 5242880 hz 20 maxmemory-policy allkeys-lfu} \
            [r config get maxmemory hz maxmemory-policy]
    }
}

set ::inc [config_tmp_file include.conf "maxmemory-samples 7\n# comment\n\ntimeout 12\n"]
start_server [list overrides [list include $::inc bind {'127.0.0.1' "-::\x31"}]] {
    test {include loads another file in place; quoted arguments} {
        assert_dict_equal {maxmemory-samples 7 timeout 12} [r config get maxmemory-samples timeout]
        assert_equal {bind {127.0.0.1 -::1}} [r config get bind]
    }
}
file delete $::inc

start_server {tags {shoal-only} config /etc/redis/redis.conf
        overrides {daemonize no logfile "" pidfile ""}} {
    test {Debian's redis.conf loads, ignored directives logged once each} {
        assert_equal PONG [r ping]
        assert_equal {databases 16} [r config get databases]
        assert_equal 1 [count_log_lines "*Ignoring 'appendonly'*not implemented by shoal*"]
        assert_equal 3 [count_log_lines "*Ignoring 'client-output-buffer-limit'*"]
        assert_equal {appendonly no} [r config get appendonly]
    }
}

start_server {tags {shoal-only} overrides {io-threads 3}} {
    test {io-threads in a file sets threads} {
        assert_equal {threads 3} [r config get threads]
    }
}
