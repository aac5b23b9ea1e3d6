# tests/unit/threads.tcl -- shoal with several worker threads behaves as
# with one: clients land on every thread, and transactions, multi-key
# commands and database swaps stay atomic with respect to clients on other
# threads.

proc incr_with_watch {c key times} {
    # the optimistic-locking loop every client library implements
    set done 0
    while {$done < $times} {
        $c watch $key
        set v [$c get $key]
        if {$v eq ""} {set v 0}
        $c multi
        $c set $key [expr {$v + 1}]
        if {[$c exec] ne ""} {incr done}
    }
}

foreach threads {1 4} {
    start_server [list tags {threads shoal-only} args [list --threads $threads]] {
        test "The server runs $threads worker thread(s)" {
            assert_equal [list threads $threads] [r config get threads]
            assert_equal [expr {$threads > 1}] [s io_threads_active]
            # the process really has them: its threads are named, so the
            # workers can be told from the lazyfree thread and jemalloc's
            set workers 0
            foreach comm [glob -nocomplain /proc/[srv pid]/task/*/comm] {
                if {[string match shoal-worker-* [string trim [th::read_file $comm]]]} {
                    incr workers
                }
            }
            assert_equal $threads $workers
        }

        test "Every client is served, threads $threads" {
            set clients {}
            for {set i 0} {$i < 16} {incr i} {lappend clients [redis_client]}
            set i 0
            foreach c $clients {
                assert_equal OK [$c set client:$i $i]
                incr i
            }
            set i 0
            foreach c $clients {
                assert_equal $i [$c get client:$i]
                $c close
                incr i
            }
        }

        test "WATCH/MULTI/EXEC increments from many clients lose no update, threads $threads" {
            r del counter
            set clients {}
            for {set i 0} {$i < 8} {incr i} {lappend clients [redis_client]}
            # interleave the clients so their transactions race
            for {set round 0} {$round < 25} {incr round} {
                foreach c $clients {incr_with_watch $c counter 1}
            }
            assert_equal 200 [r get counter]
            foreach c $clients {$c close}
        }

        test "Concurrent pipelines of INCR are all applied, threads $threads" {
            r del n
            set clients {}
            for {set i 0} {$i < 8} {incr i} {lappend clients [redis_deferring_client]}
            foreach c $clients {
                for {set j 0} {$j < 500} {incr j} {$c incr n}
                $c flush
            }
            foreach c $clients {
                for {set j 0} {$j < 500} {incr j} {$c read}
                $c close
            }
            assert_equal 4000 [r get n]
        }

        test "MSET is atomic to readers on other threads, threads $threads" {
            r mset a 0 b 0
            set writer [redis_deferring_client]
            set reader [redis_client]
            for {set i 1} {$i <= 200} {incr i} {$writer mset a $i b $i}
            $writer flush
            set torn 0
            for {set i 0} {$i < 200} {incr i} {
                lassign [$reader mget a b] x y
                if {$x ne $y} {incr torn}
            }
            for {set i 1} {$i <= 200} {incr i} {$writer read}
            assert_equal 0 $torn
            $writer close
            $reader close
        }

        test "SWAPDB and FLUSHALL under load from other threads, threads $threads" {
            set loaders {}
            for {set i 0} {$i < 4} {incr i} {lappend loaders [redis_deferring_client]}
            foreach c $loaders {
                for {set j 0} {$j < 300} {incr j} {
                    $c set k$j $j
                    $c get k$j
                }
                $c flush
            }
            for {set j 0} {$j < 20} {incr j} {
                assert_equal OK [r swapdb 0 1]
            }
            assert_equal OK [r flushall]
            foreach c $loaders {
                for {set j 0} {$j < 600} {incr j} {$c read}
                $c close
            }
            assert_equal PONG [r ping]
        }
    }
}
