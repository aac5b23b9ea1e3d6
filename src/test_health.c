/* test_health.c -- unit tests of health.c: loops that stall and recover;
 * readiness without the cluster, while joining, settling, alone among its
 * seeds, latched through later membership changes, and lost at shutdown. */
#include <stdio.h>
#include <string.h>

#include "health.h"

#include "test_check.h"

#define T 1000   /* probe interval, ms */

static void test_liveness(void) {
    struct health_loop loops[3];
    struct liveness l;
    int64_t stalled = 0;

    liveness_init(&l, loops, 3, 0);
    CHECK(liveness_stalled(&l, 0, &stalled) == -1, "fresh: nothing stalled");
    CHECK(liveness_stalled(&l, HEALTH_STALL_MS - 1, &stalled) == -1, "just under the bound");
    CHECK(liveness_stalled(&l, HEALTH_STALL_MS, &stalled) == 0 && stalled == HEALTH_STALL_MS,
          "no loop ever moved");

    int64_t now = 5000;
    for (size_t i = 0; i < 3; i++) liveness_sample(&l, i, 1, now);
    now += HEALTH_STALL_MS - 1;
    CHECK(liveness_stalled(&l, now, &stalled) == -1, "all moved at 5000");
    liveness_sample(&l, 0, 2, now);
    liveness_sample(&l, 2, 7, now);
    liveness_sample(&l, 1, 1, now);      /* the same count: no progress */
    now += 1;
    CHECK(liveness_stalled(&l, now, &stalled) == 1 && stalled == HEALTH_STALL_MS,
          "loop 1 stalled: %lld", (long long)stalled);
    liveness_sample(&l, 1, 2, now);
    CHECK(liveness_stalled(&l, now, &stalled) == -1, "loop 1 recovered");
    liveness_sample(&l, 9, 1, now);      /* out of range: ignored */
    CHECK(liveness_stalled(&l, now, NULL) == -1, "NULL stalled_ms");
}

static void test_readiness_standalone(void) {
    struct readiness r;
    struct readiness_input in = {.probe_interval_ms = T};
    const char *why = NULL;

    memset(&r, 0, sizeof(r));
    CHECK(readiness_update(&r, &in, 0, &why) == 0 && strstr(why, "starting"),
          "loops not started: %s", why);
    in.loops_started = 1;
    CHECK(readiness_update(&r, &in, 1, &why) == 1 && !strcmp(why, "ready"), "ready: %s", why);
    in.shutting_down = 1;
    CHECK(readiness_update(&r, &in, 2, &why) == 0 && !strcmp(why, "shutting down"),
          "shutdown wins over the latch: %s", why);

    memset(&r, 0, sizeof(r));
    in.loops_started = 1;
    CHECK(readiness_update(&r, &in, 0, &why) == 0 && !strcmp(why, "shutting down"),
          "shutting down before ever ready");
}

static void test_readiness_cluster(void) {
    struct readiness r;
    struct readiness_input in = {.loops_started = 1, .cluster = 1, .has_seeds = 1,
                                 .map_version = 100, .probe_interval_ms = T};
    const char *why = NULL;
    int64_t now = 1000;

    /* a node with seeds, nobody alive yet: joining */
    memset(&r, 0, sizeof(r));
    CHECK(readiness_update(&r, &in, now, &why) == 0 && strstr(why, "joining"), "%s", why);
    now += 2 * T;
    CHECK(readiness_update(&r, &in, now, &why) == 0 && strstr(why, "joining"), "still %s", why);
    /* it meets another member: the map changes, then must settle */
    in.others_alive = 1;
    in.map_version = 200;
    CHECK(readiness_update(&r, &in, now, &why) == 0 && strstr(why, "settling"), "%s", why);
    now += HEALTH_SETTLE * T - 1;
    CHECK(readiness_update(&r, &in, now, &why) == 0 && strstr(why, "settling"), "1 ms early");
    /* a third member: the map moves again, settling starts over */
    in.others_alive = 2;
    in.map_version = 300;
    now += 1;
    CHECK(readiness_update(&r, &in, now, &why) == 0 && strstr(why, "settling"), "moved again");
    now += HEALTH_SETTLE * T;
    CHECK(readiness_update(&r, &in, now, &why) == 1, "settled: %s", why);

    /* latched: later membership changes keep it ready */
    in.others_alive = 0;
    in.map_version = 400;
    now += 1;
    CHECK(readiness_update(&r, &in, now, &why) == 1, "latched through a change: %s", why);
    in.shutting_down = 1;
    CHECK(readiness_update(&r, &in, now + 1, &why) == 0 && !strcmp(why, "shutting down"),
          "but not through shutdown");
}

static void test_readiness_founder(void) {
    struct readiness r;
    struct readiness_input in = {.loops_started = 1, .cluster = 1, .has_seeds = 0,
                                 .map_version = 7, .probe_interval_ms = T};
    const char *why = NULL;

    /* no seeds: founds the cluster, ready once its map settled */
    memset(&r, 0, sizeof(r));
    CHECK(readiness_update(&r, &in, 0, &why) == 0 && strstr(why, "settling"), "%s", why);
    CHECK(readiness_update(&r, &in, HEALTH_SETTLE * T, &why) == 1, "founder ready: %s", why);

    /* seeds, but nobody ever answers: ready alone after the grace */
    memset(&r, 0, sizeof(r));
    in.has_seeds = 1;
    CHECK(readiness_update(&r, &in, 0, &why) == 0 && strstr(why, "joining"), "%s", why);
    CHECK(readiness_update(&r, &in, HEALTH_JOIN_GRACE * T - 1, &why) == 0, "before the grace");
    CHECK(readiness_update(&r, &in, HEALTH_JOIN_GRACE * T, &why) == 1, "alone: %s", why);

    /* a probe interval of 0 (unset) is read as 1 s */
    memset(&r, 0, sizeof(r));
    in.probe_interval_ms = 0;
    in.has_seeds = 0;
    CHECK(readiness_update(&r, &in, 0, &why) == 0, "settling");
    CHECK(readiness_update(&r, &in, HEALTH_SETTLE * 1000, &why) == 1, "default interval");
}

int main(void) {
    test_liveness();
    test_readiness_standalone();
    test_readiness_cluster();
    test_readiness_founder();
    return test_report();
}
