/* test_swim.c -- unit tests of the SWIM/Lifeguard membership core
 * (swim.c) over a deterministic fake network of a few nodes: joining,
 * convergence, failure detection, refutation, leave, partition healing,
 * hostile packets, push-pull, the retransmit limit and local health. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "swim.h"

#include "test_check.h"

#define MAXN 12
#define MAXPKT 4096
#define LATENCY_MS 1

struct node {
    struct swim *s;
    struct swim_addr addr;
    char id[SWIM_ID_LEN + 1];
    int up;                      /* 0: crashed (or not started) */
    int group;                   /* partition: only equal groups talk */
    int mute;                    /* drop everything it sends */
    int64_t stall_until;         /* starved: does nothing before this */
    int events[4];               /* STATE events into each state, about `watch` */
};

struct packet {
    int64_t at;
    int to;
    struct swim_addr from;
    size_t len;
    unsigned char buf[SWIM_MAX_PACKET];
};

struct net {
    struct node n[MAXN];
    int nn;
    int64_t now;
    struct packet *pk;
    int npk;
    int watch;                   /* node whose state changes we count */
    uint64_t trace;              /* hash of every packet: determinism */
    /* retransmit check: packets from `count_from` carrying `count_id` */
    int count_from, count_on;
    unsigned char count_id[20];
    int counted;
    /* where node `ping_from` sent its first ping since armed (-1: none) */
    int ping_from, first_ping_to;
    /* a copy of the last packet sent (hostile-input tests mutate it) */
    unsigned char last[SWIM_MAX_PACKET];
    size_t last_len;
};

static void make_id(int i, uint64_t salt, char out[SWIM_ID_LEN + 1]) {
    uint64_t x = (uint64_t)i * 0x9e3779b97f4a7c15ULL + salt;
    for (int k = 0; k < SWIM_ID_LEN; k++) {
        x ^= x >> 29;
        x *= 0xbf58476d1ce4e5b9ULL;
        out[k] = "0123456789abcdef"[(x >> 60) & 15];
    }
    out[SWIM_ID_LEN] = '\0';
}

static struct swim_addr addr_of(int i) {
    struct swim_addr a;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.ip[0] = 127;
    a.ip[3] = 1;
    a.port = (uint16_t)(17000 + i);
    return a;
}

static int node_of(const struct net *w, const struct swim_addr *a) {
    for (int i = 0; i < w->nn; i++)
        if (w->n[i].addr.port == a->port) return i;
    return -1;
}

static void net_init(struct net *w, int nn, uint64_t seed) {
    memset(w, 0, sizeof(*w));
    w->nn = nn;
    w->watch = -1;
    w->count_from = -1;
    w->ping_from = -1;
    w->pk = calloc(MAXPKT, sizeof(*w->pk));
    struct swim_config cfg;
    swim_config_defaults(&cfg);
    for (int i = 0; i < nn; i++) {
        struct node *n = &w->n[i];
        n->addr = addr_of(i);
        make_id(i, seed, n->id);
        n->s = swim_create(&cfg, n->id, &n->addr, (uint16_t)(6379 + i), seed * 1000 + (uint64_t)i, 0);
        n->up = 1;
    }
}

static void net_free(struct net *w) {
    for (int i = 0; i < w->nn; i++) swim_destroy(w->n[i].s);
    free(w->pk);
}

static int can_talk(const struct net *w, int a, int b) {
    return w->n[a].up && w->n[b].up && w->n[a].group == w->n[b].group;
}

static void id_bin(const char *hex, unsigned char out[20]) {
    for (int i = 0; i < 20; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (unsigned char)v;
    }
}

static int contains(const unsigned char *buf, size_t len, const unsigned char *needle) {
    for (size_t i = 0; i + 20 <= len; i++)
        if (!memcmp(buf + i, needle, 20)) return 1;
    return 0;
}

static void sync_pair(struct net *w, int a, int b);

/* Takes everything node i wants to output. */
static void drain(struct net *w, int i) {
    struct node *n = &w->n[i];
    struct swim_event ev;
    while (swim_pop_event(n->s, &ev)) {
        if (w->watch >= 0 && ev.kind == SWIM_EV_STATE && !strcmp(ev.member.id, w->n[w->watch].id))
            n->events[ev.member.state]++;
        if (i == w->count_from && ev.kind == SWIM_EV_STATE && ev.member.state == SWIM_LEFT)
            w->count_on = 1;
    }
    struct swim_addr to;
    unsigned char buf[SWIM_MAX_PACKET];
    size_t len;
    while ((len = swim_pop_packet(n->s, &to, buf, sizeof(buf))) > 0) {
        for (size_t k = 0; k < len; k++) w->trace = (w->trace ^ buf[k]) * 0x100000001b3ULL;
        memcpy(w->last, buf, len);
        w->last_len = len;
        if (i == w->count_from && w->count_on && contains(buf, len, w->count_id)) w->counted++;
        int dst = node_of(w, &to);
        /* byte 7 is the message type after version, name length, "shoal"; 1 = ping */
        if (i == w->ping_from && w->first_ping_to < 0 && len > 7 && buf[7] == 1)
            w->first_ping_to = dst;
        if (dst < 0 || n->mute || !can_talk(w, i, dst) || w->npk == MAXPKT) continue;
        struct packet *p = &w->pk[w->npk++];
        p->at = w->now + LATENCY_MS;
        p->to = dst;
        p->from = n->addr;
        p->len = len;
        memcpy(p->buf, buf, len);
    }
    while (swim_pop_sync(n->s, &to)) {
        int dst = node_of(w, &to);
        if (dst >= 0 && can_talk(w, i, dst) && !n->mute) sync_pair(w, i, dst);
    }
}

/* A TCP push-pull, done at once: the acceptor merges before it answers. */
static void sync_pair(struct net *w, int a, int b) {
    static unsigned char bufa[1 << 16], bufb[1 << 16];
    size_t la = swim_encode_state(w->n[a].s, w->now, bufa, sizeof(bufa));
    swim_merge_state(w->n[b].s, w->now, bufa, la);
    size_t lb = swim_encode_state(w->n[b].s, w->now, bufb, sizeof(bufb));
    swim_merge_state(w->n[a].s, w->now, bufb, lb);
    drain(w, b);
    drain(w, a);
}

static int64_t next_event(const struct net *w) {
    int64_t t = INT64_MAX;
    for (int i = 0; i < w->nn; i++) {
        if (!w->n[i].up) continue;
        int64_t nt = swim_next_timer(w->n[i].s);
        if (nt < w->n[i].stall_until) nt = w->n[i].stall_until;
        if (nt < t) t = nt;
    }
    for (int k = 0; k < w->npk; k++) {
        int64_t at = w->pk[k].at;
        if (at < w->n[w->pk[k].to].stall_until) at = w->n[w->pk[k].to].stall_until;
        if (at < t) t = at;
    }
    return t;
}

/* Runs the network until `end`: at each instant, due timers first (as a
 * libev loop does after a stall), then due packets in send order. */
static void run_until(struct net *w, int64_t end) {
    for (long guard = 0; guard < 50000000; guard++) {
        int64_t t = next_event(w);
        if (t > end) break;
        if (t > w->now) w->now = t;
        for (int i = 0; i < w->nn; i++) {
            struct node *n = &w->n[i];
            if (n->up && n->stall_until <= w->now && swim_next_timer(n->s) <= w->now) {
                swim_on_timer(n->s, w->now);
                drain(w, i);
            }
        }
        int keep = 0, due = w->npk;
        for (int k = 0; k < due; k++) {
            struct packet *p = &w->pk[k];
            struct node *n = &w->n[p->to];
            if (p->at > w->now || n->stall_until > w->now) {
                if (keep != k) w->pk[keep] = *p;
                keep++;
                continue;
            }
            if (n->up) {
                swim_on_packet(n->s, w->now, &p->from, p->buf, p->len);
                drain(w, p->to);
            }
        }
        /* packets sent while delivering were appended after `due` */
        memmove(&w->pk[keep], &w->pk[due], (size_t)(w->npk - due) * sizeof(*w->pk));
        w->npk = keep + (w->npk - due);
    }
    w->now = end;
}

/* Node a's view of node b: its state, or -1 if a doesn't know b. */
static int view(const struct net *w, int a, int b) {
    const struct swim *s = w->n[a].s;
    for (size_t i = 0; i < swim_member_count(s); i++) {
        const struct swim_member *m = swim_member_at(s, i);
        if (!strcmp(m->id, w->n[b].id)) return (int)m->state;
    }
    return -1;
}

/* Every running node sees every running node alive. */
static int converged(const struct net *w) {
    for (int a = 0; a < w->nn; a++)
        for (int b = 0; b < w->nn; b++)
            if (a != b && w->n[a].up && w->n[b].up && view(w, a, b) != SWIM_ALIVE) return 0;
    return 1;
}

/* Runs until `cond` holds (checked every 100 ms) or `limit` ms pass;
 * returns the time it took, or -1. */
static int64_t run_until_cond(struct net *w, int (*cond)(const struct net *), int64_t limit) {
    int64_t start = w->now;
    while (w->now - start <= limit) {
        if (cond(w)) return w->now - start;
        run_until(w, w->now + 100);
    }
    return -1;
}

/* Joins all nodes: node i seeds node i-1 (a chain). */
static void join_chain(struct net *w) {
    for (int i = 1; i < w->nn; i++) {
        swim_add_seed(w->n[i].s, &w->n[i - 1].addr);
        drain(w, i);
    }
}

static void test_create(void) {
    struct swim_addr a = addr_of(0);
    CHECK(swim_create(NULL, "abc", &a, 1, 1, 0) == NULL, "short id accepted");
    CHECK(swim_create(NULL, "zz34567890123456789012345678901234567890", &a, 1, 1, 0) == NULL,
          "non-hex id accepted");
    struct swim *s = swim_create(NULL, "ABCDEF7890123456789012345678901234567890", &a, 6379, 1, 0);
    CHECK(s != NULL, "upper-case hex id refused");
    CHECK(s && !strcmp(swim_self(s)->id, "abcdef7890123456789012345678901234567890"),
          "id not reported in lower case");
    CHECK(s && swim_member_count(s) == 1 && swim_member_at(s, 0) == swim_self(s),
          "a new node should know only itself");
    swim_destroy(s);
}

/* Pairs (a, b) of running nodes where a sees b alive. */
static int alive_pairs(const struct net *w) {
    int n = 0;
    for (int a = 0; a < w->nn; a++)
        for (int b = 0; b < w->nn; b++)
            n += a != b && w->n[a].up && w->n[b].up && view(w, a, b) == SWIM_ALIVE;
    return n;
}

static void test_join_and_converge(void) {
    struct net w;
    net_init(&w, 8, 1);
    join_chain(&w);
    /* Gossip spreads each join lambda*ceil(log10(N+1)) = 4 times per node,
     * so in a cluster this small a node misses one now and then; the next
     * push-pull (within 30 s) mops up. */
    run_until(&w, 5000);
    CHECK(alive_pairs(&w) >= 8 * 7 * 9 / 10, "only %d of 56 pairs alive after 5 s",
          alive_pairs(&w));
    int64_t t = run_until_cond(&w, converged, 40000);
    CHECK(t >= 0 && t <= 30000, "8 nodes joined through a seed chain converged in %lld ms",
          (long long)(t + 5000));
    for (int i = 0; i < w.nn; i++)
        CHECK(swim_member_count(w.n[i].s) == 8, "node %d knows %zu members", i,
              swim_member_count(w.n[i].s));
    /* and it stays so: no suspicion in a healthy cluster */
    run_until(&w, w.now + 60000);
    uint64_t susp = 0;
    for (int i = 0; i < w.nn; i++) susp += swim_get_stats(w.n[i].s)->suspicions;
    CHECK(converged(&w) && susp == 0, "healthy cluster: %llu suspicions", (unsigned long long)susp);
    net_free(&w);
}

static void test_join_waits_for_seed(void) {
    /* the seed is down at first: the joiner keeps asking until it answers */
    struct net w;
    net_init(&w, 2, 2);
    w.n[0].up = 0;
    swim_add_seed(w.n[1].s, &w.n[0].addr);
    run_until(&w, 20000);
    CHECK(swim_member_count(w.n[1].s) == 1, "joined a seed that is down");
    w.n[0].up = 1;
    int64_t t = run_until_cond(&w, converged, 60000);
    CHECK(t >= 0 && t <= 35000, "joined %lld ms after the seed came up", (long long)t);
    net_free(&w);
}

static int watched_dead_everywhere(const struct net *w) {
    for (int a = 0; a < w->nn; a++)
        if (a != w->watch && w->n[a].up && view(w, a, w->watch) != SWIM_DEAD) return 0;
    return 1;
}

static void test_crash_detection(void) {
    struct net w;
    net_init(&w, 5, 3);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 5000);
    w.watch = 4;
    w.n[4].up = 0;
    int64_t t = run_until_cond(&w, watched_dead_everywhere, 120000);
    /* Bound: every node probes the dead one within 2(N-1) periods (round
     * robin, reshuffled), then the suspicion timeout: min = alpha*1 s here
     * (log10(5) < 1), max = beta*min = 24 s without confirmations. With
     * three others confirming it must sit far below the max. */
    CHECK(t > 4000 && t <= 8000 + 4000 + 2000, "crash declared dead everywhere after %lld ms",
          (long long)t);
    for (int a = 0; a < 4; a++) {
        CHECK(w.n[a].events[SWIM_SUSPECT] >= 1 && w.n[a].events[SWIM_DEAD] == 1,
              "node %d: %d suspect, %d dead transitions", a, w.n[a].events[SWIM_SUSPECT],
              w.n[a].events[SWIM_DEAD]);
        /* relays nacked: probing a dead node is not our own ill health */
        CHECK(swim_get_stats(w.n[a].s)->awareness == 0, "node %d awareness %d after probing the dead",
              a, swim_get_stats(w.n[a].s)->awareness);
    }
    uint64_t ind = 0;
    for (int a = 0; a < 4; a++) ind += swim_get_stats(w.n[a].s)->indirect_probes;
    CHECK(ind > 0, "no indirect probe was made");
    net_free(&w);
}

/* Two of three nodes crash together: the survivor's only relay is dead
 * too, so no relay ever answers; it must still judge. */
static void test_correlated_crash(void) {
    struct net w;
    net_init(&w, 3, 15);
    join_chain(&w);
    run_until_cond(&w, converged, 40000);
    run_until(&w, w.now + 3000);
    w.n[1].up = w.n[2].up = 0;
    int64_t start = w.now;
    for (int i = 0; i < 1200 && (view(&w, 0, 1) != SWIM_DEAD || view(&w, 0, 2) != SWIM_DEAD); i++)
        run_until(&w, w.now + 100);
    /* Two silent probes per member (the second one suspects), each also
     * raising awareness, so periods stretch to 1, 2, 3, 4 s; then the 4 s
     * suspicion timeout (no confirmations expected at N = 3). */
    CHECK(view(&w, 0, 1) == SWIM_DEAD && view(&w, 0, 2) == SWIM_DEAD && w.now - start <= 30000,
          "survivor of a correlated crash: %d, %d after %lld ms", view(&w, 0, 1), view(&w, 0, 2),
          (long long)(w.now - start));
    net_free(&w);
}

static void test_refutation(void) {
    struct net w;
    net_init(&w, 5, 4);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 3000);
    w.watch = 2;
    /* node 2 goes silent long enough to be suspected, not declared dead */
    w.n[2].mute = 1;
    run_until(&w, w.now + 2500);
    w.n[2].mute = 0;
    int suspected = 0;
    for (int a = 0; a < w.nn; a++) suspected += w.n[a].events[SWIM_SUSPECT];
    run_until(&w, w.now + 60000);
    int dead = 0;
    for (int a = 0; a < w.nn; a++) dead += w.n[a].events[SWIM_DEAD];
    const struct swim_stats *st = swim_get_stats(w.n[2].s);
    CHECK(suspected > 0, "the silent node was never suspected");
    CHECK(dead == 0, "the silent node was declared dead %d times", dead);
    CHECK(st->refutations >= 1 && swim_self(w.n[2].s)->incarnation >= 1,
          "no refutation (%llu, incarnation %llu)", (unsigned long long)st->refutations,
          (unsigned long long)swim_self(w.n[2].s)->incarnation);
    CHECK(converged(&w), "not all alive after the refutation");
    net_free(&w);
}

static int watched_left_everywhere(const struct net *w) {
    for (int a = 0; a < w->nn; a++)
        if (a != w->watch && w->n[a].up && view(w, a, w->watch) != SWIM_LEFT) return 0;
    return 1;
}

static void test_leave(void) {
    struct net w;
    net_init(&w, 5, 5);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 2000);
    w.watch = 3;
    swim_leave(w.n[3].s, w.now);
    drain(&w, 3);
    CHECK(swim_self(w.n[3].s)->state == SWIM_LEFT, "self not left after swim_leave");
    run_until(&w, w.now + 2000);
    w.n[3].up = 0; /* the shell stops after its leave timeout */
    int64_t t = run_until_cond(&w, watched_left_everywhere, 5000);
    CHECK(t >= 0, "leave not seen everywhere within 2 s");
    run_until(&w, w.now + 60000);
    int dead = 0;
    for (int a = 0; a < w.nn; a++) dead += w.n[a].events[SWIM_DEAD];
    CHECK(watched_left_everywhere(&w) && dead == 0, "the leaver was declared dead %d times", dead);
    net_free(&w);
}

static int sides_dead(const struct net *w) {
    for (int a = 0; a < w->nn; a++)
        for (int b = 0; b < w->nn; b++)
            if (w->n[a].group != w->n[b].group && view(w, a, b) != SWIM_DEAD) return 0;
    return 1;
}

static void test_partition_heals(void) {
    struct net w;
    net_init(&w, 6, 6);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    for (int i = 3; i < 6; i++) w.n[i].group = 1;
    run_until(&w, w.now + 90000); /* far past the 24 s max suspicion timeout */
    CHECK(sides_dead(&w), "the two sides did not declare each other dead");
    for (int i = 0; i < 6; i++) w.n[i].group = 0;
    int64_t t = run_until_cond(&w, converged, 120000);
    /* a reconnect is tried every 30 s (jittered 15-45 s) by every node */
    CHECK(t >= 0 && t <= 50000, "partition healed in %lld ms", (long long)t);
    uint64_t rc = 0;
    for (int i = 0; i < 6; i++) rc += swim_get_stats(w.n[i].s)->reconnects;
    CHECK(rc > 0, "healing without a reconnect?");
    net_free(&w);
}

static void test_islands_merge(void) {
    /* {0,1} and {2,3} start together, 0 and 2 seeding each other, but
     * can't reach each other at first: each island forms alone, then they
     * must find each other through the seeds */
    struct net w;
    net_init(&w, 4, 7);
    w.n[2].group = w.n[3].group = 1;
    swim_add_seed(w.n[0].s, &w.n[2].addr);
    swim_add_seed(w.n[2].s, &w.n[0].addr);
    swim_add_seed(w.n[1].s, &w.n[0].addr);
    swim_add_seed(w.n[3].s, &w.n[2].addr);
    run_until(&w, 20000);
    CHECK(view(&w, 0, 1) == SWIM_ALIVE && view(&w, 2, 3) == SWIM_ALIVE && view(&w, 0, 2) == -1,
          "islands did not form apart");
    for (int i = 0; i < 4; i++) w.n[i].group = 0;
    int64_t t = run_until_cond(&w, converged, 120000);
    CHECK(t >= 0 && t <= 50000, "islands merged in %lld ms", (long long)t);
    net_free(&w);
}

static void test_hostile_packets(void) {
    struct net w;
    net_init(&w, 3, 8);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 1000);
    unsigned char good[SWIM_MAX_PACKET];
    size_t glen = w.last_len;
    memcpy(good, w.last, glen);
    struct swim *s = w.n[0].s;
    struct swim_addr from = w.n[1].addr;
    uint64_t d0 = swim_get_stats(s)->dropped;

    /* every truncation, and one byte too many */
    for (size_t len = 0; len < glen; len++) swim_on_packet(s, w.now, &from, good, len);
    unsigned char longer[SWIM_MAX_PACKET + 1];
    memcpy(longer, good, glen);
    longer[glen] = 0;
    swim_on_packet(s, w.now, &from, longer, glen + 1);
    CHECK(swim_get_stats(s)->dropped - d0 == glen + 1, "truncated: %llu dropped of %zu",
          (unsigned long long)(swim_get_stats(s)->dropped - d0), glen + 1);

    /* another version, another cluster */
    d0 = swim_get_stats(s)->dropped;
    unsigned char bad[SWIM_MAX_PACKET];
    memcpy(bad, good, glen);
    bad[0] = 2;
    swim_on_packet(s, w.now, &from, bad, glen);
    memcpy(bad, good, glen);
    bad[2] ^= 0x20; /* "shoal" -> "Shoal" */
    swim_on_packet(s, w.now, &from, bad, glen);
    struct swim_config other;
    swim_config_defaults(&other);
    strcpy(other.cluster_name, "other");
    char oid[SWIM_ID_LEN + 1];
    make_id(99, 8, oid);
    struct swim_addr oa = addr_of(9);
    struct swim *o = swim_create(&other, oid, &oa, 1, 5, w.now);
    swim_add_seed(o, &from);
    unsigned char st[4096];
    size_t stlen = swim_encode_state(o, w.now, st, sizeof(st));
    CHECK(swim_merge_state(s, w.now, st, stlen) == -1, "foreign cluster state merged");
    swim_destroy(o);
    CHECK(swim_get_stats(s)->dropped - d0 == 3, "version/cluster: %llu dropped of 3",
          (unsigned long long)(swim_get_stats(s)->dropped - d0));

    /* random garbage */
    d0 = swim_get_stats(s)->dropped;
    uint64_t x = 42;
    for (int i = 0; i < 2000; i++) {
        size_t len = (size_t)(i % 300);
        for (size_t k = 0; k < len; k++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            bad[k] = (unsigned char)(x >> 56);
        }
        if (len) bad[0] = (unsigned char)(i % 3); /* versions 0, 1, 2 */
        swim_on_packet(s, w.now, &from, bad, len);
    }
    CHECK(swim_get_stats(s)->dropped - d0 == 2000, "garbage: %llu dropped of 2000",
          (unsigned long long)(swim_get_stats(s)->dropped - d0));

    /* a state exchange, truncated anywhere, changes nothing */
    size_t before = swim_member_count(s);
    uint64_t inc = swim_self(s)->incarnation;
    static unsigned char state[1 << 16];
    size_t slen = swim_encode_state(w.n[1].s, w.now, state, sizeof(state));
    int rejected = 0;
    for (size_t len = 0; len < slen; len++) rejected += swim_merge_state(s, w.now, state, len) == -1;
    CHECK(rejected == (int)slen, "truncated states: %d of %zu rejected", rejected, slen);
    CHECK(swim_member_count(s) == before && swim_self(s)->incarnation == inc,
          "a rejected state changed something");
    CHECK(swim_encode_state(s, w.now, state, 3) > 3, "encode with a small buffer should ask for more");

    /* single bit flips of valid packets: anything may happen but a crash */
    for (size_t bit = 0; bit < glen * 8; bit++) {
        memcpy(bad, good, glen);
        bad[bit / 8] ^= (unsigned char)(1u << (bit % 8));
        swim_on_packet(s, w.now, &from, bad, glen);
        drain(&w, 0);
    }
    run_until(&w, w.now + 60000);
    CHECK(converged(&w), "cluster did not recover from bit-flipped packets");
    net_free(&w);
}

static void test_pushpull_merge(void) {
    struct net w;
    net_init(&w, 4, 9);
    /* 0,1,2 form a cluster; 2 crashes and is declared dead */
    for (int i = 1; i < 3; i++) swim_add_seed(w.n[i].s, &w.n[0].addr);
    w.n[3].group = 1;
    run_until_cond(&w, converged, 30000);
    w.n[2].up = 0;
    run_until(&w, w.now + 60000);
    CHECK(view(&w, 0, 2) == SWIM_DEAD, "node 2 not dead for node 0");
    /* node 3 knows nobody; one exchange with node 0 teaches both sides */
    CHECK(swim_member_count(w.n[3].s) == 1, "node 3 should be alone");
    sync_pair(&w, 3, 0);
    CHECK(view(&w, 3, 0) == SWIM_ALIVE && view(&w, 3, 1) == SWIM_ALIVE, "node 3 did not learn 0 and 1");
    CHECK(view(&w, 0, 3) == SWIM_ALIVE, "node 0 did not learn node 3");
    CHECK(view(&w, 3, 2) == -1, "a dead stranger should not be adopted");
    CHECK(swim_get_stats(w.n[3].s)->pushpulls == 1, "pushpulls not counted");
    /* node 1 hears of node 3 by gossip, not by its own push-pull */
    w.n[3].group = 0;
    run_until(&w, w.now + 2000);
    CHECK(view(&w, 1, 3) == SWIM_ALIVE, "node 3's arrival was not gossiped");
    net_free(&w);
}

/* A peer's push-pull says a member we hold alive is dead (we missed the
 * gossip, say): we don't take its word, but we probe that member next. */
static void test_pushpull_death_checked(void) {
    struct net w;
    net_init(&w, 8, 14);
    join_chain(&w);
    run_until_cond(&w, converged, 40000);
    run_until(&w, w.now + 2000);
    /* peer Y saw a twin of node 5 (same id) die */
    struct swim_config cfg;
    swim_config_defaults(&cfg);
    char yid[SWIM_ID_LEN + 1];
    make_id(50, 14, yid);
    struct swim_addr ya = addr_of(50), ta = addr_of(51);
    struct swim *y = swim_create(&cfg, yid, &ya, 1, 77, w.now);
    struct swim *twin = swim_create(&cfg, w.n[5].id, &ta, 1, 78, w.now);
    static unsigned char buf[1 << 16];
    size_t len = swim_encode_state(twin, w.now, buf, sizeof(buf));
    swim_merge_state(y, w.now, buf, len);
    struct swim_addr to;
    struct swim_event ev;
    for (int64_t t = w.now; t < w.now + 60000; t += 100) {
        swim_on_timer(y, t);
        while (swim_pop_packet(y, &to, buf, sizeof(buf))) {}
        while (swim_pop_sync(y, &to)) {}
        while (swim_pop_event(y, &ev)) {}
    }
    CHECK(swim_member_at(y, 1) && swim_member_at(y, 1)->state == SWIM_DEAD, "Y's twin not dead");
    len = swim_encode_state(y, w.now, buf, sizeof(buf));
    w.ping_from = 0;
    w.first_ping_to = -1;
    CHECK(swim_merge_state(w.n[0].s, w.now, buf, len) == 0, "Y's state refused");
    drain(&w, 0);
    CHECK(view(&w, 0, 5) == SWIM_ALIVE, "a second-hand death was taken on trust");
    run_until(&w, w.now + 1100);
    CHECK(w.first_ping_to == 5, "next probe went to node %d, not the accused node 5",
          w.first_ping_to);
    swim_destroy(y);
    swim_destroy(twin);
    net_free(&w);
}

static void test_retransmit_limit(void) {
    struct net w;
    net_init(&w, 4, 10);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 2000);
    w.count_from = 0;
    id_bin(w.n[3].id, w.count_id);
    swim_leave(w.n[3].s, w.now);
    drain(&w, 3);
    run_until(&w, w.now + 1000);
    w.n[3].up = 0;
    run_until(&w, w.now + 30000);
    /* lambda * ceil(log10(N + 1)) with N = 3 still in the cluster: 4 */
    CHECK(w.count_on && w.counted >= 1 && w.counted <= 4,
          "node 0 sent the leave %d times (limit 4)", w.counted);
    net_free(&w);
}

static void test_awareness(void) {
    struct net w;
    net_init(&w, 5, 11);
    join_chain(&w);
    run_until_cond(&w, converged, 30000);
    run_until(&w, w.now + 2000);
    w.watch = 1;
    int peak = 0;
    /* node 1 is starved: 2.5 s stalls, 1.5 s of work between them */
    for (int round = 0; round < 10; round++) {
        w.n[1].stall_until = w.now + 2500;
        run_until(&w, w.now + 4000);
        int a = swim_get_stats(w.n[1].s)->awareness;
        if (a > peak) peak = a;
    }
    const struct swim_stats *st = swim_get_stats(w.n[1].s);
    CHECK(peak >= 2 && st->late_timers >= 5, "starved node: awareness peak %d, %llu late timers",
          peak, (unsigned long long)st->late_timers);
    int dead = 0;
    for (int a = 0; a < w.nn; a++) dead += w.n[a].events[SWIM_DEAD];
    CHECK(dead == 0, "the starved node was declared dead %d times", dead);
    /* nor did the starved node kill anyone in its confusion */
    CHECK(swim_get_stats(w.n[1].s)->deaths == 0, "the starved node declared %llu deaths",
          (unsigned long long)swim_get_stats(w.n[1].s)->deaths);
    run_until(&w, w.now + 120000);
    CHECK(swim_get_stats(w.n[1].s)->awareness == 0, "awareness did not fall back: %d",
          swim_get_stats(w.n[1].s)->awareness);
    CHECK(converged(&w), "cluster not converged after the starvation");
    net_free(&w);
}

static uint64_t scenario_trace(uint64_t seed) {
    struct net w;
    net_init(&w, 6, seed);
    join_chain(&w);
    run_until(&w, 20000);
    w.n[5].up = 0;
    run_until(&w, 60000);
    uint64_t t = w.trace;
    net_free(&w);
    return t;
}

static void test_determinism(void) {
    uint64_t a = scenario_trace(12), b = scenario_trace(12), c = scenario_trace(13);
    CHECK(a == b, "same seed, different packets");
    CHECK(a != c, "different seeds, same packets");
}

int main(void) {
    test_create();
    test_join_and_converge();
    test_join_waits_for_seed();
    test_crash_detection();
    test_correlated_crash();
    test_refutation();
    test_leave();
    test_partition_heals();
    test_islands_merge();
    test_hostile_packets();
    test_pushpull_merge();
    test_pushpull_death_checked();
    test_retransmit_limit();
    test_awareness();
    test_determinism();
    return test_report();
}
