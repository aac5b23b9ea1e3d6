/* cmd_cluster.c -- the CLUSTER command family: INFO, NODES, SLOTS, SHARDS,
 * MYID, KEYSLOT, COUNTKEYSINSLOT, GETKEYSINSLOT, HELP in Redis 7.0's reply
 * shapes and error texts, and shoal's own MEMBERS.
 *
 * Everything is read from one cluster view (cluster.h), so a reply is
 * consistent with itself. shoal has no replicas: every member is a master,
 * and the slots a member owns are those the slot map (slotmap.h) gives it.
 * Contiguous slots of one owner are merged into ranges, as Redis shows
 * them; slots are owned in blocks of 4, so there are a few thousand.
 *
 * Mapping SWIM states onto Redis Cluster's node flags and fields:
 * - alive: "master", link "connected"; suspect: "master,fail?" (Redis's
 *   PFAIL), link "disconnected"; dead: "master,fail"; left (a graceful
 *   leave): "master,fail" too -- to a client both mean "not serving,
 *   don't route here", and CLUSTER MEMBERS tells them apart. The map's
 *   owners are the alive and suspect members (cluster.c: a suspicion
 *   moves no slots), so a suspect keeps its slots, counted in
 *   cluster_slots_pfail; slots of an owner that is dead, left or missing
 *   from the view count as cluster_slots_fail and make cluster_state fail.
 * - config-epoch (NODES) is the member's SWIM incarnation; ping-sent is 0
 *   (a view carries no per-node probe state); pong-recv is the wall-clock
 *   time (ms) the member entered its current state. CLUSTER INFO's
 *   cluster_current_epoch is the highest incarnation, cluster_my_epoch
 *   ours, the message counters SWIM's packet counters.
 * - SHARDS: one shard per member, in the view's order (ourselves first);
 *   health "online" unless dead or left ("failed"), as Redis reports a
 *   PFAIL node online.
 *
 * When cluster-enabled is no, every subcommand replies Redis's "This
 * instance has cluster support disabled" (KEYSLOT and HELP too: Redis 7.0
 * checks before looking at the subcommand). */
#include <stdlib.h>
#include <string.h>

#include "client_info.h"
#include "cluster.h"
#include "commands.h"
#include "server.h"
#include "slotmap.h"
#include "store.h"
#include "util.h"

static const char *const disabled_msg = "ERR This instance has cluster support disabled";

/* The current view, or NULL after replying the disabled error. */
static struct cluster_view *view_or_reply(struct client *c) {
    struct cluster_view *v = cluster_enabled() ? cluster_view_get() : NULL;
    if (!v) reply_error(c, disabled_msg);
    return v;
}

static const char *state_name(enum swim_state s) {
    switch (s) {
    case SWIM_ALIVE: return "alive";
    case SWIM_SUSPECT: return "suspect";
    case SWIM_DEAD: return "dead";
    case SWIM_LEFT: return "left";
    }
    return "unknown";
}

static int node_failed(const struct cluster_node *n) {
    return !n->myself && (n->state == SWIM_DEAD || n->state == SWIM_LEFT);
}

/* ---- slot ranges ---- */

/* A run of contiguous slots with one owner. */
struct run {
    unsigned start, end;
    long node;          /* index in the view's nodes, -1 if not in it */
};

/* The view digested for replies: runs of slots in slot order, and for
 * each node its runs (by_node[first[i]] .. by_node[first[i+1]-1]). */
struct layout {
    struct run *runs;
    size_t nruns;
    size_t *first;      /* nnodes + 1 entries */
    size_t *by_node;    /* indexes into runs */
    size_t *nslots;     /* slots owned, per node */
};

static int cmp_map_id(const void *key, const void *elem) {
    return strcmp(key, elem);
}

static void layout_build(const struct cluster_view *v, struct layout *l) {
    const struct slotmap *m = v->map;
    memset(l, 0, sizeof(*l));
    l->first = calloc(v->nnodes + 1, sizeof(*l->first));
    l->nslots = calloc(v->nnodes + 1, sizeof(*l->nslots));
    if (!l->first || !l->nslots) abort();
    if (!m || !m->nnodes) return;

    /* which view node each owner of the map is */
    long *node_of = malloc(m->nnodes * sizeof(*node_of));
    l->runs = malloc(CLUSTER_SLOTS * sizeof(*l->runs));
    l->by_node = malloc(CLUSTER_SLOTS * sizeof(*l->by_node));
    if (!node_of || !l->runs || !l->by_node) abort();
    for (size_t j = 0; j < m->nnodes; j++) node_of[j] = -1;
    for (size_t i = 0; i < v->nnodes; i++) {
        const char (*hit)[41] = bsearch(v->nodes[i].id, m->ids, m->nnodes, sizeof(*m->ids),
                                        cmp_map_id);
        if (hit) node_of[hit - m->ids] = (long)i;
    }

    for (unsigned s = 0; s < CLUSTER_SLOTS; s++) {
        long node = m->owner[s] < m->nnodes ? node_of[m->owner[s]] : -1;
        if (l->nruns && l->runs[l->nruns - 1].node == node) l->runs[l->nruns - 1].end = s;
        else l->runs[l->nruns++] = (struct run){s, s, node};
        if (node >= 0) l->nslots[node]++;
    }
    free(node_of);

    /* bucket the runs by node (a counting sort keeps slot order) */
    for (size_t r = 0; r < l->nruns; r++)
        if (l->runs[r].node >= 0) l->first[l->runs[r].node + 1]++;
    for (size_t i = 0; i < v->nnodes; i++) l->first[i + 1] += l->first[i];
    size_t *fill = malloc((v->nnodes + 1) * sizeof(*fill));
    if (!fill) abort();
    memcpy(fill, l->first, (v->nnodes + 1) * sizeof(*fill));
    for (size_t r = 0; r < l->nruns; r++)
        if (l->runs[r].node >= 0) l->by_node[fill[l->runs[r].node]++] = r;
    free(fill);
}

static void layout_free(struct layout *l) {
    free(l->runs);
    free(l->first);
    free(l->by_node);
    free(l->nslots);
}

/* ---- CLUSTER INFO ---- */

void cmd_cluster_info(struct client *c) {
    struct cluster_view *v = view_or_reply(c);
    if (!v) return;
    struct layout l;
    layout_build(v, &l);
    long long assigned = 0, ok = 0, pfail = 0, fail = 0, size = 0;
    uint64_t current_epoch = 0, my_epoch = 0;
    for (size_t r = 0; r < l.nruns; r++) {
        long long n = l.runs[r].end - l.runs[r].start + 1;
        long node = l.runs[r].node;
        assigned += n;
        if (node < 0 || node_failed(&v->nodes[node])) fail += n;
        else if (v->nodes[node].state == SWIM_SUSPECT && !v->nodes[node].myself) pfail += n;
        else ok += n;
    }
    for (size_t i = 0; i < v->nnodes; i++) {
        if (l.nslots[i]) size++;
        if (v->nodes[i].incarnation > current_epoch) current_epoch = v->nodes[i].incarnation;
        if (v->nodes[i].myself) my_epoch = v->nodes[i].incarnation;
    }
    int state_ok = assigned == CLUSTER_SLOTS && fail == 0;

    struct strbuf sb = {0};
    sb_printf(&sb,
              "cluster_state:%s\r\n"
              "cluster_slots_assigned:%lld\r\n"
              "cluster_slots_ok:%lld\r\n"
              "cluster_slots_pfail:%lld\r\n"
              "cluster_slots_fail:%lld\r\n"
              "cluster_known_nodes:%zu\r\n"
              "cluster_size:%lld\r\n"
              "cluster_current_epoch:%llu\r\n"
              "cluster_my_epoch:%llu\r\n"
              "cluster_stats_messages_sent:%llu\r\n"
              "cluster_stats_messages_received:%llu\r\n"
              "total_cluster_links_buffer_limit_exceeded:0\r\n",
              state_ok ? "ok" : "fail", assigned, ok, pfail, fail, v->nnodes, size,
              (unsigned long long)current_epoch, (unsigned long long)my_epoch,
              (unsigned long long)v->stats.packets_out, (unsigned long long)v->stats.packets_in);
    reply_verbatim(c, sb.buf, sb.len, "txt");
    free(sb.buf);
    layout_free(&l);
    cluster_view_put(v);
}

/* ---- CLUSTER NODES ---- */

static void append_range(struct strbuf *sb, const struct run *r) {
    if (r->start == r->end) sb_printf(sb, " %u", r->start);
    else sb_printf(sb, " %u-%u", r->start, r->end);
}

void cmd_cluster_nodes(struct client *c) {
    struct cluster_view *v = view_or_reply(c);
    if (!v) return;
    struct layout l;
    layout_build(v, &l);
    struct strbuf sb = {0};
    for (size_t i = 0; i < v->nnodes; i++) {
        const struct cluster_node *n = &v->nodes[i];
        const char *flags;
        int connected;
        if (n->myself) {
            flags = "myself,master";
            connected = 1;
        } else if (n->state == SWIM_ALIVE) {
            flags = "master";
            connected = 1;
        } else {
            flags = n->state == SWIM_SUSPECT ? "master,fail?" : "master,fail";
            connected = 0;
        }
        sb_printf(&sb, "%s %s:%d@%d %s - 0 %lld %llu %s", n->id, n->ip, n->port, n->cport, flags,
                  (long long)n->state_since_ms, (unsigned long long)n->incarnation,
                  connected ? "connected" : "disconnected");
        for (size_t k = l.first[i]; k < l.first[i + 1]; k++)
            append_range(&sb, &l.runs[l.by_node[k]]);
        sb_append(&sb, "\n", 1);
    }
    reply_verbatim(c, sb.buf ? sb.buf : "", sb.len, "txt");
    free(sb.buf);
    layout_free(&l);
    cluster_view_put(v);
}

/* ---- CLUSTER SLOTS ---- */

void cmd_cluster_slots(struct client *c) {
    struct cluster_view *v = view_or_reply(c);
    if (!v) return;
    struct layout l;
    layout_build(v, &l);
    long shown = 0;
    for (size_t r = 0; r < l.nruns; r++) shown += l.runs[r].node >= 0;
    reply_array(c, shown);
    for (size_t r = 0; r < l.nruns; r++) {
        const struct run *run = &l.runs[r];
        if (run->node < 0) continue;
        const struct cluster_node *n = &v->nodes[run->node];
        reply_array(c, 3);
        reply_int(c, run->start);
        reply_int(c, run->end);
        reply_array(c, 4);
        reply_bulk_cstr(c, n->ip);
        reply_int(c, n->port);
        reply_bulk_cstr(c, n->id);
        reply_map(c, 0);    /* no hostname */
    }
    layout_free(&l);
    cluster_view_put(v);
}

/* ---- CLUSTER SHARDS ---- */

static void reply_field_str(struct client *c, const char *name, const char *value) {
    reply_bulk_cstr(c, name);
    reply_bulk_cstr(c, value);
}

void cmd_cluster_shards(struct client *c) {
    struct cluster_view *v = view_or_reply(c);
    if (!v) return;
    struct layout l;
    layout_build(v, &l);
    reply_array(c, (long)v->nnodes);
    for (size_t i = 0; i < v->nnodes; i++) {
        const struct cluster_node *n = &v->nodes[i];
        reply_map(c, 2);
        reply_bulk_cstr(c, "slots");
        reply_array(c, (long)(2 * (l.first[i + 1] - l.first[i])));
        for (size_t k = l.first[i]; k < l.first[i + 1]; k++) {
            reply_int(c, l.runs[l.by_node[k]].start);
            reply_int(c, l.runs[l.by_node[k]].end);
        }
        reply_bulk_cstr(c, "nodes");
        reply_array(c, 1);
        reply_map(c, 7);
        reply_field_str(c, "id", n->id);
        reply_bulk_cstr(c, "port");
        reply_int(c, n->port);
        reply_field_str(c, "ip", n->ip);
        reply_field_str(c, "endpoint", n->ip);
        reply_field_str(c, "role", "master");
        reply_bulk_cstr(c, "replication-offset");
        reply_int(c, 0);
        reply_field_str(c, "health", node_failed(n) ? "failed" : "online");
    }
    layout_free(&l);
    cluster_view_put(v);
}

/* ---- CLUSTER MEMBERS (shoal) ---- */

/* Every member SWIM knows, ourselves first: an array of maps. */
void cmd_cluster_members(struct client *c) {
    struct cluster_view *v = view_or_reply(c);
    if (!v) return;
    int64_t now = mstime();
    reply_array(c, (long)v->nnodes);
    for (size_t i = 0; i < v->nnodes; i++) {
        const struct cluster_node *n = &v->nodes[i];
        int64_t age = now - n->state_since_ms;
        reply_map(c, 9);
        reply_field_str(c, "id", n->id);
        reply_field_str(c, "ip", n->ip);
        reply_bulk_cstr(c, "port");
        reply_int(c, n->port);
        reply_bulk_cstr(c, "cluster-port");
        reply_int(c, n->cport);
        reply_field_str(c, "state", state_name(n->state));
        reply_bulk_cstr(c, "incarnation");
        reply_int(c, (long long)n->incarnation);
        reply_bulk_cstr(c, "rtt-us");
        reply_int(c, n->rtt_us);
        reply_bulk_cstr(c, "state-seconds");
        reply_int(c, age > 0 ? age / 1000 : 0);
        reply_bulk_cstr(c, "myself");
        reply_bool(c, n->myself);
    }
    cluster_view_put(v);
}

/* ---- CLUSTER MYID, KEYSLOT ---- */

void cmd_cluster_myid(struct client *c) {
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    reply_bulk_cstr(c, cluster_my_id());
}

void cmd_cluster_keyslot(struct client *c) {
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    reply_int(c, key_hash_slot(c->argv[2].ptr, c->argv[2].len));
}

/* ---- CLUSTER COUNTKEYSINSLOT, GETKEYSINSLOT ----
 * shoal keeps no per-slot index of keys: both walk the whole current
 * database (each shard locked in turn), so they cost O(keys). */

struct slot_keys {
    unsigned slot;
    long long max;      /* keys to collect; count only when 0 */
    long long count;
    char *buf;          /* collected keys: length (size_t) then bytes */
    size_t len, cap;
};

static void slot_keys_visit(struct entry *e, void *ctx) {
    struct slot_keys *sk = ctx;
    size_t klen;
    const char *key = entry_key(e, &klen);
    if (key_hash_slot(key, klen) != sk->slot) return;
    if (sk->max == 0) {
        sk->count++;
        return;
    }
    if (sk->count >= sk->max) return;
    sk->count++;
    size_t need = sk->len + sizeof(size_t) + klen;
    if (need > sk->cap) {
        size_t cap = sk->cap ? sk->cap : 256;
        while (cap < need) cap *= 2;
        char *n = realloc(sk->buf, cap);
        if (!n) abort();
        sk->buf = n;
        sk->cap = cap;
    }
    memcpy(sk->buf + sk->len, &klen, sizeof(klen));
    if (klen) memcpy(sk->buf + sk->len + sizeof(klen), key, klen);
    sk->len = need;
}

void cmd_cluster_countkeysinslot(struct client *c) {
    long long slot;
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    if (!string2ll(c->argv[2].ptr, c->argv[2].len, &slot)) {
        reply_not_integer(c);
        return;
    }
    if (slot < 0 || slot >= CLUSTER_SLOTS) {
        reply_error(c, "ERR Invalid slot");
        return;
    }
    struct slot_keys sk = {.slot = (unsigned)slot};
    store_foreach(c->db, c->now_ms, slot_keys_visit, &sk);
    reply_int(c, sk.count);
}

void cmd_cluster_getkeysinslot(struct client *c) {
    long long slot, max;
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    if (!string2ll(c->argv[2].ptr, c->argv[2].len, &slot) ||
        !string2ll(c->argv[3].ptr, c->argv[3].len, &max)) {
        reply_not_integer(c);
        return;
    }
    if (slot < 0 || slot >= CLUSTER_SLOTS || max < 0) {
        reply_error(c, "ERR Invalid slot or number of keys");
        return;
    }
    if (max == 0) {
        reply_array(c, 0);
        return;
    }
    struct slot_keys sk = {.slot = (unsigned)slot, .max = max};
    store_foreach(c->db, c->now_ms, slot_keys_visit, &sk);
    reply_array(c, sk.count);
    for (size_t off = 0; off < sk.len;) {
        size_t klen;
        memcpy(&klen, sk.buf + off, sizeof(klen));
        reply_bulk(c, sk.buf + off + sizeof(klen), klen);
        off += sizeof(klen) + klen;
    }
    free(sk.buf);
}

/* ---- CLUSTER HELP ---- */

/* Redis 7.0's text for the subcommands shoal has, in Redis's order, and
 * MEMBERS. */
static const char *const cluster_help[] = {
    "CLUSTER <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "COUNTKEYSINSLOT <slot>",
    "    Return the number of keys in <slot>.",
    "GETKEYSINSLOT <slot> <count>",
    "    Return key names stored by current node in a slot.",
    "INFO",
    "    Return information about the cluster.",
    "KEYSLOT <key>",
    "    Return the hash slot for <key>.",
    "MEMBERS",
    "    Return every member of the cluster with its membership state, address,",
    "    incarnation, last probe round trip (us) and seconds in its state.",
    "MYID",
    "    Return the node id.",
    "NODES",
    "    Return cluster configuration seen by node. Output format:",
    "    <id> <ip:port> <flags> <master> <pings> <pongs> <epoch> <link> <slot> ...",
    "SLOTS",
    "    Return information about slots range mappings. Each range is made of:",
    "    start, end, master and replicas IP addresses, ports and ids",
    "SHARDS",
    "    Return information about slot range mappings and the nodes associated with them.",
    "HELP",
    "    Prints this help.",
};

void cmd_cluster_help(struct client *c) {
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    size_t n = sizeof(cluster_help) / sizeof(cluster_help[0]);
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_status(c, cluster_help[i]);
}

/* CLUSTER PEERLINK <node-id> [<secret>] (shoal's own): the hand-shake a
 * member's peer link (peer.c) opens with. It marks this connection as a
 * peer's, so what comes over it runs here and is never forwarded again.
 * With cluster-secret set, the secret authenticates the link; without it
 * the link must have passed AUTH like any client. */
void cmd_cluster_peerlink(struct client *c) {
    if (!cluster_enabled()) {
        reply_error(c, disabled_msg);
        return;
    }
    if (c->argc > 4) {
        reply_arity_error(c);
        return;
    }
    unsigned flags = atomic_load(&c->flags);
    if (cfg.cluster_secret) {
        if (c->argc < 4 || strcmp(c->argv[3].ptr, cfg.cluster_secret) != 0) {
            reply_error(c, "WRONGPASS invalid cluster secret");
            return;
        }
        atomic_fetch_or(&c->flags, CLIENT_AUTHENTICATED);
    } else if (cfg.requirepass && !(flags & CLIENT_AUTHENTICATED)) {
        reply_error(c, "NOAUTH Authentication required.");
        return;
    }
    atomic_fetch_or(&c->flags, CLIENT_PEER);
    reply_ok(c);
}

/* READONLY / READWRITE / ASKING: what Redis Cluster clients send; every
 * member serves reads and there are no slot migrations, so they are
 * accepted and change nothing. */
static void cluster_noop(struct client *c) {
    if (!cluster_enabled()) reply_error(c, disabled_msg);
    else reply_ok(c);
}

void cmd_readonly(struct client *c) {
    cluster_noop(c);
}

void cmd_readwrite(struct client *c) {
    cluster_noop(c);
}

void cmd_asking(struct client *c) {
    cluster_noop(c);
}
