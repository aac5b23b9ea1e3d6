# tests/integration/k8s_manifests.tcl -- the Kubernetes example in deploy/k8s/
# (issue 6): every file passes yamllint --strict (Debian's yamllint, in
# deps/packages.txt), every object validates against the Kubernetes object
# schemas (tests/helpers/k8s-validate.mjs: npm kubernetes-models and yaml,
# installed into tests/.node by deps/install-node-tools.sh), the validator
# does reject broken copies, and the sidecar wiring agrees with itself, the
# Service and the image (Dockerfile, deploy/runtime-files). Tests that need
# node, npm or the npm registry skip, with the reason, when they are missing.

set k8s_dir [file join $::th::root deploy k8s]
set k8s_files [lsort [glob -directory $k8s_dir *.yaml]]
set k8s_validator [file join $::th::root tests helpers k8s-validate.mjs]
set k8s_tmp [file join $::th::tmproot "k8s.[pid]"]
file delete -force $k8s_tmp
file mkdir $k8s_tmp

# Runs a command; {status output} (status = exit code, output with stderr).
proc k8s_run {args} {
    if {[catch {exec {*}$args 2>@1} out opts]} {
        set ec [dict get $opts -errorcode]
        if {[lindex $ec 0] ne "CHILDSTATUS"} { error $out }
        return [list [lindex $ec 2] $out]
    }
    return [list 0 $out]
}

# "" when the validator can run, else why not (installs the npm packages
# the first time: a few seconds).
set k8s_why_not ""
proc k8s_tools {} {
    if {$::k8s_why_not ne ""} { return $::k8s_why_not }
    if {[info exists ::k8s_ready]} { return "" }
    foreach t {node npm} {
        if {[auto_execok $t] eq ""} {
            return [set ::k8s_why_not "$t is not installed (the machine's Node.js)"]
        }
    }
    lassign [k8s_run timeout 180 sh [file join $::th::root deps install-node-tools.sh]] st out
    if {$st != 0} {
        # its own last words (npm's log is long)
        set last [lsearch -all -inline [split $out "\n"] "install-node-tools:*"]
        if {$last eq ""} { set last [list [lindex [split [string trim $out] "\n"] end]] }
        return [set ::k8s_why_not "deps/install-node-tools.sh failed: [lindex $last end]"]
    }
    set ::k8s_ready 1
    return ""
}

# What the manifests say: dict "Kind/name .path" -> value (see --flat).
proc k8s_flat {} {
    lassign [k8s_run node $::k8s_validator --flat {*}$::k8s_files] st out
    assert_equal 0 $st "k8s-validate --flat: $out"
    set d [dict create]
    foreach line [split $out "\n"] {
        if {[regexp {^(\S+) (\S+) ?(.*)$} $line -> obj path value]} {
            dict set d "$obj $path" $value
        }
    }
    return $d
}

tags {k8s} {
    test "deploy/k8s: every manifest passes yamllint --strict" {
        if {[auto_execok yamllint] eq ""} { skip "yamllint is not installed (deps/packages.txt: make deps)" }
        lassign [k8s_run yamllint --strict --format parsable {*}$k8s_files] st out
        assert_equal 0 $st "yamllint:\n$out"
    }

    test "deploy/k8s: every object validates against the Kubernetes schemas (kubernetes-models)" {
        set why [k8s_tools]
        if {$why ne ""} { skip $why }
        lassign [k8s_run node $k8s_validator {*}$k8s_files] st out
        assert_equal 0 $st "k8s-validate:\n$out"
        set objs {}
        foreach line [split $out "\n"] {
            if {[regexp {^ok \S+ (\S+)$} $line -> obj]} { lappend objs $obj }
        }
        assert_equal_unordered {Deployment/web Service/shoal-headless} $objs $out
    }

    test "deploy/k8s: the validator rejects broken manifests" {
        set why [k8s_tools]
        if {$why ne ""} { skip $why }
        set deploy [th::read_file [file join $k8s_dir deployment.yaml]]
        set service [th::read_file [file join $k8s_dir shoal-headless.yaml]]
        # each broken copy: what changes, and what the validator must say
        set cases [list \
            misspelt-field $deploy {  replicas: 3} {  replica: 3} "*unknown field(s): .spec.replica*" \
            nested-misspelt $deploy {imagePullPolicy:} {imagePolicy:} "*containers\\\[1\\\].imagePolicy*" \
            wrong-type $deploy {containerPort: 9121} {containerPort: "nine"} "*containerPort must be integer*" \
            bad-quantity $deploy {memory: 256Mi} {memory: lots} "*memory must match format \"quantity\"*" \
            missing-required $deploy {fieldPath: status.podIP} {fieldpath: status.podIP} "*must have required property fieldPath*" \
            unknown-kind $service {kind: Service} {kind: Servise} "*unknown apiVersion/kind v1 Servise*" \
            not-yaml $service {  clusterIP: None} "  clusterIP: \[None" "FAIL *"]
        foreach {name text from to expect} $cases {
            assert {[string first $from $text] >= 0} "$name: '$from' not in the manifest any more"
            set f [file join $k8s_tmp $name.yaml]
            set fd [open $f w]
            puts -nonewline $fd [string map [list $from $to] $text]
            close $fd
            lassign [k8s_run node $k8s_validator $f] st out
            assert_equal 1 $st "$name: accepted:\n$out"
            assert_match $expect $out $name
        }
    }

    test "deploy/k8s: the sidecar is wired to the Service, the image and the issue's settings" {
        set why [k8s_tools]
        if {$why ne ""} { skip $why }
        set m [k8s_flat]
        set D "Deployment/web .spec.template"
        set C "$D.spec.containers\[shoal\]"
        set S "Service/shoal-headless .spec"
        assert_equal shoal:latest [dict get $m "$C.image"]
        assert_equal 30 [dict get $m "$D.spec.terminationGracePeriodSeconds"]
        # discovery: the seeds are the headless Service's DNS name and port
        assert_equal None [dict get $m "$S.clusterIP"]
        set svc [dict get $m "Service/shoal-headless .metadata.name"]
        set ns [dict get $m "Service/shoal-headless .metadata.namespace"]
        set port [dict get $m "$S.ports\[cluster-tcp\].port"]
        assert_equal yes [dict get $m "$C.env\[SHOAL_CLUSTER_ENABLED\].value"]
        assert_equal "$svc.$ns.svc.cluster.local:$port" [dict get $m "$C.env\[SHOAL_CLUSTER_SEEDS\].value"]
        assert_equal status.podIP [dict get $m "$C.env\[SHOAL_CLUSTER_ANNOUNCE_IP\].valueFrom.fieldRef.fieldPath"]
        assert_equal $ns [dict get $m "Deployment/web .metadata.namespace"]
        # the Service selects the pods
        dict for {k v} $m {
            if {[regexp "^Service/shoal-headless \\.spec\\.selector\\.(.+)\$" $k -> label]} {
                assert_equal $v [dict get $m "$D.metadata.labels.$label"] "selector $label"
            }
        }
        # ports: the ones the image exposes, the Service's target the pod's
        set df [th::read_file [file join $::th::root Dockerfile]]
        foreach {name number proto} {redis 6379 TCP cluster-tcp 16379 TCP cluster-udp 16379 UDP metrics 9121 TCP} {
            assert_equal $number [dict get $m "$C.ports\[$name\].containerPort"] $name
            assert_equal $proto [dict get $m "$C.ports\[$name\].protocol"] $name
            assert_match "*EXPOSE*$number/[string tolower $proto]*" $df "Dockerfile EXPOSE $number/$proto"
        }
        foreach name {cluster-tcp cluster-udp} {
            assert_equal $name [dict get $m "$S.ports\[$name\].targetPort"]
        }
        assert_match "*SHOAL_METRICS_PORT=9121*" $df
        # probes on the metrics port
        assert_equal /readyz [dict get $m "$C.readinessProbe.httpGet.path"]
        assert_equal metrics [dict get $m "$C.readinessProbe.httpGet.port"]
        assert_equal /healthz [dict get $m "$C.livenessProbe.httpGet.path"]
        assert_equal metrics [dict get $m "$C.livenessProbe.httpGet.port"]
        # limits shoal's cgroup-aware defaults read, requests for scheduling
        foreach k {limits.memory limits.cpu requests.memory requests.cpu} {
            assert {[dict exists $m "$C.resources.$k"]} "no resources.$k"
        }
        # the image's user
        lassign [exec [file join $::th::root deploy runtime-rootfs.sh] --user] user uid
        assert_equal $uid [dict get $m "$C.securityContext.runAsUser"]
    }
}

if {$::th::failed == 0} { file delete -force $k8s_tmp }
