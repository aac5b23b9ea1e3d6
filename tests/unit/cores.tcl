# tests/unit/cores.tcl -- runs the C unit programs of the pure cores
# (src/test_*.c: the RESP parser, the store, the slot map, the SWIM
# membership core, the HTTP request parser, the health decisions) built
# beside the server under test, so the ASan run (--server
# src/shoal-server-address) runs them instrumented too. Each program
# prints "N passed, N failed".

proc core_program_dir {} {
    set bin $::th::server_bin
    set src [file dirname $bin]
    if {[regexp -- {shoal-server-(\w+)$} $bin -> kind]} {
        return [file join $src build-$kind]
    }
    return [file join $src build]
}

tags {shoal-only} {
    foreach prog {test_resp test_store test_slotmap test_swim test_http test_health} {
        test "core unit program $prog" {
            set path [file join [core_program_dir] $prog]
            if {![file executable $path]} {
                fail "$path is not built (make -C src)"
            }
            set status [catch {exec $path 2>@1} out]
            set last [lindex [split [string trim $out] "\n"] end]
            if {$status != 0 || ![regexp {^(\d+) passed, 0 failed$} $last]} {
                fail "$prog failed:\n$out"
            }
        }
    }
}
