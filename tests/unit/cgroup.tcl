# tests/unit/cgroup.tcl -- defaults from the cgroup limits, on fake cgroup
# v2 and v1 trees (cgroup-root, or SHOAL_CGROUP_ROOT): with a memory limit
# and no maxmemory set, maxmemory is 75% of the limit and the policy
# allkeys-lru; the threads default follows the CPU quota; INFO says where
# each value came from. The harness gives every server cgroup-root "" so
# the runner's own limits never change the other tests' defaults.
#
# Layout read by shoal (src/cgroup.h): v2 when ROOT/cgroup.controllers
# exists, files ROOT/PATH/memory.max and cpu.max; else v1, files
# ROOT/memory/PATH/memory.limit_in_bytes and ROOT/cpu/PATH/cpu.cfs_quota_us,
# cpu.cfs_period_us; PATH from /proc/self/cgroup (the test's own, which the
# server inherits), every parent up to ROOT read too, the smallest limit
# wins. A file at the top of the tree therefore applies whatever PATH is.

set ::cg_roots {}

# A fake tree under tests/tmp: files is a dict of path (relative to the
# root) -> content. Returns the root.
proc fake_cgroup {files} {
    set root [file join $::th::tmproot "cgroup.[pid].[llength $::cg_roots]"]
    lappend ::cg_roots $root
    file delete -force $root
    file mkdir $root
    dict for {rel content} $files {
        set path [file join $root {*}[split [string trimleft $rel /] /]]
        file mkdir [file dirname $path]
        set fd [open $path w]
        puts $fd $content
        close $fd
    }
    return $root
}

# This process's cgroup path for a v1 controller, or v2 (controller ""),
# as shoal reads it; "/" if none.
proc self_cgroup {controller} {
    if {[catch {open /proc/self/cgroup r} fd]} { return / }
    set lines [split [read $fd] \n]
    close $fd
    foreach line $lines {
        set parts [split $line :]
        if {[llength $parts] < 3} continue
        lassign $parts id ctrls
        set path [join [lrange $parts 2 end] :]
        if {$controller eq "" ? ($id eq "0" && $ctrls eq "")
                              : ($controller in [split $ctrls ,])} {
            if {[string index $path 0] ne "/" || [string first /.. $path] >= 0} { return / }
            return $path
        }
    }
    return /
}

# CPUs in this process's affinity mask.
proc affinity_cpus {} {
    if {[catch {exec nproc} n]} { return 1 }
    return $n
}

# The threads source expected for a quota of q CPUs.
proc quota_source {q} {
    return [expr {int(ceil($q)) < [affinity_cpus] ? "cgroup-quota" : "affinity"}]
}

set mb [expr {1024 * 1024}]

tags {cgroup shoal-only} {

# ---- cgroup v2 ----

set root [fake_cgroup [list cgroup.controllers "cpu memory" memory.max [expr {256 * $mb}] \
    cpu.max "50000 100000"]]
start_server [list overrides [list cgroup-root $root]] {
    test {v2: maxmemory defaults to 75% of memory.max, policy allkeys-lru} {
        assert_equal [list maxmemory [expr {192 * $mb}]] [r config get maxmemory]
        assert_equal {maxmemory-policy allkeys-lru} [r config get maxmemory-policy]
        assert_equal cgroup [s maxmemory_source]
        assert_equal cgroup [s maxmemory_policy_source]
        assert_equal [expr {256 * $mb}] [s cgroup_memory_limit]
        assert_equal 1 [count_log_lines "*maxmemory defaults to 75% of the cgroup memory limit*"]
    }

    test {v2: the threads default follows cpu.max} {
        # half the usable CPUs (at least one); half a CPU of quota is one
        assert_equal {threads 1} [r config get threads]
        assert_equal [quota_source 0.5] [s threads_source]
    }

    test {CONFIG SET maxmemory afterwards is its source} {
        r config set maxmemory 100mb
        assert_equal config-set [s maxmemory_source]
    }
}

set root [fake_cgroup {cgroup.controllers "" memory.max max cpu.max "max 100000"}]
start_server [list overrides [list cgroup-root $root]] {
    test {v2: "max" is no limit} {
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal {maxmemory-policy noeviction} [r config get maxmemory-policy]
        assert_equal default [s maxmemory_source]
        assert_equal default [s maxmemory_policy_source]
        assert_equal 0 [s cgroup_memory_limit]
        assert_equal affinity [s threads_source]
    }
}

set root [fake_cgroup [list cgroup.controllers "" memory.max [expr {1 << 50}]]]
start_server [list overrides [list cgroup-root $root]] {
    test {A limit above the machine's memory sets no default} {
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal default [s maxmemory_source]
        assert_equal 1 [count_log_lines "*not below the machine's memory*"]
    }
}

# A limit on this process's own cgroup and a larger one above it: the
# smaller wins, wherever it is. (Needs this process below the root.)
foreach {version controller} {2 "" 1 memory} {
    set path [self_cgroup $controller]
    set sub [expr {$version == 2 ? "" : "memory"}]
    set file [expr {$version == 2 ? "memory.max" : "memory.limit_in_bytes"}]
    set none [expr {$version == 2 ? "max" : 9223372036854771712}]
    foreach {top leaf limit} [list [expr {1024 * $mb}] [expr {128 * $mb}] [expr {128 * $mb}] \
                                  [expr {512 * $mb}] $none [expr {512 * $mb}]] {
        set files [list $sub/$file $top]
        if {$path ne "/"} { lappend files $sub$path/$file $leaf }
        if {$version == 2} { lappend files cgroup.controllers "" }
        set root [fake_cgroup $files]
        start_server [list overrides [list cgroup-root $root]] {
            test "v$version: the smallest limit of the cgroup ($leaf) and its parents ($top) wins" {
                if {$path eq "/"} { skip "this process is in the root cgroup (v$version)" }
                assert_equal $limit [s cgroup_memory_limit]
                assert_equal [list maxmemory [expr {$limit / 4 * 3}]] [r config get maxmemory]
            }
        }
    }
}

# ---- cgroup v1 ----

set root [fake_cgroup [list memory/memory.limit_in_bytes [expr {512 * $mb}] \
    cpu/cpu.cfs_quota_us 50000 cpu/cpu.cfs_period_us 100000]]
start_server [list overrides [list cgroup-root $root]] {
    test {v1: maxmemory defaults to 75% of memory.limit_in_bytes, policy allkeys-lru} {
        assert_equal [list maxmemory [expr {384 * $mb}]] [r config get maxmemory]
        assert_equal {maxmemory-policy allkeys-lru} [r config get maxmemory-policy]
        assert_equal cgroup [s maxmemory_source]
        assert_equal [expr {512 * $mb}] [s cgroup_memory_limit]
    }

    test {v1: the threads default follows cpu.cfs_quota_us / cpu.cfs_period_us} {
        assert_equal {threads 1} [r config get threads]
        assert_equal [quota_source 0.5] [s threads_source]
    }
}

set root [fake_cgroup {memory/memory.limit_in_bytes 9223372036854771712
    cpu/cpu.cfs_quota_us -1 cpu/cpu.cfs_period_us 100000}]
start_server [list overrides [list cgroup-root $root]] {
    test {v1: the huge "unlimited" value and quota -1 are no limit} {
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal default [s maxmemory_source]
        assert_equal 0 [s cgroup_memory_limit]
        assert_equal affinity [s threads_source]
    }
}

# ---- what was set explicitly wins ----

set root [fake_cgroup [list cgroup.controllers "" memory.max [expr {256 * $mb}] \
    cpu.max "50000 100000"]]

start_server [list overrides [list cgroup-root $root maxmemory 10mb]] {
    test {maxmemory from the file wins over the cgroup; the policy stays noeviction} {
        assert_equal [list maxmemory [expr {10 * $mb}]] [r config get maxmemory]
        assert_equal file [s maxmemory_source]
        assert_equal {maxmemory-policy noeviction} [r config get maxmemory-policy]
        assert_equal default [s maxmemory_policy_source]
        assert_equal [expr {256 * $mb}] [s cgroup_memory_limit]
    }
}

start_server [list overrides [list cgroup-root $root] env {SHOAL_MAXMEMORY 0}] {
    test {maxmemory 0 from the environment is explicit too} {
        assert_equal {maxmemory 0} [r config get maxmemory]
        assert_equal env [s maxmemory_source]
    }
}

start_server [list overrides [list cgroup-root $root] args {--maxmemory-policy allkeys-lfu --threads 3}] {
    test {An explicit policy is kept with the cgroup's maxmemory} {
        assert_equal [list maxmemory [expr {192 * $mb}]] [r config get maxmemory]
        assert_equal {maxmemory-policy allkeys-lfu} [r config get maxmemory-policy]
        assert_equal command-line [s maxmemory_policy_source]
    }

    test {Explicit threads win over the CPU quota} {
        assert_equal {threads 3} [r config get threads]
        assert_equal command-line [s threads_source]
    }
}

start_server [list env [list SHOAL_CGROUP_ROOT $root]] {
    test {SHOAL_CGROUP_ROOT names the tree too} {
        assert_equal [list maxmemory [expr {192 * $mb}]] [r config get maxmemory]
        assert_equal [list cgroup-root $root] [r config get cgroup-root]
    }
}

start_server {} {
    test {cgroup-root "" reads no cgroup (the harness's default)} {
        assert_equal {cgroup-root {}} [r config get cgroup-root]
        assert_equal 0 [s cgroup_memory_limit]
        assert_equal default [s maxmemory_source]
        assert_equal affinity [s threads_source]
    }
}

# ---- it evicts instead of outgrowing the limit ----

set root [fake_cgroup [list cgroup.controllers "" memory.max [expr {16 * $mb}]]]
start_server [list overrides [list cgroup-root $root]] {
    test {Under the cgroup default, writes past the limit evict, never fail} {
        if {![string match jemalloc* [s mem_allocator]]} {
            skip "used memory is exact only with jemalloc (not in sanitizer builds)"
        }
        set value [string repeat x 10000]
        set c [redis_deferring_client]
        # batches of 50: the query buffer (counted in used memory) stays small
        for {set i 0} {$i < 3000} {incr i 50} {
            for {set k $i} {$k < $i + 50} {incr k} { $c set key:$k $value }
            $c flush
            for {set k $i} {$k < $i + 50} {incr k} { assert_equal OK [$c read] }
        }
        $c close
        assert_morethan [s evicted_keys] 0
        assert_lessthan [s used_memory] [expr {14 * $mb}]
    }
}

# ---- the real tree ----

start_server {overrides {cgroup-root /sys/fs/cgroup}} {
    test {The real /sys/fs/cgroup gives consistent defaults} {
        set limit [s cgroup_memory_limit]
        set source [s maxmemory_source]
        assert {$source in {default cgroup}}
        if {$source eq "cgroup"} {
            assert_equal [expr {$limit / 100 * 75 + $limit % 100 * 75 / 100}] [s maxmemory]
            assert_equal allkeys-lru [s maxmemory_policy]
        } else {
            assert_equal 0 [s maxmemory]
        }
        assert {[s threads_source] in {affinity cgroup-quota}}
    }
}

}

foreach r $::cg_roots { file delete -force $r }
