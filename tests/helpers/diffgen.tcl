# tests/helpers/diffgen.tcl -- the seeded command generator of the
# differential test (tests/unit/differential.tcl).
#
#   diffgen::init SEED BASE_MS PROTO   start a stream (BASE_MS: wall clock in
#                                      ms, for absolute expiry times)
#   diffgen::next_item                 the next item of the stream (a dict)
#   diffgen::batch_size                how many items the next pipeline holds
#   diffgen::finish                    items that close an open transaction
#   diffgen::band_s / band_ms          expiry times at or above these came
#                                      from absolute inputs (see below)
#
# The stream depends on SEED only (its own PRNG, not Tcl's rand()), never on
# the replies, so a seed replays the same commands. Absolute expiry times are
# computed from BASE_MS, so they change from run to run, but their class (far
# future / past) does not.
#
# An item is a dict:
#   cmd      the command, a list of arguments (bytes)
#   kind     how replies are compared: exact ttl pttl expiretime pexpiretime
#            sorted (KEYS) randomkey scan hello exec
#   client   main | other (a second connection, RESP2, e.g. touching WATCHed
#            keys)
#   settle   1 if the key settlekey may have got a short or already past
#            expiry: after the command the runner waits `sleep` ms and sends
#            EXISTS settlekey to both servers, so the key is really gone on
#            both (DBSIZE counts keys that are expired but not yet
#            reclaimed, and Redis reclaims them at random times)
#   settlekey, sleep   see settle
#   qkinds   (exec) the kinds of the commands queued since MULTI
#   followup (randomkey) 1 outside MULTI: check both keys exist on both sides
#
# What the stream holds: the string, key, database, transaction and
# connection commands shoal implements, with weights (build_table), valid
# and invalid options in any order and case, arity mutations, unknown
# commands; 20 keys (some with glob characters, a space, a NUL, the empty
# key) in databases 0..3; values from a small alphabet plus integers near
# the 64-bit limits, floats and not-quite-numbers ("010", " 1", "-0",
# "1e5", "0x10", "inf"...); transactions (MULTI ... EXEC/DISCARD, nested
# MULTI, WATCH inside MULTI, EXEC/DISCARD without MULTI, commands refused
# at queue time); WATCH scenarios (WATCH a key, one command from this or
# the second client that may modify it, then a transaction whose EXEC shows
# whether the server saw the change); switches to the other protocol with
# HELLO and back.
#
# Timing rules that keep the comparison deterministic:
# - relative expiries are either >= 20000 s and strictly increasing along
#   the stream (so NX/XX/GT/LT between two relative expiries never depends on
#   the few ms between the servers), or short (PX 1..3, followed by a settle
#   with a sleep; never in MULTI, pipelines or on the other client), or <= 0,
#   or invalid (overflowing, not integers);
# - absolute expiries are either in the past or in a far band starting
#   10^7 s after BASE_MS; relative ones never reach the band, so an
#   EXPIRETIME/PEXPIRETIME in the band must match exactly, below it within a
#   tolerance.

namespace eval diffgen {
    variable S
    array set S {}
    variable keys {}
    variable patterns {}
    variable cmdtable {}
    variable cmdtotal 0
}

# ---- the key space, values, patterns ----

set diffgen::keys [list k0 k1 k2 k3 k4 k5 k6 k7 k8 k9 k10 k11 k12 k13 \
    "" "a b" "x\x00y" "k*" "k\[1\]" "\{t\}k"]

set diffgen::patterns [list * k* k? k1* {k[0-3]} {k[^0-3]*} *b* {k\*} {[a-c]*} \
    {k[1]} "" ? {k[} {k[]} {k[9-0]} "*\x00*" {\k*} {k[\]]} {*[*} ** x*y \
    {{t}*} *k {k[1-} {[k]1[0-9]} k1? {*\\*} {k[a-]} {*[} {k\[1\]} {?[^a]*} \
    k1 "a b" {[]} {*?*} {k[0-9][0-9]} {*[1} \\]

# ---- PRNG: 64-bit LCG, the top 31 bits ----

proc diffgen::next {} {
    variable S
    set S(rng) [expr {($S(rng) * 6364136223846793005 + 1442695040888963407) & 0xFFFFFFFFFFFFFFFF}]
    return [expr {$S(rng) >> 33}]
}

# An integer in [0, n).
proc diffgen::rnd {n} {
    return [expr {[diffgen::next] % $n}]
}

# 1 with probability p (0..1).
proc diffgen::chance {p} {
    return [expr {[diffgen::next] < $p * 2147483648.0}]
}

proc diffgen::pick {l} {
    return [lindex $l [diffgen::rnd [llength $l]]]
}

proc diffgen::shuffle {l} {
    for {set i [expr {[llength $l] - 1}]} {$i > 0} {incr i -1} {
        set j [diffgen::rnd [expr {$i + 1}]]
        set t [lindex $l $i]
        lset l $i [lindex $l $j]
        lset l $j $t
    }
    return $l
}

# ---- state ----

proc diffgen::init {seed base_ms proto} {
    variable S
    variable cmdtable
    array unset S
    set S(rng) [expr {(($seed & 0xFFFFFFFFFFFF) * 2862933555777941757 + 3037000493 + $proto * 7919) & 0xFFFFFFFFFFFFFFFF}]
    for {set i 0} {$i < 8} {incr i} { diffgen::next }
    set S(proto) $proto
    set S(base_ms) $base_ms
    set S(base_s) [expr {$base_ms / 1000}]
    set S(band_s) [expr {$S(base_s) + 10000000}]
    set S(band_ms) [expr {$S(band_s) * 1000}]
    set S(relctr) 0
    set S(multi) 0
    set S(qkinds) {}
    set S(watched) {}
    set S(prefkeys) {}
    set S(prefp) 0.5
    set S(queue) {}
    set S(ctx) main
    if {$cmdtable eq {}} { diffgen::build_table }
}

proc diffgen::band_s {} { return $diffgen::S(band_s) }
proc diffgen::band_ms {} { return $diffgen::S(band_ms) }
proc diffgen::in_multi {} { return $diffgen::S(multi) }

# Whether the command being generated may use a short or past expiry that
# needs a settle afterwards (only standalone commands of the main client).
proc diffgen::may_settle {} {
    variable S
    return [expr {$S(ctx) eq "main" && !$S(multi)}]
}

proc diffgen::key {} {
    variable S
    variable keys
    if {[llength $S(prefkeys)] && [diffgen::chance $S(prefp)]} {
        return [diffgen::pick $S(prefkeys)]
    }
    return [diffgen::pick $keys]
}

proc diffgen::keys_n {min max} {
    set out {}
    set n [expr {$min + [diffgen::rnd [expr {$max - $min + 1}]]}]
    for {set i 0} {$i < $n} {incr i} { lappend out [diffgen::key] }
    return $out
}

proc diffgen::randstr {alphabet min max} {
    set n [expr {$min + [diffgen::rnd [expr {$max - $min + 1}]]}]
    set out ""
    set al [string length $alphabet]
    for {set i 0} {$i < $n} {incr i} {
        append out [string index $alphabet [diffgen::rnd $al]]
    }
    return $out
}

proc diffgen::int_like {} {
    set r [diffgen::rnd 100]
    if {$r < 30} { return [expr {[diffgen::rnd 2001] - 1000}] }
    if {$r < 40} { return [diffgen::rnd 10] }
    if {$r < 48} {
        # a full 64-bit range integer
        set v [expr {(([diffgen::next] << 33) ^ ([diffgen::next] << 2) ^ [diffgen::rnd 4]) - 4611686018427387904 * [diffgen::rnd 2]}]
        return $v
    }
    return [diffgen::pick {0 1 -1 10 010 -0 +1 " 1" "1 " 00 1e5 0x10 ""
        9223372036854775807 -9223372036854775808 9223372036854775806
        -9223372036854775807 9223372036854775808 -9223372036854775809
        9223372036854775800 -9223372036854775800 4294967296 -4294967296
        12345678901234567890 1.0 18446744073709551615 2147483647 -2147483648
        "\x001" 1a}]
}

proc diffgen::float_like {} {
    set r [diffgen::rnd 100]
    if {$r < 20} {
        return [format %.[expr {1 + [diffgen::rnd 17]}]g [expr {([diffgen::next] - 1073741824) / (1.0 + [diffgen::rnd 100000])}]]
    }
    if {$r < 30} {
        return "[expr {[diffgen::rnd 200] - 100}].[diffgen::rnd 1000]"
    }
    if {$r < 36} {
        return "[expr {[diffgen::rnd 19] - 9}]e[expr {[diffgen::rnd 41] - 20}]"
    }
    return [diffgen::pick {3.14 -2.5 1.0 0.1 0.2 .5 5. 1e308 -1e308
        1.7976931348623157e308 inf -inf +inf nan -nan 1e-400 1e400 "1.5 "
        " 1.5" 0.0 -0.0 1e10 123456789.123456789 0.30000000000000004 1e-5
        0x1p3 0x10 1e 1e+ e5 "" . - + 1,5 1.5.5 17.0000000000000001
        5e-324 2.2250738585072014e-308 9007199254740993 -1 0 1 10 100
        "1\x00" 3.0e2 1E3 Infinity -Infinity}]
}

proc diffgen::value {} {
    set r [diffgen::rnd 100]
    if {$r < 30} { return [diffgen::int_like] }
    if {$r < 45} { return [diffgen::float_like] }
    if {$r < 88} { return [diffgen::randstr "ab01-. e" 0 6] }
    if {$r < 93} { return [diffgen::randstr "\x00\x01\r\n\xff\x80\"\\' a" 1 8] }
    if {$r < 98} {
        return [string repeat [diffgen::randstr "abcxyz0123" 1 5] [expr {10 + [diffgen::rnd 60]}]]
    }
    return [string repeat "0123456789" [expr {100 + [diffgen::rnd 400]}]]
}

# An increment for INCRBY/DECRBY.
proc diffgen::incr_arg {} {
    if {[diffgen::chance 0.6]} { return [expr {[diffgen::rnd 201] - 100}] }
    return [diffgen::int_like]
}

# An offset for GETRANGE.
proc diffgen::range_arg {} {
    set r [diffgen::rnd 100]
    if {$r < 45} { return [diffgen::rnd 15] }
    if {$r < 80} { return [expr {-1 - [diffgen::rnd 15]}] }
    return [diffgen::pick {0 -1 100 -100 9223372036854775807 -9223372036854775808
        9223372036854775808 abc "" 1.5 " 1" 4294967296 -4294967297 2147483648}]
}

proc diffgen::setrange_offset {} {
    set r [diffgen::rnd 100]
    if {$r < 70} { return [diffgen::rnd 20] }
    if {$r < 80} { return [expr {20 + [diffgen::rnd 300]}] }
    if {$r < 84} { return [diffgen::pick {1000 4096 10000}] }
    # errors only: too large with a non-empty value (or a no-op with an
    # empty one), negative, not integers
    return [diffgen::pick {536870912 536870913 1000000000 4294967296 -1
        -9223372036854775808 abc "" 1.5 9223372036854775808}]
}

proc diffgen::db_arg {} {
    if {[diffgen::chance 0.88]} { return [diffgen::rnd 4] }
    return [diffgen::pick {16 15 -1 abc "" 1.0 4294967296 9223372036854775808
        " 1" 01 +1 -0 2147483647}]
}

# ---- expiry arguments ----

# A relative expiry in unit s or ms. Returns {value class}; class is
# long | short | nonpos | bad.
proc diffgen::exp_rel {unit} {
    variable S
    set r [diffgen::rnd 100]
    if {$r < 72} {
        incr S(relctr)
        set s [expr {20000 + 3 * $S(relctr) + [diffgen::rnd 3]}]
        if {$unit eq "s"} { return [list $s long] }
        return [list [expr {$s * 1000 + [diffgen::rnd 1000]}] long]
    }
    if {$r < 82 && $unit eq "ms" && [diffgen::may_settle]} {
        return [list [expr {1 + [diffgen::rnd 3]}] short]
    }
    if {$r < 88} {
        return [list [diffgen::pick {0 -1 -100 -9223372036854775808 -9223372036854775807}] nonpos]
    }
    # Invalid or overflowing whatever the clock: never a valid expiry that
    # would land in the absolute band.
    set bad {abc "" 1.5 " 10" "10 " 0x10 +10 10a 9223372036854775807
        9223372036854775806 9223372036854775000 9223372036854775808
        18446744073709551616}
    if {$unit eq "s"} {
        # around LLONG_MAX / 1000 (in ms these would be valid and far)
        lappend bad 9223372036854775 9223372036854776 9223372036854774
    }
    return [list [diffgen::pick $bad] bad]
}

# An absolute expiry (unix time in unit s or ms). Returns {value class};
# class is long | past | nonpos | bad.
proc diffgen::exp_abs {unit} {
    variable S
    set r [diffgen::rnd 100]
    if {$r < 62} {
        set s [expr {$S(band_s) + [diffgen::rnd 100000000]}]
        if {$unit eq "s"} { return [list $s long] }
        return [list [expr {$s * 1000 + [diffgen::rnd 1000]}] long]
    }
    if {$r < 66} {
        if {$unit eq "s"} { return [list 9223372036854775 long] }
        return [list [diffgen::pick {9223372036854775807 9223372036854775000}] long]
    }
    if {$r < 80} {
        set s [diffgen::pick [list 1 2 [expr {$S(base_s) - 1 - [diffgen::rnd 100000]}] 1000000000]]
        if {$unit eq "s"} { return [list $s past] }
        return [list [expr {$s * 1000 + [diffgen::rnd 1000]}] past]
    }
    if {$r < 87} {
        return [list [diffgen::pick {0 -1 -1000 -9223372036854775808}] nonpos]
    }
    return [list [diffgen::pick {abc "" 1.5 " 10" 0x10 9223372036854775808
        9223372036854776 18446744073709551616 9223372036854775806}] bad]
}

# ---- commands ----

# Weighted table: name weight ...
proc diffgen::build_table {} {
    variable cmdtable
    variable cmdtotal
    set w {
        get 80 set 120 setnx 20 setex 25 psetex 20 getset 20 getdel 20
        getex 40 mget 30 mset 30 msetnx 20 append 40 strlen 20 getrange 30
        setrange 30 incr 40 decr 20 incrby 30 decrby 20 incrbyfloat 50
        del 30 unlink 10 exists 30 touch 10 type 20 expire 40 pexpire 30
        expireat 30 pexpireat 20 ttl 40 pttl 30 expiretime 20 pexpiretime 20
        persist 20 rename 30 renamenx 20 dbsize 20 select 30 swapdb 8
        move 20 flushdb 3 flushall 1 keys 20 scan 20 randomkey 15 ping 10
        echo 10 unknown 15 hello 3
    }
    set cmdtable {}
    set cmdtotal 0
    foreach {n c} $w {
        incr cmdtotal $c
        lappend cmdtable $n $cmdtotal
    }
}

proc diffgen::pick_command {} {
    variable cmdtable
    variable cmdtotal
    set x [diffgen::rnd $cmdtotal]
    foreach {n c} $cmdtable {
        if {$x < $c} { return $n }
    }
}

# Each g_NAME returns a dict with at least cmd and kind.
proc diffgen::item {kind args} {
    return [dict create cmd $args kind $kind settle 0 settlekey "" sleep 0]
}

proc diffgen::g_get {} { diffgen::item exact GET [diffgen::key] }
proc diffgen::g_setnx {} { diffgen::item exact SETNX [diffgen::key] [diffgen::value] }
proc diffgen::g_getset {} { diffgen::item exact GETSET [diffgen::key] [diffgen::value] }
proc diffgen::g_getdel {} { diffgen::item exact GETDEL [diffgen::key] }
proc diffgen::g_strlen {} { diffgen::item exact STRLEN [diffgen::key] }
proc diffgen::g_append {} { diffgen::item exact APPEND [diffgen::key] [diffgen::value] }
proc diffgen::g_incr {} { diffgen::item exact INCR [diffgen::key] }
proc diffgen::g_decr {} { diffgen::item exact DECR [diffgen::key] }
proc diffgen::g_incrby {} { diffgen::item exact INCRBY [diffgen::key] [diffgen::incr_arg] }
proc diffgen::g_decrby {} { diffgen::item exact DECRBY [diffgen::key] [diffgen::incr_arg] }
proc diffgen::g_type {} { diffgen::item exact TYPE [diffgen::key] }
proc diffgen::g_ttl {} { diffgen::item ttl TTL [diffgen::key] }
proc diffgen::g_pttl {} { diffgen::item pttl PTTL [diffgen::key] }
proc diffgen::g_expiretime {} { diffgen::item expiretime EXPIRETIME [diffgen::key] }
proc diffgen::g_pexpiretime {} { diffgen::item pexpiretime PEXPIRETIME [diffgen::key] }
proc diffgen::g_persist {} { diffgen::item exact PERSIST [diffgen::key] }
proc diffgen::g_dbsize {} { diffgen::item exact DBSIZE }
proc diffgen::g_randomkey {} { diffgen::item randomkey RANDOMKEY }
# A glob pattern: from the list, or random over glob syntax and key bytes.
proc diffgen::pattern {} {
    if {[diffgen::chance 0.7]} { return [diffgen::pick $diffgen::patterns] }
    return [diffgen::randstr "k1*?\[\]^-\\0a b\{\}" 0 7]
}
proc diffgen::g_keys {} { diffgen::item sorted KEYS [diffgen::pattern] }
proc diffgen::g_mget {} { diffgen::item exact MGET {*}[diffgen::keys_n 1 5] }
proc diffgen::g_del {} { diffgen::item exact DEL {*}[diffgen::keys_n 1 4] }
proc diffgen::g_unlink {} { diffgen::item exact UNLINK {*}[diffgen::keys_n 1 4] }
proc diffgen::g_exists {} { diffgen::item exact EXISTS {*}[diffgen::keys_n 1 4] }
proc diffgen::g_touch {} { diffgen::item exact TOUCH {*}[diffgen::keys_n 1 4] }
proc diffgen::g_getrange {} {
    diffgen::item exact GETRANGE [diffgen::key] [diffgen::range_arg] [diffgen::range_arg]
}
proc diffgen::g_setrange {} {
    set off [diffgen::setrange_offset]
    set v ""
    if {![diffgen::chance 0.1]} { set v [diffgen::value] }
    if {![string is integer -strict $off] || $off > 100000} {
        # keep huge offsets to values short enough to fail fast
        set v ""
        if {![diffgen::chance 0.3]} { set v [diffgen::randstr ab 1 3] }
    }
    diffgen::item exact SETRANGE [diffgen::key] $off $v
}
proc diffgen::g_incrbyfloat {} {
    diffgen::item exact INCRBYFLOAT [diffgen::key] [diffgen::float_like]
}

proc diffgen::g_mset {{name MSET}} {
    set args {}
    set n [expr {1 + [diffgen::rnd 4]}]
    for {set i 0} {$i < $n} {incr i} { lappend args [diffgen::key] [diffgen::value] }
    if {[diffgen::chance 0.04]} { set args [lrange $args 0 end-1] }
    diffgen::item exact $name {*}$args
}
proc diffgen::g_msetnx {} { diffgen::g_mset MSETNX }

# Marks an item as needing a settle when its expiry class asks for it.
proc diffgen::settle_if {item key class {setfamily 1}} {
    if {![diffgen::may_settle]} { return $item }
    if {$class eq "short"} {
        dict set item settle 1
        dict set item settlekey $key
        dict set item sleep [expr {5 + [diffgen::rnd 4]}]
    } elseif {$class in {past nonpos}} {
        dict set item settle 1
        dict set item settlekey $key
    }
    return $item
}

# Of two expiry classes, the one that needs the most settling.
proc diffgen::worst_class {c1 c2} {
    foreach c {short past nonpos long bad} {
        if {$c in [list $c1 $c2]} { return $c }
    }
    return ""
}

# An expiry option for SET / GETEX: returns {args class}; class "" when
# there is none.
proc diffgen::exp_option {getex} {
    variable S
    set opts [list EX PX EXAT PXAT]
    if {$getex} { lappend opts PERSIST } else { lappend opts KEEPTTL }
    set o [diffgen::pick $opts]
    switch -- $o {
        EX { lassign [diffgen::exp_rel s] v c }
        PX { lassign [diffgen::exp_rel ms] v c }
        EXAT { lassign [diffgen::exp_abs s] v c }
        PXAT { lassign [diffgen::exp_abs ms] v c }
        default { return [list [list $o] ""] }
    }
    # a past absolute expiry keeps the key until it is reclaimed (Redis
    # 7.0 SET): only where a settle can follow
    if {$c eq "past" && ![diffgen::may_settle]} {
        return [diffgen::exp_option $getex]
    }
    return [list [list $o $v] $c]
}

proc diffgen::casevar {word} {
    set r [diffgen::rnd 10]
    if {$r < 6} { return [string toupper $word] }
    if {$r < 8} { return [string tolower $word] }
    set out ""
    foreach ch [split $word ""] {
        if {[diffgen::chance 0.5]} {
            append out [string toupper $ch]
        } else {
            append out [string tolower $ch]
        }
    }
    return $out
}

proc diffgen::g_set {} {
    set k [diffgen::key]
    set groups {}
    set class ""
    set r [diffgen::rnd 100]
    if {$r < 15} { lappend groups [list NX] } elseif {$r < 30} { lappend groups [list XX] } elseif {$r < 33} { lappend groups [list NX] [list XX] }
    if {[diffgen::chance 0.18]} { lappend groups [list GET] }
    set r [diffgen::rnd 100]
    if {$r < 50} {
        lassign [diffgen::exp_option 0] o class
        lappend groups $o
    } elseif {$r < 54} {
        lassign [diffgen::exp_option 0] o1 c1
        lassign [diffgen::exp_option 0] o2 c2
        lappend groups $o1 $o2
        set class [diffgen::worst_class $c1 $c2]
    }
    if {[diffgen::chance 0.02]} { lappend groups [list [diffgen::pick {FOO EXX PXAT EX NXX ""}]] }
    set args [list SET $k [diffgen::value]]
    foreach g [diffgen::shuffle $groups] {
        lappend args [diffgen::casevar [lindex $g 0]] {*}[lrange $g 1 end]
    }
    return [diffgen::settle_if [diffgen::item exact {*}$args] $k $class]
}

proc diffgen::g_setex {} {
    set k [diffgen::key]
    lassign [diffgen::exp_rel s] v c
    return [diffgen::settle_if [diffgen::item exact SETEX $k $v [diffgen::value]] $k $c]
}

proc diffgen::g_psetex {} {
    set k [diffgen::key]
    lassign [diffgen::exp_rel ms] v c
    return [diffgen::settle_if [diffgen::item exact PSETEX $k $v [diffgen::value]] $k $c]
}

proc diffgen::g_getex {} {
    set k [diffgen::key]
    set args [list GETEX $k]
    set class ""
    set r [diffgen::rnd 100]
    if {$r < 65} {
        lassign [diffgen::exp_option 1] o class
        lappend args [diffgen::casevar [lindex $o 0]] {*}[lrange $o 1 end]
    } elseif {$r < 71} {
        lassign [diffgen::exp_option 1] o1 c1
        lassign [diffgen::exp_option 1] o2 c2
        lappend args {*}$o1 {*}$o2
        set class [diffgen::worst_class $c1 $c2]
    } elseif {$r < 74} {
        lappend args [diffgen::pick {FOO KEEPTTL NX GET EX}]
    }
    return [diffgen::settle_if [diffgen::item exact {*}$args] $k $class]
}

proc diffgen::expire_flags {} {
    set r [diffgen::rnd 100]
    if {$r < 60} { return {} }
    if {$r < 90} { return [list [diffgen::casevar [diffgen::pick {NX XX GT LT}]]] }
    if {$r < 97} { return [list [diffgen::pick {NX XX GT LT}] [diffgen::pick {NX XX GT LT}]] }
    return [list [diffgen::pick {FOO KEEPTTL "" nxx}]]
}

proc diffgen::g_expire_generic {name unit abs} {
    set k [diffgen::key]
    if {$abs} {
        lassign [diffgen::exp_abs $unit] v c
    } else {
        lassign [diffgen::exp_rel $unit] v c
    }
    set item [diffgen::item exact $name $k $v {*}[diffgen::expire_flags]]
    # Redis deletes at once on a past/non-positive time; the settle is for
    # a short one, or in case the server under test only marks the key.
    return [diffgen::settle_if $item $k $c]
}
proc diffgen::g_expire {} { diffgen::g_expire_generic EXPIRE s 0 }
proc diffgen::g_pexpire {} { diffgen::g_expire_generic PEXPIRE ms 0 }
proc diffgen::g_expireat {} { diffgen::g_expire_generic EXPIREAT s 1 }
proc diffgen::g_pexpireat {} { diffgen::g_expire_generic PEXPIREAT ms 1 }

proc diffgen::g_rename {{name RENAME}} {
    set a [diffgen::key]
    set b $a
    if {![diffgen::chance 0.1]} { set b [diffgen::key] }
    diffgen::item exact $name $a $b
}
proc diffgen::g_renamenx {} { diffgen::g_rename RENAMENX }

proc diffgen::g_select {} { diffgen::item exact SELECT [diffgen::db_arg] }
proc diffgen::g_swapdb {} { diffgen::item exact SWAPDB [diffgen::db_arg] [diffgen::db_arg] }
proc diffgen::g_move {} { diffgen::item exact MOVE [diffgen::key] [diffgen::db_arg] }

proc diffgen::g_flushdb {{name FLUSHDB}} {
    set r [diffgen::rnd 10]
    if {$r < 5} { return [diffgen::item exact $name] }
    if {$r < 9} { return [diffgen::item exact $name [diffgen::casevar [diffgen::pick {ASYNC SYNC}]]] }
    return [diffgen::item exact $name [diffgen::pick {FOO "" ASYNC SYNC}] [diffgen::pick {SYNC ""}]]
}
proc diffgen::g_flushall {} { diffgen::g_flushdb FLUSHALL }

proc diffgen::g_scan {} {
    set args [list SCAN]
    set r [diffgen::rnd 100]
    if {$r < 88} {
        lappend args 0
    } elseif {$r < 94} {
        # also cursor 0 for Redis (strtoul)
        lappend args [diffgen::pick {00 -0 +0 ""}]
    } else {
        lappend args [diffgen::pick {abc 1.5 " 0" 0x0 18446744073709551616 "0 "}]
    }
    set groups {}
    if {[diffgen::chance 0.5]} { lappend groups [list MATCH [diffgen::pattern]] }
    if {[diffgen::chance 0.4]} {
        if {[diffgen::chance 0.85]} {
            lappend groups [list COUNT [expr {1 + [diffgen::rnd 30]}]]
        } else {
            lappend groups [list COUNT [diffgen::pick {0 -1 abc "" 1000 9223372036854775807 9223372036854775808}]]
        }
    }
    if {[diffgen::chance 0.25]} {
        lappend groups [list TYPE [diffgen::pick {string STRING list hash set zset stream none foo ""}]]
    }
    if {[diffgen::chance 0.03]} { lappend groups [list [diffgen::pick {MATCH COUNT TYPE FOO}]] }
    foreach g [diffgen::shuffle $groups] {
        lappend args [diffgen::casevar [lindex $g 0]] {*}[lrange $g 1 end]
    }
    diffgen::item scan {*}$args
}

proc diffgen::g_ping {} {
    set r [diffgen::rnd 10]
    if {$r < 5} { return [diffgen::item exact PING] }
    if {$r < 9} { return [diffgen::item exact PING [diffgen::value]] }
    return [diffgen::item exact PING a b]
}

proc diffgen::g_echo {} {
    if {[diffgen::chance 0.9]} { return [diffgen::item exact ECHO [diffgen::value]] }
    if {[diffgen::chance 0.5]} { return [diffgen::item exact ECHO] }
    return [diffgen::item exact ECHO a b]
}

proc diffgen::g_unknown {} {
    set name [diffgen::pick [list foo GETT "" set! getex2 MULTIX "get set" \
        [string repeat x 200] "\x00" hsetx SELECTT expires lpushx2]]
    set args {}
    set n [diffgen::rnd 4]
    for {set i 0} {$i < $n} {incr i} {
        if {[diffgen::chance 0.1]} {
            lappend args [string repeat y 150]
        } else {
            lappend args [diffgen::value]
        }
    }
    diffgen::item exact $name {*}$args
}

proc diffgen::g_hello {} {
    variable S
    set r [diffgen::rnd 100]
    if {$r < 50} { return [diffgen::item hello HELLO $S(proto)] }
    if {$r < 55} { return [diffgen::item hello HELLO $S(proto) SETNAME [diffgen::pick {c1 x-y}]] }
    if {$r < 60} {
        return [diffgen::item hello HELLO $S(proto) [diffgen::pick {FOO SETNAME AUTH setname}] {*}[lrange {a b c} 0 [diffgen::rnd 3]]]
    }
    if {$r < 70} { return [diffgen::item hello HELLO] }
    return [diffgen::item hello HELLO [diffgen::pick {4 1 0 -1 abc "" 2.0 9223372036854775808}]]
}

# ---- mutations ----

proc diffgen::mutate {item} {
    set cmd [dict get $item cmd]
    if {[diffgen::chance 0.1]} {
        lset cmd 0 [diffgen::casevar [lindex $cmd 0]]
    }
    if {[diffgen::chance 0.03]} {
        if {[llength $cmd] > 1 && [diffgen::chance 0.6]} {
            set drop [expr {1 + [diffgen::rnd [expr {min(2, [llength $cmd] - 1)}]]}]
            set cmd [lrange $cmd 0 end-$drop]
        } else {
            lappend cmd [diffgen::pick [list x [diffgen::value] NX EX 1]]
        }
    }
    dict set item cmd $cmd
    return $item
}

# ---- the stream ----

proc diffgen::random_command {} {
    variable S
    while 1 {
        set name [diffgen::pick_command]
        if {$S(ctx) ne "main" || $S(multi)} {
            # standalone-only commands
            if {$name in {scan hello}} continue
            if {$S(ctx) ne "main" && $name eq "randomkey"} continue
        }
        break
    }
    set item [diffgen::mutate [diffgen::g_$name]]
    dict set item client $S(ctx)
    if {$name eq "randomkey" && $S(ctx) eq "main" && !$S(multi)} {
        dict set item followup 1
    }
    return $item
}

proc diffgen::other_command {} {
    variable S
    set S(ctx) other
    set saved $S(prefkeys)
    if {$saved eq {}} { set S(prefkeys) $S(watched) }
    try {
        if {[diffgen::chance 0.08]} {
            set item [diffgen::item exact SELECT [diffgen::db_arg]]
            dict set item client other
        } else {
            set item [diffgen::random_command]
        }
    } finally {
        set S(ctx) main
        set S(prefkeys) $saved
    }
    return $item
}

proc diffgen::ctl {args} {
    set item [diffgen::item exact {*}$args]
    dict set item client main
    return $item
}

# Scripted sequences: items generated lazily, one per next_item.
#
# WATCH one key, one command that may or may not modify it (this client or
# the other one), then a transaction: EXEC says whether the server saw the
# key as modified (Redis: only commands that really change it, FLUSHDB
# only when the key exists, SWAPDB/MOVE/RENAME on both sides...).
proc diffgen::watch_scenario {} {
    variable S
    set k [diffgen::key]
    set ks [list $k]
    if {[diffgen::chance 0.2]} { lappend ks [diffgen::key] }
    lappend S(queue) [list diffgen::ctl WATCH {*}$ks]
    if {[diffgen::chance 0.5]} {
        lappend S(queue) [list diffgen::focused other_command $k]
    } else {
        lappend S(queue) [list diffgen::focused random_command $k]
    }
    lappend S(queue) [list diffgen::start_multi]
    set n [diffgen::rnd 3]
    for {set i 0} {$i < $n} {incr i} { lappend S(queue) [list diffgen::multi_step] }
    lappend S(queue) [list diffgen::exec_item]
}

# HELLO with the other protocol, a few commands, HELLO back.
proc diffgen::hello_scenario {} {
    variable S
    set other [expr {$S(proto) == 2 ? 3 : 2}]
    lappend S(queue) [list diffgen::item hello HELLO $other]
    set n [expr {1 + [diffgen::rnd 6]}]
    for {set i 0} {$i < $n} {incr i} { lappend S(queue) [list diffgen::random_command] }
    lappend S(queue) [list diffgen::item hello HELLO $S(proto)]
}

proc diffgen::focused {what key} {
    variable S
    set S(prefkeys) [list $key]
    set S(prefp) 0.9
    try {
        set item [diffgen::$what]
    } finally {
        set S(prefkeys) {}
        set S(prefp) 0.5
    }
    return $item
}

proc diffgen::start_multi {} {
    variable S
    if {$S(multi)} { return [diffgen::ctl PING] }
    set S(multi) 1
    set S(qkinds) {}
    return [diffgen::ctl MULTI]
}

proc diffgen::exec_item {} {
    variable S
    if {!$S(multi)} { return [diffgen::ctl PING] }
    set S(multi) 0
    set S(watched) {}
    set item [diffgen::ctl EXEC]
    dict set item kind exec
    dict set item qkinds $S(qkinds)
    return $item
}

proc diffgen::next_item {} {
    variable S
    if {[llength $S(queue)]} {
        set script [lindex $S(queue) 0]
        set S(queue) [lrange $S(queue) 1 end]
        set item [uplevel #0 $script]
        if {![dict exists $item client]} { dict set item client main }
        return $item
    }
    if {$S(multi)} { return [diffgen::multi_step] }
    set r [diffgen::rnd 1000]
    if {$r < 40} {
        set S(multi) 1
        set S(qkinds) {}
        return [diffgen::ctl [diffgen::casevar MULTI]]
    }
    if {$r < 60} {
        set ks [diffgen::keys_n 1 3]
        lappend S(watched) {*}$ks
        return [diffgen::ctl WATCH {*}$ks]
    }
    if {$r < 65} {
        set S(watched) {}
        return [diffgen::ctl UNWATCH]
    }
    if {$r < 68} { return [diffgen::ctl EXEC] }
    if {$r < 71} { return [diffgen::ctl DISCARD] }
    if {$r < 73} { return [diffgen::ctl [diffgen::pick {WATCH UNWATCH MULTI EXEC DISCARD}] x] }
    if {$r < 93} { return [diffgen::other_command] }
    if {$r < 108} {
        diffgen::watch_scenario
        return [diffgen::next_item]
    }
    if {$r < 110} {
        diffgen::hello_scenario
        return [diffgen::next_item]
    }
    return [diffgen::random_command]
}

# The next item inside a transaction.
proc diffgen::multi_step {} {
    variable S
    if {!$S(multi)} { return [diffgen::random_command] }
    set r [diffgen::rnd 1000]
    if {$r < 120} {
        set S(multi) 0
        set S(watched) {}
        set item [diffgen::ctl [diffgen::casevar EXEC]]
        dict set item kind exec
        dict set item qkinds $S(qkinds)
        return $item
    }
    if {$r < 150} {
        set S(multi) 0
        set S(watched) {}
        return [diffgen::ctl DISCARD]
    }
    if {$r < 165} { return [diffgen::ctl MULTI] }
    if {$r < 178} { return [diffgen::ctl WATCH [diffgen::key]] }
    if {$r < 210} { return [diffgen::other_command] }
    set item [diffgen::random_command]
    lappend S(qkinds) [dict get $item kind]
    return $item
}

# Items that end an open transaction (at the end of the stream).
proc diffgen::finish {} {
    variable S
    set S(queue) {}
    if {!$S(multi)} { return {} }
    set S(multi) 0
    set item [diffgen::ctl EXEC]
    dict set item kind exec
    dict set item qkinds $S(qkinds)
    return [list $item]
}

proc diffgen::batch_size {} {
    if {[diffgen::chance 0.7]} { return 1 }
    if {[diffgen::chance 0.02]} { return [expr {50 + [diffgen::rnd 150]}] }
    return [expr {2 + [diffgen::rnd 11]}]
}
