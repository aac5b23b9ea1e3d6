# tests/unit/harness.tcl -- self-test of the test harness: the RESP client's
# decoder (every RESP2/RESP3 type, fed by a fake server), the assertions and
# the locations they report, the server helpers, and the runner itself
# (a failing file must make it exit non-zero with a readable report).

# ---- a fake server that answers "REPLY <raw bytes>" with the raw bytes ----

proc fake_accept {fd addr port} {
    fconfigure $fd -translation binary -blocking 1
    fileevent $fd readable [list fake_serve $fd]
}

proc fake_serve {fd} {
    if {[gets $fd line] < 0} {
        close $fd
        return
    }
    set n [string range $line 1 end]
    set argv {}
    for {set i 0} {$i < $n} {incr i} {
        gets $fd len
        set len [string range $len 1 end-1]
        lappend argv [read $fd $len]
        read $fd 2
    }
    switch -- [string tolower [lindex $argv 0]] {
        reply { puts -nonewline $fd [lindex $argv 1] }
        close { close $fd; return }
        default { puts -nonewline $fd "-ERR fake server: unknown command\r\n" }
    }
    flush $fd
}

set ::fake [socket -server fake_accept -myaddr 127.0.0.1 0]
set ::fake_port [lindex [fconfigure $::fake -sockname] 2]

proc fake_client {} {
    return [resp::client 127.0.0.1 $::fake_port -timeout 5]
}

# The decoded value of a raw reply.
proc decode {raw} {
    set c [fake_client]
    try {
        return [$c reply $raw]
    } finally {
        $c close
    }
}

tags {harness} {

    test "Decoder: RESP2 types" {
        assert_equal OK [decode "+OK\r\n"]
        assert_equal 42 [decode ":42\r\n"]
        assert_equal -7 [decode ":-7\r\n"]
        assert_equal "foo" [decode "\$3\r\nfoo\r\n"]
        assert_equal "" [decode "\$0\r\n\r\n"]
        assert_equal "a\r\nb" [decode "\$4\r\na\r\nb\r\n"]
        assert_equal "" [decode "\$-1\r\n"]
        assert_equal "" [decode "*-1\r\n"]
        assert_equal {} [decode "*0\r\n"]
        assert_equal {1 two {3 {}}} [decode "*3\r\n:1\r\n\$3\r\ntwo\r\n*2\r\n:3\r\n\$-1\r\n"]
    }

    test "Decoder: errors are Tcl errors with the error text" {
        assert_error "ERR unknown command 'foo'" {decode "-ERR unknown command 'foo'\r\n"}
        catch {decode "-WRONGTYPE Operation against a key\r\n"} e opts
        assert_equal "WRONGTYPE Operation against a key" $e
        assert_equal {RESP WRONGTYPE} [dict get $opts -errorcode]
        assert_error "SYNTAX blob error" {decode "!17\r\nSYNTAX blob error\r\n"}
    }

    test "Decoder: an error inside an aggregate is raised after reading it all" {
        set c [fake_client]
        assert_error "WRONGTYPE x" {$c reply "*3\r\n+OK\r\n-WRONGTYPE x\r\n:1\r\n"}
        assert_equal {OK {WRONGTYPE x} 1} [$c partial]
        # the stream is still in sync
        assert_equal 5 [$c reply ":5\r\n"]
        $c close
    }

    test "Decoder: RESP3 types" {
        assert_equal "" [decode "_\r\n"]
        assert_equal 3.14 [decode ",3.14\r\n"]
        assert_equal inf [decode ",inf\r\n"]
        assert_equal 1 [decode "#t\r\n"]
        assert_equal 0 [decode "#f\r\n"]
        assert_equal 1234567999999999999999999999999999999 [decode "(1234567999999999999999999999999999999\r\n"]
        assert_equal "Some\nstring" [decode "=15\r\ntxt:Some\nstring\r\n"]
        assert_equal {a 1 b {x y}} [decode "%2\r\n+a\r\n:1\r\n\$1\r\nb\r\n*2\r\n+x\r\n+y\r\n"]
        assert_equal 1 [dict get [decode "%2\r\n+a\r\n:1\r\n\$1\r\nb\r\n*2\r\n+x\r\n+y\r\n"] a]
        assert_equal {0 1 2} [decode "~3\r\n:0\r\n:1\r\n:2\r\n"]
        assert_equal {invalidate {k1 k2}} [decode ">2\r\n\$10\r\ninvalidate\r\n*2\r\n\$2\r\nk1\r\n\$2\r\nk2\r\n"]
    }

    test "Decoder: attributes are kept aside and the reply after them returned" {
        set c [fake_client]
        set v [$c reply "|1\r\n+key-popularity\r\n*2\r\n+a\r\n:90\r\n+real reply\r\n"]
        assert_equal "real reply" $v
        assert_equal {key-popularity {a 90}} [$c attributes]
        $c close
    }

    test "Decoder: readraw returns the raw reply lines" {
        set c [fake_client]
        $c readraw 1
        assert_equal "\$3" [$c reply "\$3\r\nfoo\r\n"]
        assert_equal "foo" [$c read]
        assert_equal "%1" [$c reply "%1\r\n+a\r\n:1\r\n"]
        assert_equal "+a" [$c read]
        assert_equal ":1" [$c read]
        $c readraw 0
        assert_equal 7 [$c reply ":7\r\n"]
        $c close
    }

    test "Decoder: an unknown type byte is a protocol error" {
        assert_error "protocol error: unexpected reply type*" {decode "?what\r\n"}
    }

    test "Client: a read times out instead of hanging" {
        set c [fake_client]
        $c timeout 0.2
        $c write "*1\r\n\$4\r\nnoop\r\n"
        $c flush
        assert_error "ERR fake server*" {$c read}
        # nothing more is coming
        assert_error "I/O timeout*" {$c read}
        $c close
    }

    test "Client: the server closing the connection is an I/O error" {
        set c [fake_client]
        $c deferred 1
        $c close_me_please
        $c deferred 0
        assert_error "ERR fake server*" {$c read}
        $c write "*1\r\n\$5\r\nclose\r\n"
        $c flush
        assert_error "I/O error reading reply: connection closed by server*" {$c read}
        assert_equal 1 [$c closed]
        $c close
    }

    test "Client: arguments are sent as bytes, text above U+00FF as UTF-8" {
        assert_equal "*2\r\n\$1\r\na\r\n\$2\r\n\xe9\xff\r\n" [resp::encode [list a "\xe9\xff"]]
        set euro [encoding convertfrom utf-8 "\xe2\x82\xac"]
        assert_equal "*1\r\n\$3\r\n\xe2\x82\xac\r\n" [resp::encode [list $euro]]
    }

    # ---- assertions ----

    test "Assertions pass quietly" {
        assert {1 + 1 == 2}
        assert_equal abc abc
        assert_not_equal abc abd
        assert_match "a*c" abbbc
        assert_no_match "a*d" abc
        assert_equal_unordered {c a b} {a b c}
        assert_dict_equal {a 1 b 2} {b 2 a 1}
        assert_range 5 1 10
        assert_morethan 3 2
        assert_morethan_equal 3 3
        assert_lessthan 2 3
        assert_lessthan_equal 3 3
        assert_equal "ERR x" [assert_error "ERR*" {error "ERR x"}]
        set n 0
        wait_for_condition 50 1 {[incr n] >= 3} else { fail "never" }
        assert_equal 3 $n
    }

    test "Assertions fail with a message and the caller's line" {
        set text [split [th::read_file [info script]] "\n"]
        set mark [lsearch -glob $text "*;# LINE-MARK-1"]
        catch {assert_equal expected-value got-value} e opts ;# LINE-MARK-1
        assert_equal SHOAL_ASSERT [lindex [dict get $opts -errorcode] 0]
        assert_match "*expected: 'expected-value'*got:      'got-value'*" $e
        assert_equal "tests/unit/harness.tcl:[expr {$mark + 1}]" [lindex [dict get $opts -errorcode] 1]

        foreach i {1 2} {
            if {$i == 2} {
                catch {assert_match "x*" yz} e opts ;# LINE-MARK-2
            }
        }
        set mark [lsearch -glob $text "*;# LINE-MARK-2"]
        assert_equal "tests/unit/harness.tcl:[expr {$mark + 1}]" [lindex [dict get $opts -errorcode] 1]
        assert_match "*pattern: 'x\\*'*got:     'yz'*" $e

        catch {wait_for_condition 3 1 {0} else { fail "gave up" }} e opts ;# LINE-MARK-3
        set mark [lsearch -glob $text "*;# LINE-MARK-3"]
        assert_equal "gave up" $e
        assert_equal "tests/unit/harness.tcl:[expr {$mark + 1}]" [lindex [dict get $opts -errorcode] 1]
    }

    test "Assertion failure messages" {
        catch {assert {1 > 2}} e
        assert_equal "assertion failed: 1 > 2" $e
        catch {assert_error "ERR*" {set x 1}} e
        assert_match "assert_error failed: no error raised*result: '1'" $e
        catch {assert_error "ERR*" {error "WRONGTYPE y"}} e
        assert_match "*does not match*error:   'WRONGTYPE y'" $e
        catch {assert_range 11 1 10} e
        assert_match "*'11' to be between 1 and 10" $e
        catch {assert_equal "a\r\n\x00" "a\r\n\x01"} e
        assert {[string first {expected: 'a\r\n\x00'} $e] > 0} $e
        assert {[string first {got:      'a\r\n\x01'} $e] > 0} $e
        catch {assert_equal [string repeat a 1000] "[string repeat a 500]b"} e
        assert_match "*first difference at offset 500*" $e
        catch {fail "custom"} e
        assert_equal custom $e
    }

    test "Tag filters" {
        set saved [list $::th::allow_tags $::th::deny_tags]
        set ::th::allow_tags {}
        set ::th::deny_tags {slow}
        assert_equal 1 [th::tags_acceptable {a b}]
        assert_equal 0 [th::tags_acceptable {a slow}]
        set ::th::allow_tags {x}
        assert_equal 0 [th::tags_acceptable {a b}]
        assert_equal 1 [th::tags_acceptable {a x}]
        lassign $saved ::th::allow_tags ::th::deny_tags
    }
}

# ---- server helpers ----

start_server {tags {harness} overrides {maxclients 100}} {
    test "srv properties and the default client" {
        assert_equal 127.0.0.1 [srv host]
        assert {[srv port] > 0 && [srv pid] > 0}
        assert {[file exists [srv stdout]]}
        assert {[file exists [srv config_file]]}
        assert_match "*maxclients 100*" [th::read_file [srv config_file]]
        assert_equal PONG [r ping]
        assert {[server_is_alive]}
    }

    test "Deferring clients" {
        set rd [redis_deferring_client]
        assert_equal "" [$rd set h:k 1]
        assert_equal "" [$rd incr h:k]
        assert_equal OK [$rd read]
        assert_equal 2 [$rd read]
        $rd close
    }

    test "readraw on the default client, reconnect" {
        r readraw 1
        assert_equal "+OK" [r set h:k v]
        assert_equal "\$1" [r get h:k]
        assert_equal "v" [r read]
        r readraw 0
        reconnect
        assert_equal v [r get h:k]
    }

    test "r hello 3 switches the client to RESP3" {
        set c [redis_client]
        assert_equal 2 [$c proto]
        set reply [$c hello 3]
        assert_equal 3 [dict get $reply proto]
        assert_equal 3 [$c proto]
        $c readraw 1
        assert_equal "_" [$c get h:missing]
        $c close
    }

    start_server {tags {harness}} {
        test "Nested servers: r -1 and srv -1" {
            assert {[srv port] != [srv -1 port]}
            r -1 set h:outer 1
            assert_equal 1 [r -1 get h:outer]
            assert_equal "" [r get h:outer]
            set c [redis_client -1]
            assert_equal 1 [$c get h:outer]
            $c close
        }
    }

    test "start_server rejects unknown options" {
        assert_error "start_server: unknown option \"overide\"*" {
            start_server {overide {a b}} {}
        }
    }

    test "The inner server was stopped" {
        assert_error "no server at level -1*" {srv -1 port}
    }

    test "shoal-only tests are skipped on other servers" {
        assert {[is_shoal]}
    } {shoal-only}
}

start_server {tags {harness} unixsocket 1} {
    test "Unix socket clients" {
        assert_match "*socket*" [srv unixsocket]
        set c [redis_unix_client]
        assert_equal PONG [$c ping]
        set rd [redis_unix_client 0 -deferred 1]
        $rd incr h:u
        assert_equal 1 [$rd read]
        $rd close
        $c close
    }
}

start_reference_server {tags {harness}} {
    test "A reference server is a real Redis" {
        assert_match "*redis_version:*" [ref info server]
        assert_equal PONG [ref ping]
    }
}

# ---- the runner itself ----

proc run_helper {file args} {
    set code 0
    if {[catch {exec [info nameofexecutable] [file join $::th::root tests test_helper.tcl] \
            --single $file --server $::th::server_bin --jobs 1 {*}$args 2>@1} out opts]} {
        set ec [dict get $opts -errorcode]
        set code [expr {[lindex $ec 0] eq "CHILDSTATUS" ? [lindex $ec 2] : $ec}]
        regsub {\nchild process exited abnormally$} $out "" out
    }
    return [list $code $out]
}

proc write_tmp {name text} {
    set path [file join $::th::root tests tmp "$name.[pid].tcl"]
    set fd [open $path w]
    puts -nonewline $fd $text
    close $fd
    return $path
}

tags {harness} {
    test "Runner: a failing test gives a report and a non-zero exit" {
        set f [write_tmp selftest-fail "test \"passes\" {\n    assert_equal 1 1\n}\ntest \"fails\" {\n    set x 1\n    assert_equal 2 \$x\n}\ntest \"skipped\" {\n    skip \"not today\"\n}\n"]
        lassign [run_helper $f] code out
        file delete $f
        assert_equal 1 $code
        set lines [split [string trimright $out "\n"] "\n"]
        assert_equal "1 passed, 1 failed, 1 skipped" [lindex $lines end]
        assert_match "*\\\[err\\\]: fails (*selftest-fail*)*at tests/tmp/selftest-fail.*.tcl:6*expected: '2'*got:      '1'*" $out
        assert_match "*\\\[skip\\\]: skipped -- not today*" $out
    }

    test "Runner: a passing file exits 0" {
        set f [write_tmp selftest-pass "test \"passes\" {\n    assert_equal 1 1\n}\n"]
        lassign [run_helper $f] code out
        file delete $f
        assert_equal 0 $code
        assert_equal "1 passed, 0 failed" [lindex [split [string trimright $out "\n"] "\n"] end]
    }

    test "Runner: a hung file is killed at --timeout and counted failed" {
        set f [write_tmp selftest-hang "test \"hangs\" {\n    after 60000\n}\n"]
        lassign [run_helper $f --timeout 1] code out
        file delete $f
        assert_equal 1 $code
        assert_match "*timed out after 1 s*while running test \"hangs\"*" $out
        assert_equal "0 passed, 1 failed" [lindex [split [string trimright $out "\n"] "\n"] end]
    }

    test "Runner: a crashing file and an error outside tests are failures" {
        set f [write_tmp selftest-crash "test \"ok\" {}\nexit 7\n"]
        lassign [run_helper $f] code out
        file delete $f
        assert_equal 1 $code
        assert_match "*exited unexpectedly (exit status 7)*" $out
        assert_equal "1 passed, 1 failed" [lindex [split [string trimright $out "\n"] "\n"] end]

        set f [write_tmp selftest-error "test \"ok\" {}\nnosuchproc\n"]
        lassign [run_helper $f] code out
        file delete $f
        assert_equal 1 $code
        assert_match "*error outside a test: invalid command name \"nosuchproc\"*" $out
    }
}

close $::fake
