/* swim-sim.c -- the membership simulator: N instances of the very same
 * SWIM/Lifeguard core the server runs (src/swim.c), over a fake network
 * with packet loss, latency and jitter, crashes, graceful leaves, joins, a
 * partition and its heal, and CPU-starved nodes, on a virtual clock (an
 * event queue: nothing sleeps). A run is a function of its options and
 * seed. Built and run by utils/swim-sim; see docs/BENCHMARKS.md.
 *
 * The cluster starts converged (every node already knows every other, set
 * up through the core's own push-pull merge), so the virtual time goes to
 * what is measured:
 *   join      new nodes join through a random seed (t = 12 s): time until
 *             every member has seen each, against ceil(log2 N) periods;
 *   crash     nodes stop dead (t = 20 s, 2 s apart): time until every
 *             member marks each dead, against SWIM's expected bound;
 *   leave     nodes leave gracefully (t = 30 s), stop 3 s later: time
 *             until every member marks each left (and never dead);
 *   false     suspicions and deaths of running members, per node-hour;
 *   traffic   UDP and push-pull bytes sent per member per second;
 *   partition the nodes split in halves and heal: time until every node
 *             sees every node alive again.
 * Metrics are taken after the warm-up (--warmup). A starved node stalls
 * now and then (everything it would do waits until the stall ends; then,
 * as in a libev loop, its overdue timers run before its socket is read). */
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "swim.h"

#define JOIN_AT_MS 12000
#define CRASH_AT_MS 20000
#define LEAVE_AT_MS 30000
#define STAGGER_MS 2000
#define LEAVE_LINGER_MS 3000   /* as the server's cluster-leave-timeout */

struct opts {
    int nodes, crashes, joins, leaves, starve, stall_ms, latency_ms, jitter_ms;
    double duration_s, warmup_s, loss_pct, part_start_s, part_end_s;
    uint64_t seed;
};

enum ev_type { EV_TIMER, EV_PACKET, EV_SYNC_REQ, EV_SYNC_REPLY, EV_STALL, EV_RESUME, EV_ACTION };
enum action { ACT_CRASH, ACT_JOIN, ACT_LEAVE, ACT_STOP, ACT_SPLIT, ACT_HEAL };
enum nstate { NS_UNBORN, NS_UP, NS_LEAVING, NS_GONE };
enum target_kind { T_JOIN, T_CRASH, T_LEAVE };

struct msg {
    uint32_t from;
    size_t len;
    unsigned char data[];
};

struct ev {
    int64_t t;
    uint64_t seq;                /* FIFO among equal (t, prio) */
    uint32_t node, gen;
    uint8_t type, prio, act;     /* prio 0 runs first: a resumed node's timers */
    struct msg *m;
};

struct node {
    struct swim *s;
    uint8_t state, group, starved;
    int64_t busy_until;          /* stalled until then */
    int64_t timer_at;
    uint32_t gen;
    int timer_pending;
};

struct target {
    uint32_t node;
    enum target_kind kind;
    int64_t t0;
    int64_t *seen;               /* per observer: when it saw it, -1 if not */
};

static struct opts o = {
    .nodes = 1000, .crashes = 5, .joins = 1, .leaves = 1, .starve = 0, .stall_ms = 2000,
    .latency_ms = 2, .jitter_ms = 3, .duration_s = 120, .warmup_s = 10, .loss_pct = 1.0,
    .part_start_s = -1, .part_end_s = -1, .seed = 1,
};

static struct node *nodes;
static uint32_t ntotal;          /* nodes + joiners */
static struct ev *heap;
static size_t nheap, heap_cap;
static uint64_t ev_seq, rng;
static int64_t now, warm_ms, end_ms;
static struct target *targets;
static int ntargets;
static struct swim_config cfg;

/* metrics */
static uint64_t false_susp, false_susp_starved, false_dead, dead_not_left;
static uint64_t late_split_deaths, late_split_episodes;
/* episodes: distinct (member, incarnation) falsely suspected / killed */
static uint64_t susp_episodes, susp_episodes_starved, dead_episodes;
static uint64_t *last_susp_inc, *last_dead_inc; /* per member, +1 (0: none) */
static uint64_t *split_dead_inc; /* per member: declared dead across the split at inc, +1 */
static uint64_t *split_counted_inc; /* per member: that episode counted, inc + 1 */
static uint64_t packets_sent, packets_lost, packets_unreachable, events_run, tcp_bytes_window;
static uint64_t udp_bytes_at_warm, udp_bytes_gone; /* bytes of nodes no longer up */
static int warm_done;
static int64_t member_ms, last_ms; /* up-member milliseconds in the window */
static int64_t nup;                /* nodes up (running, not leaving) */
static uint64_t packets_at_warm;
static int64_t *born_ms;
static uint8_t *viewm;           /* partition runs: observer x member view */
static int64_t bad_pairs, split_ms = -1, heal_ms = -1, healed_ms = -1, split_detected_ms = -1;
static int64_t split_999_ms = -1; /* when 99.9% of the cross pairs saw each other dead */
static uint64_t split_stale;      /* cross pairs not dead at the heal */

/* ---- small helpers ---- */

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static uint64_t rnd(void) { return mix64(rng += 0x9e3779b97f4a7c15ULL); }
static double rnd01(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(((rnd() >> 32) * n) >> 32); }

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) {
        fprintf(stderr, "swim-sim: out of memory\n");
        exit(1);
    }
    return p;
}

/* Node i's id starts with its index in hex, so events map back cheaply. */
static void node_id(uint32_t i, char out[SWIM_ID_LEN + 1]) {
    uint64_t x = mix64(o.seed * 0x100000001b3ULL + i);
    snprintf(out, SWIM_ID_LEN + 1, "%08x%016llx%016llx", i, (unsigned long long)x,
             (unsigned long long)mix64(x));
}

static uint32_t id_node(const char *id) {
    uint32_t v = 0;
    for (int k = 0; k < 8; k++) v = v << 4 | (uint32_t)(id[k] <= '9' ? id[k] - '0' : id[k] - 'a' + 10);
    return v;
}

static struct swim_addr node_addr(uint32_t i) {
    struct swim_addr a;
    memset(&a, 0, sizeof(a));
    a.family = 4;
    a.ip[0] = 10;
    a.ip[1] = (uint8_t)(i >> 16);
    a.ip[2] = (uint8_t)(i >> 8);
    a.ip[3] = (uint8_t)i;
    a.port = 7946;
    return a;
}

static uint32_t addr_node(const struct swim_addr *a) {
    return (uint32_t)a->ip[1] << 16 | (uint32_t)a->ip[2] << 8 | a->ip[3];
}

static int is_up(uint32_t i) { return i < ntotal && nodes[i].state == NS_UP; }
static int is_running(uint32_t i) {
    return i < ntotal && (nodes[i].state == NS_UP || nodes[i].state == NS_LEAVING);
}

/* ---- the event queue: a binary heap on (t, prio, seq) ---- */

static int ev_less(const struct ev *a, const struct ev *b) {
    if (a->t != b->t) return a->t < b->t;
    if (a->prio != b->prio) return a->prio < b->prio;
    return a->seq < b->seq;
}

static void push(struct ev e) {
    if (nheap == heap_cap) {
        heap_cap = heap_cap ? heap_cap * 2 : 1 << 16;
        heap = realloc(heap, heap_cap * sizeof(*heap));
        if (!heap) exit(1);
    }
    e.seq = ev_seq++;
    size_t i = nheap++;
    while (i > 0 && ev_less(&e, &heap[(i - 1) / 2])) {
        heap[i] = heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    heap[i] = e;
}

static struct ev pop(void) {
    struct ev top = heap[0], last = heap[--nheap];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        const struct ev *best = &last;
        if (l < nheap && ev_less(&heap[l], best)) m = l, best = &heap[l];
        if (l + 1 < nheap && ev_less(&heap[l + 1], best)) m = l + 1;
        if (m == i) break;
        heap[i] = heap[m];
        i = m;
    }
    if (nheap) heap[i] = last;
    return top;
}

static void push_at(int64_t t, enum ev_type type, uint32_t node, uint8_t prio, uint8_t act,
                    struct msg *m) {
    push((struct ev){.t = t, .type = (uint8_t)type, .node = node, .prio = prio, .act = act, .m = m});
}

/* ---- metrics from member events ---- */

static void view_set(uint32_t obs, uint32_t mem, int state) {
    uint8_t *v = &viewm[(size_t)obs * ntotal + mem];
    int was_bad = *v != 1 + SWIM_ALIVE, bad = state != SWIM_ALIVE;
    *v = (uint8_t)(1 + state);
    if (is_up(obs) && is_up(mem) && obs != mem) bad_pairs += bad - was_bad;
}

/* A node stops counting in the all-see-all check: take its row and column out. */
static void view_drop(uint32_t x) {
    if (!viewm || !is_up(x)) return;
    for (uint32_t j = 0; j < ntotal; j++) {
        if (j == x || !is_up(j)) continue;
        bad_pairs -= viewm[(size_t)x * ntotal + j] != 1 + SWIM_ALIVE;
        bad_pairs -= viewm[(size_t)j * ntotal + x] != 1 + SWIM_ALIVE;
    }
}

static void target_seen(uint32_t obs, uint32_t mem, enum target_kind kind) {
    for (int k = 0; k < ntargets; k++) {
        struct target *t = &targets[k];
        if (t->node == mem && t->kind == kind && t->seen[obs] < 0) t->seen[obs] = now - t->t0;
    }
}

/* beta * alpha * max(1, log10 N) probe intervals (memberlist's formula) */
static int64_t max_suspicion_ms(void) {
    double n = o.nodes;
    return (int64_t)(cfg.suspicion_max_mult * cfg.suspicion_mult * (log10(n) > 1 ? log10(n) : 1) *
                     cfg.probe_interval_ms);
}

/* Whether the episode (member, inc + 1) was counted already; marks it. */
static int counted_split_inc(uint32_t mem, uint64_t inc1) {
    if (split_counted_inc[mem] == inc1) return 1;
    split_counted_inc[mem] = inc1;
    return 0;
}

static void on_member_event(uint32_t obs, const struct swim_event *e) {
    uint32_t mem = id_node(e->member.id);
    if (mem >= ntotal) return;
    int st = (int)e->member.state;
    if (e->kind == SWIM_EV_JOINED) target_seen(obs, mem, T_JOIN);
    if (e->kind == SWIM_EV_REAPED) return;
    if (st == SWIM_DEAD) target_seen(obs, mem, T_CRASH);
    if (st == SWIM_LEFT) target_seen(obs, mem, T_LEAVE);
    if (viewm) view_set(obs, mem, st);
    if (e->kind != SWIM_EV_STATE || now < warm_ms) return;
    /* false: the member runs and the observer could reach it */
    int reachable = is_up(mem) && nodes[mem].group == nodes[obs].group;
    uint64_t inc1 = e->member.incarnation + 1;
    if (st == SWIM_SUSPECT && reachable) {
        false_susp++;
        false_susp_starved += nodes[mem].starved;
        if (last_susp_inc[mem] != inc1) {
            last_susp_inc[mem] = inc1;
            susp_episodes++;
            susp_episodes_starved += nodes[mem].starved;
        }
    }
    /* The other side's verdicts of the partition: death gossip still in
     * flight at the heal, or a suspicion from before it running out after
     * it (until the max suspicion timeout), reaches the member's own side
     * too, and a death is final for its incarnation until the member
     * refutes. That episode is the partition's doing, not a false death:
     * counted on its own. */
    int cross = split_ms >= 0 && obs % 2 != mem % 2;
    if (st == SWIM_DEAD && !reachable && cross && heal_ms < 0) split_dead_inc[mem] = inc1;
    if (st == SWIM_DEAD && reachable && heal_ms >= 0 &&
        (split_dead_inc[mem] == inc1 || (cross && now < heal_ms + max_suspicion_ms()))) {
        if (!counted_split_inc(mem, inc1)) late_split_episodes++;
        split_dead_inc[mem] = inc1;
        late_split_deaths++;
        reachable = 0;
    }
    if (st == SWIM_DEAD && reachable) {
        false_dead++;
        if (last_dead_inc[mem] != inc1) {
            last_dead_inc[mem] = inc1;
            dead_episodes++;
        }
    }
    if (st == SWIM_DEAD) {
        for (int k = 0; k < ntargets; k++)
            if (targets[k].node == mem && targets[k].kind == T_LEAVE) dead_not_left++;
    }
}

/* ---- driving one node ---- */

static void rearm(uint32_t i) {
    struct node *n = &nodes[i];
    int64_t t = swim_next_timer(n->s);
    if (t < now) t = now;
    if (n->timer_pending && n->timer_at <= t) return; /* an earlier wake-up will re-check */
    n->timer_at = t;
    n->timer_pending = 1;
    push((struct ev){.t = t, .type = EV_TIMER, .node = i, .gen = ++n->gen, .prio = 1});
}

static int64_t delay(void) {
    return o.latency_ms + (o.jitter_ms > 0 ? rnd_below((uint32_t)o.jitter_ms + 1) : 0);
}

static struct msg *msg_new(uint32_t from, const void *data, size_t len) {
    struct msg *m = malloc(sizeof(*m) + len);
    if (!m) exit(1);
    m->from = from;
    m->len = len;
    memcpy(m->data, data, len);
    return m;
}

static int connected(uint32_t a, uint32_t b) {
    return is_running(a) && is_running(b) && nodes[a].group == nodes[b].group;
}

/* A push-pull starts: the initiator's state travels to the acceptor. */
static void sync_start(uint32_t from, uint32_t to) {
    if (!connected(from, to)) return; /* refused or timed out: nothing */
    size_t need = swim_encode_state(nodes[from].s, now, NULL, 0);
    struct msg *m = malloc(sizeof(*m) + need);
    if (!m) exit(1);
    m->from = from;
    m->len = swim_encode_state(nodes[from].s, now, m->data, need);
    if (now >= warm_ms) tcp_bytes_window += m->len;
    push_at(now + delay(), EV_SYNC_REQ, to, 1, 0, m);
}

static void drain(uint32_t i) {
    struct node *n = &nodes[i];
    struct swim_event e;
    while (swim_pop_event(n->s, &e)) on_member_event(i, &e);
    struct swim_addr to;
    unsigned char buf[SWIM_MAX_PACKET];
    size_t len;
    while ((len = swim_pop_packet(n->s, &to, buf, sizeof(buf))) > 0) {
        uint32_t dst = addr_node(&to);
        packets_sent++;
        if (!connected(i, dst)) {
            packets_unreachable++;
            continue;
        }
        if (rnd01() * 100 < o.loss_pct) {
            packets_lost++;
            continue;
        }
        push_at(now + delay(), EV_PACKET, dst, 1, 0, msg_new(i, buf, len));
    }
    while (swim_pop_sync(n->s, &to)) sync_start(i, addr_node(&to));
    rearm(i);
}

static struct swim *node_create(uint32_t i) {
    char id[SWIM_ID_LEN + 1];
    node_id(i, id);
    struct swim_addr a = node_addr(i);
    struct swim *s = swim_create(&cfg, id, &a, 6379, mix64(o.seed ^ mix64(i + 1)), now);
    if (!s) {
        fprintf(stderr, "swim-sim: swim_create failed\n");
        exit(1);
    }
    return s;
}

/* Counts the bytes of a node that leaves the cluster, so traffic stays
 * per member-second over the members that were there. */
static void node_gone(uint32_t i) {
    struct node *n = &nodes[i];
    view_drop(i);
    if (warm_done) udp_bytes_gone += swim_get_stats(n->s)->bytes_out;
    nup -= n->state == NS_UP;
    n->state = NS_GONE;
    swim_destroy(n->s);
    n->s = NULL;
}

/* ---- scenario actions ---- */

static uint32_t random_up_node(int exclude_starved) {
    for (int tries = 0; tries < 1000000; tries++) {
        uint32_t i = rnd_below((uint32_t)o.nodes);
        if (is_up(i) && !(exclude_starved && nodes[i].starved)) return i;
    }
    fprintf(stderr, "swim-sim: no node left to pick\n");
    exit(1);
}

static void add_target(uint32_t node, enum target_kind kind) {
    struct target *t = &targets[ntargets++];
    t->node = node;
    t->kind = kind;
    t->t0 = now;
    t->seen = xcalloc(ntotal, sizeof(*t->seen));
    for (uint32_t j = 0; j < ntotal; j++) t->seen[j] = -1;
}

/* Cross pairs (observer, member on the other side) not seeing it dead;
 * *total gets how many cross pairs there are. */
static uint64_t split_pending(uint64_t *total) {
    uint64_t n = 0;
    *total = 0;
    for (uint32_t a = 0; a < ntotal; a++) {
        if (!is_up(a)) continue;
        for (uint32_t b = 0; b < ntotal; b++) {
            if (!is_up(b) || nodes[a].group == nodes[b].group) continue;
            ++*total;
            n += viewm[(size_t)a * ntotal + b] != 1 + SWIM_DEAD;
        }
    }
    return n;
}

static void do_action(const struct ev *e) {
    switch ((enum action)e->act) {
    case ACT_CRASH: {
        uint32_t i = random_up_node(1);
        add_target(i, T_CRASH);
        node_gone(i);
        break;
    }
    case ACT_JOIN: {
        uint32_t i = e->node;
        nodes[i].s = node_create(i);
        nodes[i].state = NS_UP;
        nup++;
        if (viewm) {
            /* the newcomer knows no one yet, and no one knows it */
            for (uint32_t j = 0; j < ntotal; j++)
                if (j != i && is_up(j)) bad_pairs += 2;
        }
        add_target(i, T_JOIN);
        struct swim_addr seed = node_addr(random_up_node(1));
        swim_add_seed(nodes[i].s, &seed);
        drain(i);
        break;
    }
    case ACT_LEAVE: {
        uint32_t i = random_up_node(1);
        add_target(i, T_LEAVE);
        view_drop(i);
        nodes[i].state = NS_LEAVING;
        nup--;
        swim_leave(nodes[i].s, now);
        drain(i);
        push_at(now + LEAVE_LINGER_MS, EV_ACTION, i, 1, ACT_STOP, NULL);
        break;
    }
    case ACT_STOP:
        node_gone(e->node);
        break;
    case ACT_SPLIT:
        for (uint32_t i = 0; i < ntotal; i++) nodes[i].group = i % 2;
        split_ms = now;
        break;
    case ACT_HEAL: {
        uint64_t total;
        split_stale = split_pending(&total);
        for (uint32_t i = 0; i < ntotal; i++) nodes[i].group = 0;
        heal_ms = now;
        break;
    }
    }
}

static void stall(uint32_t i) {
    struct node *n = &nodes[i];
    if (!is_running(i)) return;
    int64_t len = o.stall_ms / 4 + rnd_below((uint32_t)(o.stall_ms - o.stall_ms / 4 + 1));
    n->busy_until = now + len;
    push_at(n->busy_until, EV_RESUME, i, 0, 0, NULL);
    push_at(n->busy_until + 1000 + rnd_below(3000), EV_STALL, i, 1, 0, NULL);
}

/* Everything aimed at a stalled node waits for the stall to end. */
static int deferred(struct ev *e) {
    struct node *n = &nodes[e->node];
    if (n->busy_until <= now) return 0;
    if (e->type == EV_TIMER) {
        n->timer_pending = 0; /* the resume runs the timers */
        return 1;
    }
    e->t = n->busy_until;
    push(*e);
    return 1;
}

static void run_event(struct ev *e) {
    uint32_t i = e->node;
    switch ((enum ev_type)e->type) {
    case EV_TIMER:
        if (!is_running(i) || e->gen != nodes[i].gen || deferred(e)) return;
        nodes[i].timer_pending = 0;
        swim_on_timer(nodes[i].s, now);
        drain(i);
        return;
    case EV_PACKET:
        if (!is_running(i) || nodes[i].group != nodes[e->m->from].group) break;
        if (deferred(e)) return;
        {
            struct swim_addr from = node_addr(e->m->from); /* as recvfrom gives it */
            swim_on_packet(nodes[i].s, now, &from, e->m->data, e->m->len);
        }
        drain(i);
        break;
    case EV_SYNC_REQ:
        if (!connected(i, e->m->from)) break;
        if (deferred(e)) return;
        swim_merge_state(nodes[i].s, now, e->m->data, e->m->len);
        drain(i);
        {
            size_t need = swim_encode_state(nodes[i].s, now, NULL, 0);
            struct msg *r = malloc(sizeof(*r) + need);
            if (!r) exit(1);
            r->from = i;
            r->len = swim_encode_state(nodes[i].s, now, r->data, need);
            if (now >= warm_ms) tcp_bytes_window += r->len;
            push_at(now + delay(), EV_SYNC_REPLY, e->m->from, 1, 0, r);
        }
        break;
    case EV_SYNC_REPLY:
        if (!connected(i, e->m->from)) break;
        if (deferred(e)) return;
        swim_merge_state(nodes[i].s, now, e->m->data, e->m->len);
        drain(i);
        break;
    case EV_STALL:
        stall(i);
        return;
    case EV_RESUME:
        if (!is_running(i)) return;
        swim_on_timer(nodes[i].s, now);
        drain(i);
        return;
    case EV_ACTION:
        do_action(e);
        return;
    }
    free(e->m);
}

/* ---- set-up ---- */

/* The cluster starts converged, through the core's own push-pull: node 0
 * merges everyone's one-member state, then everyone merges node 0's. */
static void bootstrap(void) {
    for (uint32_t i = 0; i < (uint32_t)o.nodes; i++) {
        nodes[i].s = node_create(i);
        nodes[i].state = NS_UP;
    }
    nup = o.nodes;
    unsigned char small[256];
    for (uint32_t i = 1; i < (uint32_t)o.nodes; i++) {
        size_t len = swim_encode_state(nodes[i].s, 0, small, sizeof(small));
        swim_merge_state(nodes[0].s, 0, small, len);
    }
    size_t need = swim_encode_state(nodes[0].s, 0, NULL, 0);
    unsigned char *all = malloc(need);
    if (!all) exit(1);
    swim_encode_state(nodes[0].s, 0, all, need);
    /* events drained as we go: 10^4 queued JOINED events of 10^4 nodes
     * would be 10 GB */
    struct swim_event e;
    while (swim_pop_event(nodes[0].s, &e)) {}
    drain(0);
    for (uint32_t i = 1; i < (uint32_t)o.nodes; i++) {
        swim_merge_state(nodes[i].s, 0, all, need);
        while (swim_pop_event(nodes[i].s, &e)) {}
        drain(i);
    }
    free(all);
}

static void schedule(void) {
    for (int k = 0; k < o.joins; k++)
        push_at(JOIN_AT_MS + k * STAGGER_MS, EV_ACTION, (uint32_t)(o.nodes + k), 1, ACT_JOIN, NULL);
    for (int k = 0; k < o.crashes; k++)
        push_at(CRASH_AT_MS + k * STAGGER_MS, EV_ACTION, 0, 1, ACT_CRASH, NULL);
    for (int k = 0; k < o.leaves; k++)
        push_at(LEAVE_AT_MS + k * STAGGER_MS, EV_ACTION, 0, 1, ACT_LEAVE, NULL);
    if (o.part_start_s >= 0) {
        push_at((int64_t)(o.part_start_s * 1000), EV_ACTION, 0, 1, ACT_SPLIT, NULL);
        push_at((int64_t)(o.part_end_s * 1000), EV_ACTION, 0, 1, ACT_HEAL, NULL);
    }
    for (int k = 0; k < o.starve; k++) {
        uint32_t i;
        do i = 1 + rnd_below((uint32_t)o.nodes - 1); while (nodes[i].starved);
        nodes[i].starved = 1;
        push_at(rnd_below(4000), EV_STALL, i, 1, 0, NULL);
    }
}

/* ---- report ---- */

static int cmp_i64(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Per-target "every member saw it" times and per-observer latencies. */
static void report_kind(enum target_kind kind, const char *what, const char *seen_as) {
    int64_t *lat = xcalloc((size_t)ntotal * (size_t)ntargets + 1, sizeof(*lat));
    size_t nlat = 0;
    int ntg = 0, complete = 0;
    double sum_all = 0;
    int64_t worst_all = 0;
    for (int k = 0; k < ntargets; k++) {
        struct target *t = &targets[k];
        if (t->kind != kind) continue;
        ntg++;
        int64_t all = 0;
        int missing = 0, observers = 0;
        for (uint32_t j = 0; j < ntotal; j++) {
            if (j == t->node || !is_up(j) || born_ms[j] > t->t0) continue;
            observers++;
            if (t->seen[j] < 0) {
                missing++;
                continue;
            }
            lat[nlat++] = t->seen[j];
            if (t->seen[j] > all) all = t->seen[j];
        }
        if (missing) {
            printf("  %s %u: %d of %d members had not seen it %s by the end\n", what, t->node,
                   missing, observers, seen_as);
            continue;
        }
        complete++;
        sum_all += (double)all;
        if (all > worst_all) worst_all = all;
    }
    if (!ntg) {
        free(lat);
        return;
    }
    qsort(lat, nlat, sizeof(*lat), cmp_i64);
    double mean = 0;
    for (size_t i = 0; i < nlat; i++) mean += (double)lat[i];
    mean = nlat ? mean / (double)nlat : 0;
    int64_t p99 = nlat ? lat[(size_t)((double)(nlat - 1) * 0.99)] : 0;
    if (complete)
        printf("  %-6s %d node(s): every member saw it %s after %.1f s mean, %.1f s worst;"
               " per member: mean %.1f s, p99 %.1f s\n",
               what, ntg, seen_as, sum_all / complete / 1000.0, (double)worst_all / 1000.0,
               mean / 1000.0, (double)p99 / 1000.0);
    free(lat);
}

static void report(double wall_s) {
    uint64_t bytes = udp_bytes_gone;
    int maxaw = 0;
    double sumaw = 0;
    int up = 0;
    for (uint32_t i = 0; i < ntotal; i++) {
        if (!nodes[i].s) continue;
        const struct swim_stats *st = swim_get_stats(nodes[i].s);
        bytes += st->bytes_out;
        if (is_up(i)) {
            up++;
            sumaw += st->awareness;
            if (st->awareness > maxaw) maxaw = st->awareness;
        }
    }
    bytes -= udp_bytes_at_warm;
    double member_s = member_ms > 0 ? (double)member_ms / 1000.0 : 1, node_h = member_s / 3600.0;
    double n = o.nodes, T = cfg.probe_interval_ms / 1000.0;
    double smin = cfg.suspicion_mult * (log10(n) > 1 ? log10(n) : 1) * T;

    printf("swim-sim: %d nodes, %.0f s virtual (metrics after %.0f s), loss %.1f%%, latency %d+U(0,%d) ms,"
           " seed %llu\n",
           o.nodes, o.duration_s, o.warmup_s, o.loss_pct, o.latency_ms, o.jitter_ms,
           (unsigned long long)o.seed);
    if (o.starve)
        printf("  %d CPU-starved node(s): stalls of %d..%d ms every 1..4 s\n", o.starve,
               o.stall_ms / 4, o.stall_ms);
    printf("  wall %.1f s; %llu events, %llu packets (%llu lost, %llu to a crashed, gone or"
           " partitioned node)\n",
           wall_s, (unsigned long long)events_run, (unsigned long long)packets_sent,
           (unsigned long long)packets_lost, (unsigned long long)packets_unreachable);
    report_kind(T_JOIN, "join", "alive");
    if (o.joins)
        printf("         SWIM: ceil(log2 N) = %.0f probe periods = %.1f s\n", ceil(log2(n)),
               ceil(log2(n)) * T);
    report_kind(T_CRASH, "crash", "dead");
    if (o.crashes)
        printf("         SWIM/Lifeguard: first probe e/(e-1) = %.2f periods on average, then the"
               " suspicion timeout: %.1f s with %d confirmations .. %.1f s with none;"
               " expected %.1f s\n",
               M_E / (M_E - 1), smin, cfg.suspicion_mult - 2, smin * cfg.suspicion_max_mult,
               M_E / (M_E - 1) * T + smin);
    report_kind(T_LEAVE, "leave", "left");
    if (o.leaves) printf("         leavers declared dead instead of left: %llu\n",
                         (unsigned long long)dead_not_left);
    printf("  false suspicions of running members: %llu episodes (%.3f per node-hour; %llu of"
           " starved nodes), seen %llu times by members (%llu of starved nodes)\n",
           (unsigned long long)susp_episodes, susp_episodes / node_h,
           (unsigned long long)susp_episodes_starved, (unsigned long long)false_susp,
           (unsigned long long)false_susp_starved);
    printf("  false deaths: %llu episodes (%.3f per node-hour), seen %llu times\n",
           (unsigned long long)dead_episodes, dead_episodes / node_h,
           (unsigned long long)false_dead);
    /* a push-pull sends the whole state both ways, every interval scaled
     * as memberlist's pushPullScale (x (ceil(log2 N - 5) + 1) past 32) */
    uint32_t any = 0;
    while (any < ntotal && !is_up(any)) any++;
    size_t state = any < ntotal ? swim_encode_state(nodes[any].s, now, NULL, 0) : 0;
    double pp_s = cfg.pushpull_interval_ms / 1000.0 * (n <= 32 ? 1 : ceil(log2(n) - 5) + 1);
    printf("  traffic per member: UDP %.0f B/s (%.2f packets/s); push-pull TCP %.0f B/s measured,"
           " %.0f B/s at steady state (2 x %zu B every %.0f s)\n",
           (double)bytes / member_s, (double)(packets_sent - packets_at_warm) / member_s,
           (double)tcp_bytes_window / member_s, 2.0 * (double)state / pp_s, state, pp_s);
    printf("  local health: awareness max %d, mean %.3f at the end\n", maxaw, sumaw / (up ? up : 1));
    if (split_ms >= 0) {
        printf("  partition %.0f s .. %.0f s (halves): ", split_ms / 1000.0, heal_ms / 1000.0);
        if (split_999_ms >= 0)
            printf("99.9%% of the cross pairs saw each other dead %.0f s after the split, ",
                   (split_999_ms - split_ms) / 1000.0);
        if (split_detected_ms >= 0)
            printf("all %.0f s after it; ", (split_detected_ms - split_ms) / 1000.0);
        else
            printf("%llu pairs not yet at the heal; ", (unsigned long long)split_stale);
        if (healed_ms >= 0)
            printf("healed (every node sees every node alive) %.1f s after the heal\n",
                   (healed_ms - heal_ms) / 1000.0);
        else
            printf("NOT healed by the end (%lld pairs still apart)\n", (long long)bad_pairs);
        printf("         members declared dead after the heal by the other side's verdicts from"
               " before it (then refuted): %llu, seen %llu times\n",
               (unsigned long long)late_split_episodes, (unsigned long long)late_split_deaths);
    }
}


static void usage(void) {
    fprintf(stderr,
            "usage: swim-sim [--nodes N] [--duration S] [--warmup S] [--loss PCT]\n"
            "                [--latency MS] [--jitter MS] [--seed X] [--crashes K]\n"
            "                [--joins K] [--leaves K] [--starve K] [--stall MS]\n"
            "                [--partition START:END]   (seconds)\n");
    exit(2);
}

static void parse(int argc, char **argv) {
    static const struct option lo[] = {
        {"nodes", 1, 0, 'n'},   {"duration", 1, 0, 'd'}, {"warmup", 1, 0, 'w'},
        {"loss", 1, 0, 'l'},    {"latency", 1, 0, 'L'},  {"jitter", 1, 0, 'j'},
        {"seed", 1, 0, 's'},    {"crashes", 1, 0, 'c'},  {"joins", 1, 0, 'J'},
        {"leaves", 1, 0, 'v'},  {"starve", 1, 0, 'S'},   {"stall", 1, 0, 't'},
        {"partition", 1, 0, 'p'}, {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'n': o.nodes = atoi(optarg); break;
        case 'd': o.duration_s = atof(optarg); break;
        case 'w': o.warmup_s = atof(optarg); break;
        case 'l': o.loss_pct = atof(optarg); break;
        case 'L': o.latency_ms = atoi(optarg); break;
        case 'j': o.jitter_ms = atoi(optarg); break;
        case 's': o.seed = strtoull(optarg, NULL, 10); break;
        case 'c': o.crashes = atoi(optarg); break;
        case 'J': o.joins = atoi(optarg); break;
        case 'v': o.leaves = atoi(optarg); break;
        case 'S': o.starve = atoi(optarg); break;
        case 't': o.stall_ms = atoi(optarg); break;
        case 'p':
            if (sscanf(optarg, "%lf:%lf", &o.part_start_s, &o.part_end_s) != 2 ||
                o.part_end_s <= o.part_start_s)
                usage();
            break;
        default: usage();
        }
    }
    if (optind != argc || o.nodes < 2 || o.nodes > 1000000 || o.duration_s <= 0 ||
        o.crashes + o.leaves + o.starve >= o.nodes || o.stall_ms < 4 || o.latency_ms < 0 ||
        o.jitter_ms < 0)
        usage();
}

int main(int argc, char **argv) {
    parse(argc, argv);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    swim_config_defaults(&cfg);
    rng = mix64(o.seed);
    ntotal = (uint32_t)(o.nodes + o.joins);
    nodes = xcalloc(ntotal, sizeof(*nodes));
    born_ms = xcalloc(ntotal, sizeof(*born_ms));
    last_susp_inc = xcalloc(ntotal, sizeof(*last_susp_inc));
    last_dead_inc = xcalloc(ntotal, sizeof(*last_dead_inc));
    split_dead_inc = xcalloc(ntotal, sizeof(*split_dead_inc));
    split_counted_inc = xcalloc(ntotal, sizeof(*split_counted_inc));
    for (uint32_t i = (uint32_t)o.nodes; i < ntotal; i++) born_ms[i] = INT64_MAX;
    targets = xcalloc((size_t)(o.crashes + o.joins + o.leaves) + 1, sizeof(*targets));
    warm_ms = (int64_t)(o.warmup_s * 1000);
    end_ms = (int64_t)(o.duration_s * 1000);
    if (o.part_start_s >= 0) {
        viewm = xcalloc((size_t)ntotal * ntotal, 1);
        for (uint32_t a = 0; a < (uint32_t)o.nodes; a++)
            memset(viewm + (size_t)a * ntotal, 1 + SWIM_ALIVE, (size_t)o.nodes);
    }
    bootstrap();
    schedule();
    fprintf(stderr, "swim-sim: %d nodes set up\n", o.nodes);

    int64_t next_progress = 10000, next_split_check = 0;
    while (nheap && heap[0].t <= end_ms) {
        struct ev e = pop();
        now = e.t;
        if (now > last_ms) {
            if (now > warm_ms) member_ms += (now - (last_ms > warm_ms ? last_ms : warm_ms)) * nup;
            last_ms = now;
        }
        if (!warm_done && now >= warm_ms) {
            warm_done = 1;
            packets_at_warm = packets_sent;
            for (uint32_t i = 0; i < ntotal; i++)
                if (nodes[i].s) udp_bytes_at_warm += swim_get_stats(nodes[i].s)->bytes_out;
        }
        if (e.type == EV_ACTION && e.act == ACT_JOIN) born_ms[e.node] = now;
        run_event(&e);
        events_run++;
        if (viewm && heal_ms < 0 && split_ms >= 0 && split_detected_ms < 0 && now >= next_split_check) {
            next_split_check = now + 1000;
            uint64_t total, pending = split_pending(&total);
            if (split_999_ms < 0 && pending * 1000 <= total) split_999_ms = now;
            if (!pending) split_detected_ms = now;
        }
        if (viewm && heal_ms >= 0 && healed_ms < 0 && bad_pairs == 0) healed_ms = now;
        if (now >= next_progress) {
            clock_gettime(CLOCK_MONOTONIC, &t1);
            fprintf(stderr, "  t=%3lld s (wall %.1f s)\n", (long long)(now / 1000),
                    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
            next_progress += 10000;
        }
    }
    now = end_ms;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    report((double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
}
