# tests/unit/config_env.tcl -- directives from the environment: every
# directive can be given as SHOAL_<NAME> (upper case, "-" as "_"); the
# command line wins over the environment, which wins over the file. A
# single-value directive takes the variable's value as it is, a multi-value
# one (bind) the value split as a config-file line. INFO's *_source fields
# say where a value came from. (start_server's env option sets variables
# for the server only.)

tags {config shoal-only} {

# ---- precedence ----

start_server {overrides {maxmemory 1mb maxmemory-samples 7 hz 15}
              env {SHOAL_MAXMEMORY 2mb SHOAL_HZ 20}} {
    test {An environment variable overrides the config file} {
        assert_equal {maxmemory 2097152} [r config get maxmemory]
        assert_equal {hz 20} [r config get hz]
        assert_equal env [s maxmemory_source]
    }

    test {A directive the environment does not name keeps the file's value} {
        assert_equal {maxmemory-samples 7} [r config get maxmemory-samples]
    }

    test {CONFIG SET still changes a value from the environment} {
        assert_equal OK [r config set maxmemory 3mb]
        assert_equal {maxmemory 3145728} [r config get maxmemory]
        assert_equal config-set [s maxmemory_source]
    }
}

start_server {overrides {maxmemory 1mb} env {SHOAL_MAXMEMORY 2mb} args {--maxmemory 3mb}} {
    test {The command line overrides the environment} {
        assert_equal {maxmemory 3145728} [r config get maxmemory]
        assert_equal command-line [s maxmemory_source]
    }
}

start_server {overrides {maxmemory 1mb}} {
    test {INFO maxmemory_source names the file, or default} {
        assert_equal file [s maxmemory_source]
        assert_equal default [s maxmemory_policy_source]
    }
}

# bind: the generated config has "bind 127.0.0.1"
start_server {env {SHOAL_BIND {127.0.0.1 -::1}}} {
    test {A multi-value directive from the environment: bind} {
        assert_equal {bind {127.0.0.1 -::1}} [r config get bind]
    }
}

start_server {env {SHOAL_BIND {"127.0.0.1"   '-::1'}}} {
    test {A multi-value variable is split as a config line (quotes, spaces)} {
        assert_equal {bind {127.0.0.1 -::1}} [r config get bind]
    }
}

start_server {env {SHOAL_BIND {127.0.0.1 -::1}} args {--bind 127.0.0.1}} {
    test {The command line overrides a multi-value variable} {
        assert_equal {bind 127.0.0.1} [r config get bind]
    }
}

# ---- values ----

start_server {env {SHOAL_REQUIREPASS {two words "and" 'quotes' \n}}} {
    test {A single-value variable is taken as it is: spaces, quotes, backslashes} {
        reconnect
        assert_error {NOAUTH*} {r get k}
        assert_equal OK [r auth {two words "and" 'quotes' \n}]
        assert_equal {} [r get k]
    }
}

start_server {overrides {requirepass secret} env {SHOAL_REQUIREPASS ""}} {
    test {An empty variable is an empty value (here: no password)} {
        assert_equal PONG [r ping]
        assert_equal {requirepass {}} [r config get requirepass]
    }
}

start_server {env {SHOAL_CLUSTER_SEEDS host-a:16379,host-b:16379 SHOAL_CLUSTER_LEAVE_TIMEOUT 1500
                   SHOAL_DATABASES 4}} {
    test {Names with dashes, and directives CONFIG SET cannot change} {
        assert_equal {cluster-seeds host-a:16379,host-b:16379} [r config get cluster-seeds]
        assert_equal {cluster-leave-timeout 1500} [r config get cluster-leave-timeout]
        assert_equal {databases 4} [r config get databases]
        assert_error {*DB index is out of range*} {r select 4}
    }
}

start_server {env {SHOAL_IO_THREADS 3}} {
    test {An alias's variable: SHOAL_IO_THREADS} {
        assert_equal {threads 3} [r config get threads]
        assert_equal env [s threads_source]
    }
}

start_server {env {SHOAL_IO_THREADS 3 SHOAL_THREADS 2}} {
    test {The directive's own variable wins over its alias's} {
        assert_equal {threads 2} [r config get threads]
    }
}

# ---- variables that are not directives ----

start_server {env {SHOAL_NO_SUCH_DIRECTIVE 1 SHOAL_APPENDONLY no SHOAL_maxmemory 5mb}} {
    test {Unknown SHOAL_ variables are ignored with a warning} {
        assert_equal 1 [count_log_lines "*Ignoring environment variable SHOAL_NO_SUCH_DIRECTIVE: no directive 'no-such-directive'*"]
        assert_equal 1 [count_log_lines "*Ignoring 'appendonly' (environment variable SHOAL_APPENDONLY): directive not implemented by shoal*"]
        assert_equal 1 [count_log_lines "*Ignoring environment variable SHOAL_maxmemory: did you mean SHOAL_MAXMEMORY?*"]
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal default [s maxmemory_source]
    }
}

# ---- errors ----

proc env_error {vars} {
    return [run_server_expect_exit [list env $vars]]
}

test {A bad value in the environment stops start-up, naming the variable} {
    set r [env_error {SHOAL_MAXMEMORY lots}]
    assert_equal 1 [dict get $r exitcode]
    set expected "\n*** FATAL CONFIG FILE ERROR (Redis 7.0.15) ***\nReading the environment, variable SHOAL_MAXMEMORY\n>>> 'SHOAL_MAXMEMORY=lots'\nargument must be a memory value"
    assert_match "*$expected*" [dict get $r output]
}

test {Environment errors carry the file and command line's reasons} {
    foreach {var value reason} {
        SHOAL_PORT abc {argument couldn't be parsed into an integer}
        SHOAL_PORT 70000 {argument must be between 0 and 65535 inclusive}
        SHOAL_PROTECTED_MODE maybe {argument must be 'yes' or 'no'}
        SHOAL_MAXMEMORY_POLICY lru {argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction}
        SHOAL_BIND {127.0.0.1 "-::1} {Unbalanced quotes in configuration line}
        SHOAL_SHUTDOWN_TIMEOUT -1 {argument must be between 0 and 2147483647 inclusive}
    } {
        set r [env_error [list $var $value]]
        assert_equal 1 [dict get $r exitcode] "$var=$value"
        set out [dict get $r output]
        assert_match "*Reading the environment, variable $var\n>>> '$var=$value'\n*" $out
        assert_equal 1 [string match "*\n[string map {* \\* ? \\? [ \\[ ] \\]} $reason]\n*" $out] \
            "$var=$value: $out"
    }
}

test {A bad variable is an error even when the command line sets the directive} {
    set r [run_server_expect_exit {env {SHOAL_PORT abc} args {--port 7000}}]
    assert_equal 1 [dict get $r exitcode]
    assert_match "*variable SHOAL_PORT*" [dict get $r output]
}

}
