/* swim.h -- cluster membership: SWIM with HashiCorp's Lifeguard
 * refinements, as a pure state machine (in the spirit of Tarantool's
 * swim.c). No sockets, no clock, no threads: the caller feeds it the time,
 * received packets and push-pull state, and drains the packets it wants
 * sent, the state exchanges it wants made, and the member events it
 * produced. cluster.c wraps it with libev, UDP and TCP; the simulator in
 * utils/ drives thousands of instances over a fake network.
 *
 * Protocol (SWIM, Das et al. 2002; Lifeguard, Dadgar et al. 2018):
 * - every probe interval, ping the next member of a shuffled round-robin
 *   order; without an ack within the probe timeout, ask k members to ping
 *   it indirectly; without any ack by the end of the period, suspect it;
 * - a suspect becomes dead when its suspicion timeout runs out, unless it
 *   refutes by gossiping alive with a higher incarnation;
 * - updates ride piggy-backed on protocol messages, each retransmitted
 *   lambda*log(N+1) times;
 * - Lifeguard: a local health multiplier stretches this node's probe
 *   interval and timeouts when it misses its own deadlines (nack-based);
 *   suspicion timeouts start at beta*min and shrink towards min with
 *   independent confirmations; a suspected member hears the suspicion
 *   first, in the ping it is probed with (buddy system);
 * - periodic push-pull with a random member exchanges the full state
 *   (anti-entropy); dead members and seeds are retried at a slow bounded
 *   rate, so partitions heal even after both sides declared each other
 *   dead.
 *
 * Wire format: every packet starts with a version byte and the cluster
 * name; packets that are truncated, malformed, of another version or
 * another cluster are dropped and counted, never trusted. */
#ifndef SHOAL_SWIM_H
#define SHOAL_SWIM_H

#include <stddef.h>
#include <stdint.h>

#define SWIM_ID_LEN 40            /* hex characters, as Redis Cluster ids */
#define SWIM_MAX_PACKET 1400      /* bytes: fits any path MTU in practice */
#define SWIM_CLUSTER_NAME_MAX 64

/* A member's address: the IP it is reached at and its cluster (UDP/TCP)
 * port, plus the client port others redirect/forward to. */
struct swim_addr {
    uint8_t family;               /* 4 or 6 */
    uint8_t ip[16];               /* network order; IPv4 in the first 4 */
    uint16_t port;                /* cluster port */
};

enum swim_state {
    SWIM_ALIVE,
    SWIM_SUSPECT,
    SWIM_DEAD,
    SWIM_LEFT,
};

struct swim_member {
    char id[SWIM_ID_LEN + 1];
    struct swim_addr addr;
    uint16_t client_port;
    enum swim_state state;
    uint64_t incarnation;
    int64_t state_since_ms;       /* when it entered its state */
    int64_t last_rtt_us;          /* last direct probe round trip, -1 if none */
};

struct swim_config {
    char cluster_name[SWIM_CLUSTER_NAME_MAX + 1];
    int probe_interval_ms;        /* 1000 */
    int probe_timeout_ms;         /* 500 */
    int indirect_checks;          /* k = 3 */
    int suspicion_mult;           /* alpha = 4: min timeout = alpha*log10(N)*interval */
    int suspicion_max_mult;       /* beta = 6: max timeout = beta*min */
    int retransmit_mult;          /* lambda = 4 */
    int gossip_interval_ms;       /* 200: extra gossip-only packets */
    int gossip_nodes;             /* 3 */
    int pushpull_interval_ms;     /* 30000 */
    int awareness_max;            /* 8: Lifeguard's local health cap */
    int reconnect_interval_ms;    /* 30000: retry a dead member or seed */
    int dead_reap_ms;             /* 3600000: forget dead/left members after this */
    int gossip_to_dead_ms;        /* 30000: keep gossiping to the newly dead,
                                   * so a live one hears it and refutes */
};

/* Fills the defaults above. */
void swim_config_defaults(struct swim_config *cfg);

enum swim_event_kind {
    SWIM_EV_JOINED,               /* a member became known (alive) */
    SWIM_EV_STATE,                /* a member changed state */
    SWIM_EV_UPDATED,              /* address or client port changed */
    SWIM_EV_REAPED,               /* a dead/left member was forgotten */
};

struct swim_event {
    enum swim_event_kind kind;
    struct swim_member member;    /* the member after the change */
    enum swim_state old_state;
};

struct swim_stats {
    uint64_t packets_in, packets_out, bytes_in, bytes_out;
    uint64_t dropped;             /* malformed, truncated, foreign */
    uint64_t probes, indirect_probes, suspicions, refutations, deaths;
    uint64_t pushpulls;           /* state exchanges merged */
    int awareness;                /* current local health multiplier */
    uint64_t late_timers;         /* on_timer ran late: we were starved */
    uint64_t reconnects;          /* syncs asked of dead members and seeds */
};

struct swim;

/* self_id: 40 hex characters (any case; reported in lower case). cfg NULL
 * means the defaults. Returns NULL if self_id is not 40 hex characters.
 * Every random choice comes from `seed`: same seed, same inputs, same
 * outputs. */
struct swim *swim_create(const struct swim_config *cfg, const char *self_id,
                         const struct swim_addr *self_addr, uint16_t client_port,
                         uint64_t seed, int64_t now_ms);
void swim_destroy(struct swim *s);

/* ---- inputs ---- */

/* A UDP packet arrived from `from`. */
void swim_on_packet(struct swim *s, int64_t now_ms, const struct swim_addr *from,
                    const void *buf, size_t len);
/* Time has passed: run due timers. Call at swim_next_timer() or later. */
void swim_on_timer(struct swim *s, int64_t now_ms);
/* Remember an address to join through (a seed); the core asks for a
 * push-pull with it (swim_pop_sync) until it knows other members, and
 * retries seeds at the reconnect interval afterwards. */
void swim_add_seed(struct swim *s, const struct swim_addr *addr);
/* Announce a graceful leave: the others mark this node left, not dead. */
void swim_leave(struct swim *s, int64_t now_ms);

/* ---- outputs ---- */

/* When swim_on_timer must run next (absolute ms). */
int64_t swim_next_timer(const struct swim *s);
/* Drain all four outputs after every input call (on_packet, on_timer,
 * add_seed, leave, merge_state) and re-arm the timer at swim_next_timer(). */

/* Pops the next UDP packet to send: returns its length (0 if none). cap
 * must be at least SWIM_MAX_PACKET (a packet that does not fit is
 * discarded). */
size_t swim_pop_packet(struct swim *s, struct swim_addr *to, void *buf, size_t cap);
/* Pops the next push-pull the caller should make over TCP: 1 if one is
 * wanted (to *to), 0 if none. */
int swim_pop_sync(struct swim *s, struct swim_addr *to);
/* Pops the next member event: 1 if one was returned. */
int swim_pop_event(struct swim *s, struct swim_event *ev);

/* ---- push-pull state exchange (both sides of a TCP connection) ----
 * The side that popped the sync connects and sends swim_encode_state();
 * the accepting side calls swim_merge_state() on it FIRST and only then
 * swim_encode_state() for its reply (so a node that learns it was declared
 * dead answers with its refutation), which the first side merges. A merge
 * that made this node refute queues one follow-up sync to the same peer.
 * Frame the state on TCP yourself (e.g. a 4-byte length). */

/* Encodes this node's full member list into buf; returns its length, or
 * the length needed if cap is too small. */
size_t swim_encode_state(struct swim *s, int64_t now_ms, void *buf, size_t cap);
/* Merges a peer's encoded state; returns 0, or -1 if malformed (counted
 * in stats.dropped). Adopts new members, newer incarnations and leaves,
 * and refutes accusations against this node; the peer's suspicions and
 * deaths of others are not taken on trust (unlike memberlist) but make
 * this node probe those members first. */
int swim_merge_state(struct swim *s, int64_t now_ms, const void *buf, size_t len);

/* ---- introspection ----
 * swim_member_at(s, 0) is this node (as swim_self); the others follow in
 * no particular order (the probe order, reshuffled as it goes). Members
 * are stored compactly, so swim_member_at() fills one scratch record: the
 * pointer stays valid until the next swim_member_at() call or input. The
 * swim_self() pointer stays valid for the life of s. */

size_t swim_member_count(const struct swim *s);        /* including self */
const struct swim_member *swim_member_at(const struct swim *s, size_t i);
const struct swim_member *swim_self(const struct swim *s);
const struct swim_stats *swim_get_stats(const struct swim *s);

#endif
