/* forward.c -- routing commands to the members that own their keys (see
 * forward.h for what each kind of command does).
 *
 * An operation (struct fwd_op) is one client command in flight: it opened
 * a hole in the client's output and has one part per member involved.
 * A remote part is a request on a peer link; a local part runs at once on
 * the worker's scratch client, its reply parsed back into the same form as
 * a peer's (a hiredis redisReply), so merging never cares where a part
 * ran. When the last part is in, the merged reply fills the hole. An
 * operation not finished within cluster-forward-timeout is answered with
 * -TRYAGAIN; replies that come later are dropped.
 *
 * Peer links speak RESP2 (hiredis 0.14 has no RESP3); replies are encoded
 * again in the client's protocol. Among the commands that are forwarded,
 * only EXEC can answer a null array, which RESP2 tells apart from a null
 * bulk string. */
#include "forward.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cluster.h"
#include "commands.h"
#include "connection.h"
#include "metrics.h"
#include "multi.h"
#include "peer.h"
#include "slotmap.h"
#include "util.h"

#define CROSSSLOT_MSG "CROSSSLOT Keys in request don't hash to the same slot"
/* SCAN's cluster cursor: the member index above the member's own cursor
 * (whose shard and bucket bits stay well below 2^48). */
#define SCAN_MEMBER_SHIFT 48
#define SCAN_LOCAL_MASK ((UINT64_C(1) << SCAN_MEMBER_SHIFT) - 1)
#define TIMER_PERIOD 0.01

enum route {
    R_LOCAL,       /* no keys: runs here */
    R_KEYS,        /* keys on one owner, else CROSSSLOT */
    R_MGET,        /* split by owner, values merged in key order */
    R_MSET,        /* split by owner, all must say OK */
    R_SUM,         /* split by owner, integer replies added up */
    R_ALL_SUM,     /* every member, integers added up (DBSIZE) */
    R_ALL_CONCAT,  /* every member, arrays concatenated (KEYS) */
    R_ALL_OK,      /* every member, all must say OK (FLUSHALL...) */
    R_SCAN,        /* one member at a time, the cursor says which */
    R_RANDOMKEY,   /* every member, one non-nil answer at random */
    R_EXEC,
    R_WATCH,
    R_TXN_END,     /* UNWATCH, DISCARD, RESET */
    R_SELECT,      /* redirect mode refuses db != 0 */
};

enum merge { M_PASS, M_EXEC, M_MGET, M_OK, M_SUM, M_CONCAT, M_SCAN, M_RANDOM };

struct fwd_part {
    struct fwd_op *op;          /* NULL once the op finished without it */
    redisReply *reply;          /* owned, unless borrowed */
    int borrowed;               /* reply belongs to hiredis (during its callback) */
    int done;
    char *err;                  /* why no reply came, or NULL */
    char where[64];             /* "ip:port" of the member */
};

struct fwd_op {
    struct fwd_op *prev, *next; /* the worker's list, oldest first */
    struct client *client;      /* NULL once the client is gone */
    struct reply_block *hole;   /* NULL: the client wants no reply */
    int resp;
    enum merge merge;
    int64_t deadline_ms;
    int nparts, pending;
    struct fwd_part **parts;
    int *key_part, *key_pos;    /* M_MGET: where each key's value is */
    int nkeys;
    unsigned member, nmembers;  /* M_SCAN */
    struct peer_link *release;  /* a transaction's private link, done after */
    void (*done)(struct fwd_op *op);   /* an internal request's own merge */
};

/* Where a slot map index lives. */
struct fwd_owner {
    const struct cluster_node *node;   /* NULL if unknown */
    int self;
};

enum txn_state { TXN_NONE, TXN_LOCAL, TXN_REMOTE, TXN_SPAN };

struct fwd_client {
    enum txn_state txn;         /* where the WATCHed keys are */
    char txn_id[41];            /* TXN_REMOTE: the owner */
    struct peer_link *txn_link; /* TXN_REMOTE: the link holding the watches */
};

struct fwd_worker {
    struct worker *w;
    struct cluster_view *view;  /* a reference, refreshed on a new generation */
    unsigned gen;
    struct fwd_owner *owners;   /* by slot map index */
    size_t nowners;
    struct fwd_op *head, *tail;
    ev_timer timer;
    struct client *scratch;     /* runs local parts */
    redisReader *reader;        /* parses what the scratch client answered */
    struct forward_stats stats; /* read by INFO on other threads */
};

static unsigned char *routes;   /* by command id */

/* ---- the cached view ---- */

static int cmp_node_id(const void *a, const void *b) {
    const struct cluster_node *const *x = a, *const *y = b;
    return strcmp((*x)->id, (*y)->id);
}

/* Points each slot map index at its node in the view (both by id). */
static int build_owners(struct fwd_worker *fw) {
    const struct cluster_view *v = fw->view;
    const struct slotmap *map = v->map;
    free(fw->owners);
    fw->owners = NULL;
    fw->nowners = 0;
    if (!map) return 0;
    const struct cluster_node **sorted = malloc(v->nnodes * sizeof(*sorted));
    fw->owners = calloc(map->nnodes, sizeof(*fw->owners));
    if (!sorted || !fw->owners) {
        free(sorted);
        return -1;
    }
    for (size_t i = 0; i < v->nnodes; i++) sorted[i] = &v->nodes[i];
    qsort(sorted, v->nnodes, sizeof(*sorted), cmp_node_id);
    size_t j = 0;
    for (size_t i = 0; i < map->nnodes; i++) {   /* map ids are sorted too */
        while (j < v->nnodes && strcmp(sorted[j]->id, map->ids[i]) < 0) j++;
        if (j < v->nnodes && !strcmp(sorted[j]->id, map->ids[i])) {
            fw->owners[i].node = sorted[j];
            fw->owners[i].self = sorted[j]->myself;
        }
    }
    fw->nowners = map->nnodes;
    free(sorted);
    peer_links_prune(fw->w, (const char(*)[41])map->ids, map->nnodes);
    return 0;
}

/* The current view with its owners, or NULL when there is none. */
static const struct slotmap *current_map(struct fwd_worker *fw) {
    unsigned gen = cluster_view_generation();
    if (!fw->view || gen != fw->gen) {
        struct cluster_view *v = cluster_view_get();
        if (!v) return NULL;
        cluster_view_put(fw->view);
        fw->view = v;
        fw->gen = gen;
        if (build_owners(fw) < 0) return NULL;
    }
    return fw->nowners ? fw->view->map : NULL;
}

static int owner_of(const struct slotmap *map, const struct arg *key) {
    return map->owner[key_hash_slot(key->ptr, key->len)];
}

/* ---- replies ---- */

static redisReply *reply_dup(const redisReply *r) {
    redisReply *d = calloc(1, sizeof(*d));
    if (!d) return NULL;
    d->type = r->type;
    d->integer = r->integer;
    if (r->str) {
        d->str = malloc(r->len + 1);
        if (!d->str) goto oom;
        memcpy(d->str, r->str, r->len + 1);
        d->len = r->len;
    }
    if (r->type == REDIS_REPLY_ARRAY && r->elements) {
        d->element = calloc(r->elements, sizeof(*d->element));
        if (!d->element) goto oom;
        d->elements = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            if (!(d->element[i] = reply_dup(r->element[i]))) goto oom;
    }
    return d;
oom:
    freeReplyObject(d);
    return NULL;
}

/* Encodes a peer's reply in the client's protocol. */
static void emit(struct client *c, const redisReply *r, int null_array) {
    switch (r->type) {
    case REDIS_REPLY_STRING: reply_bulk(c, r->str, r->len); break;
    case REDIS_REPLY_INTEGER: reply_int(c, r->integer); break;
    case REDIS_REPLY_STATUS: reply_status(c, r->str); break;
    case REDIS_REPLY_ERROR: reply_error(c, r->str); break;
    case REDIS_REPLY_NIL:
        if (null_array) reply_null_array(c);
        else reply_null(c);
        break;
    case REDIS_REPLY_ARRAY:
        reply_array(c, (long)r->elements);
        for (size_t i = 0; i < r->elements; i++) emit(c, r->element[i], 0);
        break;
    default: reply_error(c, "ERR unexpected reply from the owner"); break;
    }
}

/* The first failure among the parts, as an error reply; 0 if none. */
static int emit_failure(struct client *c, const struct fwd_op *op) {
    for (int i = 0; i < op->nparts; i++) {
        const struct fwd_part *p = op->parts[i];
        if (p->err) {
            reply_errorf(c, "TRYAGAIN Owner %s %s", p->where, p->err);
            return 1;
        }
        if (!p->reply) {
            reply_error(c, "ERR out of memory while forwarding");
            return 1;
        }
    }
    for (int i = 0; i < op->nparts; i++) {
        const redisReply *r = op->parts[i]->reply;
        if (r->type == REDIS_REPLY_ERROR) {
            reply_error(c, r->str);
            return 1;
        }
    }
    return 0;
}

static void emit_merged(struct client *c, struct fwd_op *op) {
    if (op->merge == M_PASS || op->merge == M_EXEC) {
        const struct fwd_part *p = op->parts[0];
        if (p->err || !p->reply) emit_failure(c, op);
        else emit(c, p->reply, op->merge == M_EXEC);
        return;
    }
    if (op->merge == M_RANDOM) {
        int n = 0, pick = -1;
        for (int i = 0; i < op->nparts; i++) {
            const redisReply *r = op->parts[i]->reply;
            /* reservoir sampling over the members that had a key */
            if (r && r->type == REDIS_REPLY_STRING && random() % ++n == 0) pick = i;
        }
        if (pick >= 0) emit(c, op->parts[pick]->reply, 0);
        else if (!emit_failure(c, op)) reply_null(c);
        return;
    }
    if (emit_failure(c, op)) return;
    switch (op->merge) {
    case M_MGET:
        reply_array(c, op->nkeys);
        for (int k = 0; k < op->nkeys; k++) {
            const redisReply *r = op->parts[op->key_part[k]]->reply;
            size_t pos = (size_t)op->key_pos[k];
            if (r->type == REDIS_REPLY_ARRAY && pos < r->elements) emit(c, r->element[pos], 0);
            else reply_null(c);
        }
        break;
    case M_OK: emit(c, op->parts[0]->reply, 0); break;
    case M_SUM: {
        long long sum = 0;
        for (int i = 0; i < op->nparts; i++) sum += op->parts[i]->reply->integer;
        reply_int(c, sum);
        break;
    }
    case M_CONCAT: {
        long n = 0;
        for (int i = 0; i < op->nparts; i++) n += (long)op->parts[i]->reply->elements;
        reply_array(c, n);
        for (int i = 0; i < op->nparts; i++) {
            const redisReply *r = op->parts[i]->reply;
            for (size_t j = 0; j < r->elements; j++) emit(c, r->element[j], 0);
        }
        break;
    }
    case M_SCAN: {
        const redisReply *r = op->parts[0]->reply;
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 ||
            r->element[0]->type != REDIS_REPLY_STRING) {
            reply_error(c, "ERR unexpected SCAN reply from a member");
            break;
        }
        unsigned long long next = strtoull(r->element[0]->str, NULL, 10);
        uint64_t cursor = 0;
        if (next) cursor = (uint64_t)op->member << SCAN_MEMBER_SHIFT | next;
        else if (op->member + 1 < op->nmembers)
            cursor = (uint64_t)(op->member + 1) << SCAN_MEMBER_SHIFT;
        char buf[24];
        int len = snprintf(buf, sizeof(buf), "%" PRIu64, cursor);
        reply_array(c, 2);
        reply_bulk(c, buf, (size_t)len);
        emit(c, r->element[1], 0);
        break;
    }
    default: break;
    }
}

/* ---- operations ---- */

static void part_free(struct fwd_part *p) {
    if (p->reply && !p->borrowed) freeReplyObject(p->reply);
    free(p->err);
    free(p);
}

static void op_unlink(struct fwd_worker *fw, struct fwd_op *op) {
    if (op->prev) op->prev->next = op->next;
    else fw->head = op->next;
    if (op->next) op->next->prev = op->prev;
    else fw->tail = op->prev;
}

static struct fwd_op *op_alloc(struct worker *w, enum merge merge, int nparts) {
    struct fwd_worker *fw = w->fwd;
    struct fwd_op *op = calloc(1, sizeof(*op));
    if (!op) return NULL;
    op->parts = calloc((size_t)nparts, sizeof(*op->parts));
    if (!op->parts) {
        free(op);
        return NULL;
    }
    for (int i = 0; i < nparts; i++) {
        if (!(op->parts[i] = calloc(1, sizeof(**op->parts)))) {
            while (i--) free(op->parts[i]);
            free(op->parts);
            free(op);
            return NULL;
        }
        op->parts[i]->op = op;
    }
    op->nparts = nparts;
    op->merge = merge;
    op->deadline_ms = monotonic_us() / 1000 + cfg.cluster_forward_timeout;
    op->prev = fw->tail;
    if (fw->tail) fw->tail->next = op;
    else fw->head = op;
    fw->tail = op;
    if (!ev_is_active(&fw->timer)) ev_timer_start(w->loop, &fw->timer);
    return op;
}

static struct fwd_op *op_new(struct client *c, enum merge merge, int nparts) {
    struct fwd_op *op = op_alloc(c->worker, merge, nparts);
    if (!op) return NULL;
    op->client = c;
    op->resp = c->resp;
    op->hole = reply_hole_open(c);
    c->fwd_pending++;
    return op;
}

static void op_finish(struct fwd_op *op) {
    struct client *c = op->client;
    struct fwd_worker *fw = self_worker->fwd;
    op_unlink(fw, op);
    if (c) {
        c->fwd_pending--;
        if (op->hole) {
            struct hole_fill f;
            reply_hole_begin(c, &f, op->resp);
            emit_merged(c, op);
            reply_hole_end(c, op->hole, &f);
        }
        client_flush_later(c);
    }
    if (op->release) peer_link_release(op->release);
    if (op->done) op->done(op);
    for (int i = 0; i < op->nparts; i++) {
        struct fwd_part *p = op->parts[i];
        if (p->done) part_free(p);
        else p->op = NULL;      /* its reply, if it ever comes, frees it */
    }
    free(op->parts);
    free(op->key_part);
    free(op->key_pos);
    free(op);
}

static void part_failed(struct fwd_part *p, const char *fmt, const char *why) {
    self_worker->fwd->stats.errors++;
    p->done = 1;
    if (asprintf(&p->err, fmt, why) < 0) p->err = NULL;
}

static void on_part_reply(redisReply *reply, const char *err, void *priv) {
    struct fwd_part *p = priv;
    struct fwd_op *op = p->op;
    if (!op) {                   /* answered already (timeout) */
        part_free(p);
        return;
    }
    if (!reply) {
        part_failed(p, "is unreachable: %s", err);
    } else if (op->nparts == 1) {
        p->reply = reply;        /* merged before hiredis frees it */
        p->borrowed = 1;
    } else {
        p->reply = reply_dup(reply);
    }
    p->done = 1;
    if (--op->pending == 0) op_finish(op);
    else if (p->borrowed) p->reply = NULL;
}

static void ignore_reply(redisReply *reply, const char *err, void *priv) {
    (void)reply;
    (void)err;
    (void)priv;
}

/* Runs one command here, on the scratch client, and returns its reply as
 * a peer's would be (NULL on allocation failure). */
static redisReply *run_local(struct fwd_worker *fw, const struct client *c,
                             const struct command *cmd, int argc, struct arg *argv) {
    struct client *s = fw->scratch;
    s->db = c->db;
    s->argc = argc;
    s->argv = argv;
    s->now_ms = c->now_ms;
    dispatch_run(s, cmd);
    for (struct reply_block *b = s->reply_head, *next; b; b = next) {
        next = b->next;
        redisReaderFeed(fw->reader, b->buf, b->used);
        free(b);
    }
    s->reply_head = s->reply_tail = NULL;
    s->reply_bytes = 0;
    s->argv = NULL;
    void *r = NULL;
    if (redisReaderGetReply(fw->reader, &r) != REDIS_OK || !r) {
        redisReaderFree(fw->reader);   /* start clean */
        fw->reader = redisReaderCreate();
        return NULL;
    }
    return r;
}

/* Sends part i of op to member o (remote) or runs it here. argv is the
 * part's command. db < 0 keeps the link's database (inside a sequence). */
static void part_start(struct fwd_op *op, int i, const struct fwd_owner *o,
                       struct peer_link *link, const struct client *c, int db,
                       const struct command *cmd, int argc, struct arg *argv) {
    struct fwd_worker *fw = c->worker->fwd;
    struct fwd_part *p = op->parts[i];
    if (o->self) {
        snprintf(p->where, sizeof(p->where), "(this node)");
        p->reply = run_local(fw, c, cmd, argc, argv);
        p->done = 1;
        return;
    }
    if (!o->node) {
        snprintf(p->where, sizeof(p->where), "(unknown)");
        part_failed(p, "%s", "has no known address");
        return;
    }
    snprintf(p->where, sizeof(p->where), "%s:%d", o->node->ip, o->node->port);
    if (!link) link = peer_link_get(c->worker, o->node->id, o->node->ip, o->node->port);
    if (!link) {
        part_failed(p, "%s", "is out of reach (out of memory)");
        return;
    }
    const char *args[argc];
    size_t lens[argc];
    for (int k = 0; k < argc; k++) {
        args[k] = argv[k].ptr;
        lens[k] = argv[k].len;
    }
    char err[160];
    if (peer_send(link, db, argc, args, lens, on_part_reply, p, err, sizeof(err)) < 0) {
        part_failed(p, "is unreachable: %s", err);
        return;
    }
    op->pending++;
    fw->stats.forwarded++;
}

static void op_started(struct fwd_op *op) {
    if (op->pending == 0) op_finish(op);
}

/* ---- routes ---- */

/* The whole command to one member. */
static int forward_whole(struct client *c, const struct command *cmd, int owner) {
    struct fwd_worker *fw = c->worker->fwd;
    struct fwd_op *op = op_new(c, M_PASS, 1);
    if (!op) return -1;
    part_start(op, 0, &fw->owners[owner], NULL, c, c->db, cmd, c->argc, c->argv);
    op_started(op);
    return 1;
}

/* Keys from argv[first] on, every step-th; 0 when all are on one owner
 * (in *owner), 1 when they span several. */
static int keys_owner(const struct slotmap *map, const struct client *c, int first, int last,
                      int step, int *owner) {
    *owner = -1;
    for (int i = first; i <= last; i += step) {
        int o = owner_of(map, &c->argv[i]);
        if (*owner < 0) *owner = o;
        else if (o != *owner) return 1;
    }
    return 0;
}

static int last_key(const struct command *cmd, int argc) {
    return cmd->last_key < 0 ? argc + cmd->last_key : cmd->last_key;
}

/* MGET, MSET, DEL...: one part per owner, each with its keys in order. */
static int split(struct client *c, const struct command *cmd, const struct slotmap *map,
                 enum merge merge, int step) {
    struct fwd_worker *fw = c->worker->fwd;
    int nkeys = (c->argc - 1) / step;
    int *part_of_owner = malloc(fw->nowners * sizeof(int));
    int *key_owner = malloc((size_t)nkeys * sizeof(int));
    struct arg *sub = malloc((size_t)c->argc * sizeof(*sub));
    int *key_part = NULL, *key_pos = NULL;
    int nparts = 0, rc = -1;
    struct fwd_op *op = NULL;
    if (!part_of_owner || !key_owner || !sub) goto out;
    if (merge == M_MGET) {
        key_part = malloc((size_t)nkeys * sizeof(int));
        key_pos = malloc((size_t)nkeys * sizeof(int));
        if (!key_part || !key_pos) goto out;
    }
    for (size_t o = 0; o < fw->nowners; o++) part_of_owner[o] = -1;
    for (int k = 0; k < nkeys; k++) {
        key_owner[k] = owner_of(map, &c->argv[1 + k * step]);
        if (part_of_owner[key_owner[k]] < 0) part_of_owner[key_owner[k]] = nparts++;
    }
    if (!(op = op_new(c, merge, nparts))) goto out;
    if (merge == M_MGET) {
        op->nkeys = nkeys;
        op->key_part = key_part;
        op->key_pos = key_pos;
        key_part = key_pos = NULL;
    }
    for (size_t o = 0; o < fw->nowners; o++) {
        int pi = part_of_owner[o];
        if (pi < 0) continue;
        int argc = 1;
        sub[0] = c->argv[0];
        for (int k = 0; k < nkeys; k++) {
            if (key_owner[k] != (int)o) continue;
            if (merge == M_MGET) {
                op->key_part[k] = pi;
                op->key_pos[k] = argc - 1;
            }
            for (int s = 0; s < step; s++) sub[argc++] = c->argv[1 + k * step + s];
        }
        part_start(op, pi, &fw->owners[o], NULL, c, c->db, cmd, argc, sub);
    }
    fw->stats.fanouts++;
    op_started(op);
    rc = 1;
out:
    free(part_of_owner);
    free(key_owner);
    free(sub);
    free(key_part);
    free(key_pos);
    return rc;
}

static int route_keys(struct client *c, const struct command *cmd, const struct slotmap *map,
                      enum route r, char *err, size_t errlen) {
    struct fwd_worker *fw = c->worker->fwd;
    int owner;
    int last = last_key(cmd, c->argc);
    if (r == R_MSET && c->argc % 2 == 0) return 0;   /* the proc says why */
    if (!keys_owner(map, c, cmd->first_key, last, cmd->key_step, &owner)) {
        if (owner < 0 || fw->owners[owner].self) return 0;
        return forward_whole(c, cmd, owner);
    }
    switch (r) {
    case R_MGET: return split(c, cmd, map, M_MGET, 1);
    case R_MSET: return split(c, cmd, map, M_OK, 2);
    case R_SUM: return split(c, cmd, map, M_SUM, 1);
    default: snprintf(err, errlen, CROSSSLOT_MSG); return -1;
    }
}

/* The same command on every member. */
static int route_all(struct client *c, const struct command *cmd, enum merge merge) {
    struct fwd_worker *fw = c->worker->fwd;
    struct fwd_op *op = op_new(c, merge, (int)fw->nowners);
    if (!op) return -1;
    for (size_t o = 0; o < fw->nowners; o++)
        part_start(op, (int)o, &fw->owners[o], NULL, c, c->db, cmd, c->argc, c->argv);
    fw->stats.fanouts++;
    op_started(op);
    return 1;
}

static int route_scan(struct client *c, const struct command *cmd) {
    struct fwd_worker *fw = c->worker->fwd;
    unsigned long long cursor;
    const struct arg *a = &c->argv[1];
    char *end;
    if (a->len == 0 || a->ptr[0] < '0' || a->ptr[0] > '9') return 0;  /* the proc says why */
    cursor = strtoull(a->ptr, &end, 10);
    if (end != a->ptr + a->len) return 0;
    unsigned member = (unsigned)(cursor >> SCAN_MEMBER_SHIFT);
    if (member >= fw->nowners) {   /* the cluster shrank under the scan */
        reply_array(c, 2);
        reply_bulk(c, "0", 1);
        reply_array(c, 0);
        return 1;
    }
    char local[24];
    int len = snprintf(local, sizeof(local), "%" PRIu64, (uint64_t)cursor & SCAN_LOCAL_MASK);
    struct arg *sub = malloc((size_t)c->argc * sizeof(*sub));
    if (!sub) return -1;
    memcpy(sub, c->argv, (size_t)c->argc * sizeof(*sub));
    sub[1].ptr = local;
    sub[1].len = (size_t)len;
    struct fwd_op *op = op_new(c, M_SCAN, 1);
    if (!op) {
        free(sub);
        return -1;
    }
    op->member = member;
    op->nmembers = (unsigned)fw->nowners;
    part_start(op, 0, &fw->owners[member], NULL, c, c->db, cmd, c->argc, sub);
    free(sub);
    op_started(op);
    return 1;
}

/* ---- transactions ---- */

static struct fwd_client *client_state(struct client *c) {
    if (!c->fwd) c->fwd = calloc(1, sizeof(*c->fwd));
    return c->fwd;
}

static void txn_end(struct client *c) {
    struct fwd_client *fc = c->fwd;
    if (!fc) return;
    if (fc->txn_link) {
        peer_link_release(fc->txn_link);   /* the timer frees it */
        struct fwd_worker *fw = c->worker->fwd;
        if (!ev_is_active(&fw->timer)) ev_timer_start(c->worker->loop, &fw->timer);
    }
    fc->txn_link = NULL;
    fc->txn = TXN_NONE;
}

static int find_owner(const struct fwd_worker *fw, const char *id) {
    for (size_t o = 0; o < fw->nowners; o++)
        if (fw->owners[o].node && !strcmp(fw->owners[o].node->id, id)) return (int)o;
    return -1;
}

static int route_watch(struct client *c, const struct command *cmd, const struct slotmap *map,
                       char *err, size_t errlen) {
    struct fwd_worker *fw = c->worker->fwd;
    struct fwd_client *fc = client_state(c);
    int owner;
    if (!fc) return -1;
    if (keys_owner(map, c, 1, c->argc - 1, 1, &owner)) {
        snprintf(err, errlen, CROSSSLOT_MSG);
        return -1;
    }
    const struct fwd_owner *o = &fw->owners[owner];
    if (o->self) {
        if (fc->txn == TXN_REMOTE) fc->txn = TXN_SPAN;
        else if (fc->txn == TXN_NONE) fc->txn = TXN_LOCAL;
        return 0;
    }
    if (fc->txn == TXN_LOCAL || fc->txn == TXN_SPAN || !o->node ||
        (fc->txn == TXN_REMOTE && strcmp(fc->txn_id, o->node->id) != 0)) {
        /* EXEC will refuse the transaction; nothing to watch for it */
        fc->txn = TXN_SPAN;
        reply_ok(c);
        return 1;
    }
    if (!fc->txn_link) {
        fc->txn_link = peer_link_private(c->worker, o->node->id, o->node->ip, o->node->port);
        if (!fc->txn_link) return -1;
    }
    fc->txn = TXN_REMOTE;
    snprintf(fc->txn_id, sizeof(fc->txn_id), "%s", o->node->id);
    struct fwd_op *op = op_new(c, M_PASS, 1);
    if (!op) return -1;
    part_start(op, 0, o, fc->txn_link, c, c->db, cmd, c->argc, c->argv);
    op_started(op);
    return 1;
}

/* Where the queued commands' keys live: -1 anywhere (no keys), -2 on
 * more than one member, else the owner. */
static int txn_owner(const struct client *c, const struct slotmap *map, int owner) {
    const struct multi_state *ms = &c->mstate;
    for (int i = 0; i < ms->count; i++) {
        const struct queued_command *q = &ms->commands[i];
        enum route r = routes[q->cmd->id];
        if (r >= R_ALL_SUM && r <= R_RANDOMKEY) {
            if (map->nnodes > 1) return -2;
            continue;
        }
        if (r < R_KEYS || r > R_SUM || q->cmd->first_key <= 0) continue;
        int last = last_key(q->cmd, q->argc);
        for (int k = q->cmd->first_key; k <= last; k += q->cmd->key_step) {
            int o = map->owner[key_hash_slot(q->argv[k].ptr, q->argv[k].len)];
            if (owner == -1) owner = o;
            else if (o != owner) return -2;
        }
    }
    return owner;
}

static int route_exec(struct client *c, const struct command *cmd, const struct slotmap *map) {
    struct fwd_worker *fw = c->worker->fwd;
    struct fwd_client *fc = c->fwd;
    unsigned flags = atomic_load_explicit(&c->flags, memory_order_relaxed);
    enum txn_state txn = fc ? fc->txn : TXN_NONE;
    int owner = -1;

    if (flags & CLIENT_DIRTY_EXEC) {   /* EXEC answers EXECABORT here */
        txn_end(c);
        return 0;
    }
    if (txn == TXN_REMOTE && (owner = find_owner(fw, fc->txn_id)) < 0) owner = -2;
    if (txn == TXN_SPAN) owner = -2;
    if (owner != -2) owner = txn_owner(c, map, owner);
    if (owner >= 0 && !fw->owners[owner].self && txn == TXN_LOCAL) owner = -2;
    if (owner == -2) {
        multi_reset(c);
        txn_end(c);
        reply_error(c, CROSSSLOT_MSG);
        return 1;
    }
    if (owner < 0 || fw->owners[owner].self) {
        txn_end(c);
        return 0;
    }

    /* MULTI, the queue and EXEC leave in one write, back to back on one
     * connection, so the owner runs them as one transaction. */
    const struct fwd_owner *o = &fw->owners[owner];
    struct peer_link *link = txn == TXN_REMOTE ? fc->txn_link : NULL;
    if (!link && o->node) link = peer_link_get(c->worker, o->node->id, o->node->ip, o->node->port);
    struct fwd_op *op = op_new(c, M_EXEC, 1);
    if (!op) return -1;
    if (link) {
        const struct multi_state *ms = &c->mstate;
        char e[160];
        int ok = peer_send(link, c->db, 1, (const char *[]){"MULTI"}, (size_t[]){5},
                           ignore_reply, NULL, e, sizeof(e)) == 0;
        for (int i = 0; ok && i < ms->count; i++) {
            const struct queued_command *q = &ms->commands[i];
            const char *args[q->argc];
            size_t lens[q->argc];
            for (int k = 0; k < q->argc; k++) {
                args[k] = q->argv[k].ptr;
                lens[k] = q->argv[k].len;
            }
            ok = peer_send(link, -1, q->argc, args, lens, ignore_reply, NULL, e, sizeof(e)) == 0;
            if (q->cmd->proc == cmd_select) link->db = -1;   /* changed by EXEC */
        }
        if (ok) {
            struct arg exec = {(char *)"EXEC", 4};
            part_start(op, 0, o, link, c, -1, cmd, 1, &exec);
        } else {
            /* whatever was queued is discarded with the link */
            link->db = -1;
            snprintf(op->parts[0]->where, sizeof(op->parts[0]->where), "%s:%d", link->ip,
                     link->port);
            part_failed(op->parts[0], "is unreachable: %s", e);
        }
    } else {
        part_start(op, 0, o, NULL, c, c->db, cmd, 1, c->argv);
    }
    if (txn == TXN_REMOTE) {
        op->release = fc->txn_link;   /* the watches end with EXEC */
        fc->txn_link = NULL;
    }
    txn_end(c);
    multi_reset(c);
    op_started(op);
    return 1;
}

/* ---- redirect mode ---- */

static int redirect(struct client *c, const struct command *cmd, const struct slotmap *map,
                    char *err, size_t errlen) {
    struct fwd_worker *fw = c->worker->fwd;
    enum route r = routes[cmd->id];
    int slot = -1;

    if (r == R_SELECT) {
        if (c->argv[1].len == 1 && c->argv[1].ptr[0] == '0') return 0;
        snprintf(err, errlen, "ERR SELECT is not allowed in cluster mode");
        return -1;
    }
    if (r == R_EXEC) {
        const struct multi_state *ms = &c->mstate;
        if (!(atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_MULTI)) return 0;
        for (int i = 0; i < ms->count; i++) {
            const struct queued_command *q = &ms->commands[i];
            if (q->cmd->first_key <= 0) continue;
            int last = last_key(q->cmd, q->argc);
            for (int k = q->cmd->first_key; k <= last; k += q->cmd->key_step) {
                int s = (int)key_hash_slot(q->argv[k].ptr, q->argv[k].len);
                if (slot < 0) slot = s;
                else if (s != slot) {
                    multi_reset(c);
                    reply_error(c, CROSSSLOT_MSG);
                    return 1;
                }
            }
        }
    } else if (cmd->first_key > 0) {
        int last = last_key(cmd, c->argc);
        for (int k = cmd->first_key; k <= last; k += cmd->key_step) {
            int s = (int)key_hash_slot(c->argv[k].ptr, c->argv[k].len);
            if (slot < 0) slot = s;
            else if (s != slot) {
                snprintf(err, errlen, CROSSSLOT_MSG);
                return -1;
            }
        }
    }
    if (slot < 0) return 0;
    const struct fwd_owner *o = &fw->owners[map->owner[slot]];
    if (o->self) return 0;
    if (o->node) snprintf(err, errlen, "MOVED %d %s:%d", slot, o->node->ip, o->node->port);
    else snprintf(err, errlen, "CLUSTERDOWN Hash slot not served");
    if (r == R_EXEC) {   /* Redis discards the transaction with the redirect */
        multi_reset(c);
        reply_error(c, err);
        return 1;
    }
    return -1;
}

/* ---- entry points ---- */

int forward_command(struct client *c, const struct command *cmd, char *err, size_t errlen) {
    struct fwd_worker *fw = c->worker->fwd;
    const struct slotmap *map = current_map(fw);
    enum route r = routes[cmd->id];
    if (!map) return 0;
    if (cfg.cluster_mode == CLUSTER_MODE_REDIRECT) return redirect(c, cmd, map, err, errlen);

    if (atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_MULTI) {
        if (r == R_EXEC) return route_exec(c, cmd, map);
        if (r == R_TXN_END && cmd->proc != cmd_unwatch) txn_end(c);   /* DISCARD, RESET */
        return 0;   /* queued; EXEC decides */
    }
    if (r == R_TXN_END) {
        if (cmd->proc != cmd_discard) txn_end(c);
        return 0;
    }
    if (map->nnodes == 1 && r != R_EXEC) return 0;   /* all keys are here */
    switch (r) {
    case R_KEYS:
    case R_MGET:
    case R_MSET:
    case R_SUM: return route_keys(c, cmd, map, r, err, errlen);
    case R_ALL_SUM: return route_all(c, cmd, M_SUM);
    case R_ALL_CONCAT: return route_all(c, cmd, M_CONCAT);
    case R_ALL_OK: return route_all(c, cmd, M_OK);
    case R_RANDOMKEY: return route_all(c, cmd, M_RANDOM);
    case R_SCAN: return route_scan(c, cmd);
    case R_WATCH: return route_watch(c, cmd, map, err, errlen);
    case R_EXEC: return route_exec(c, cmd, map);
    default: return 0;
    }
}

void forward_client_closed(struct client *c) {
    struct fwd_worker *fw = c->worker->fwd;
    if (c->fwd_pending) {
        for (struct fwd_op *op = fw->head; op; op = op->next)
            if (op->client == c) op->client = NULL;
        c->fwd_pending = 0;
    }
    txn_end(c);
    free(c->fwd);
    c->fwd = NULL;
}

/* Answers the operations past their deadline; keeps links honest. */
static void on_timer(struct ev_loop *loop, ev_timer *t, int revents) {
    (void)revents;
    struct fwd_worker *fw = t->data;
    int64_t now = monotonic_us() / 1000;
    while (fw->head && fw->head->deadline_ms <= now) {
        struct fwd_op *op = fw->head;
        for (int i = 0; i < op->nparts; i++) {
            struct fwd_part *p = op->parts[i];
            if (p->done) continue;
            char why[64];
            snprintf(why, sizeof(why), "%d ms", cfg.cluster_forward_timeout);
            free(p->err);
            if (asprintf(&p->err, "did not answer within %s", why) < 0) p->err = NULL;
        }
        fw->stats.timeouts++;
        op_finish(op);
    }
    peer_links_tick(fw->w, now);
    if (!fw->head && !fw->w->private_peers) ev_timer_stop(loop, t);
}

static void routes_init(void) {
    static const struct {
        command_proc *proc;
        enum route route;
    } special[] = {
        {cmd_mget, R_MGET},         {cmd_mset, R_MSET},          {cmd_del, R_SUM},
        {cmd_unlink, R_SUM},        {cmd_exists, R_SUM},         {cmd_touch, R_SUM},
        {cmd_dbsize, R_ALL_SUM},    {cmd_keys, R_ALL_CONCAT},    {cmd_flushall, R_ALL_OK},
        {cmd_flushdb, R_ALL_OK},    {cmd_swapdb, R_ALL_OK},      {cmd_scan, R_SCAN},
        {cmd_randomkey, R_RANDOMKEY}, {cmd_exec, R_EXEC},        {cmd_watch, R_WATCH},
        {cmd_unwatch, R_TXN_END},   {cmd_discard, R_TXN_END},    {cmd_reset, R_TXN_END},
        {cmd_select, R_SELECT},
    };
    int n = command_count();
    routes = calloc((size_t)n, 1);
    if (!routes) abort();
    for (int id = 0; id < n; id++) {
        const struct command *cmd = command_by_id(id);
        routes[id] = cmd->first_key > 0 ? R_KEYS : R_LOCAL;
        for (size_t i = 0; i < sizeof(special) / sizeof(special[0]); i++)
            if (cmd->proc == special[i].proc) routes[id] = (unsigned char)special[i].route;
    }
}

int forward_worker_init(struct worker *w) {
    if (!routes) routes_init();
    struct fwd_worker *fw = calloc(1, sizeof(*fw));
    if (!fw) return -1;
    fw->w = w;
    fw->reader = redisReaderCreate();
    fw->scratch = calloc(1, sizeof(*fw->scratch));
    if (!fw->reader || !fw->scratch) {
        if (fw->reader) redisReaderFree(fw->reader);
        free(fw->scratch);
        free(fw);
        return -1;
    }
    fw->scratch->worker = w;
    fw->scratch->fd = -1;
    fw->scratch->resp = 2;
    atomic_init(&fw->scratch->flags, CLIENT_AUTHENTICATED | CLIENT_PEER);
    ev_timer_init(&fw->timer, on_timer, TIMER_PERIOD, TIMER_PERIOD);
    fw->timer.data = fw;
    w->fwd = fw;
    return 0;
}

void forward_worker_free(struct worker *w) {
    struct fwd_worker *fw = w->fwd;
    if (!fw) return;
    while (fw->head) {
        fw->head->client = NULL;
        op_finish(fw->head);
    }
    peer_links_free(w);   /* runs the abandoned parts' callbacks */
    ev_timer_stop(w->loop, &fw->timer);
    cluster_view_put(fw->view);
    free(fw->owners);
    redisReaderFree(fw->reader);
    free(fw->scratch);
    free(fw);
    w->fwd = NULL;
}

/* ---- the cluster's key count (INFO cluster) ---- */

static _Atomic long long cluster_keys = -1;   /* -1: not known yet */
static int64_t keys_polled_ms;
static int keys_polling;

/* Adds up the keys=N of every database in each member's INFO keyspace. */
static void keys_polled(struct fwd_op *op) {
    long long total = 0;
    keys_polling = 0;
    for (int i = 0; i < op->nparts; i++) {
        const redisReply *r = op->parts[i]->reply;
        if (!r || r->type != REDIS_REPLY_STRING) return;   /* keep the last count */
        for (const char *p = r->str; (p = strstr(p, "keys=")); p += 5) total += atoll(p + 5);
    }
    atomic_store_explicit(&cluster_keys, total, memory_order_relaxed);
}

void forward_cron(struct worker *w, int64_t now_ms) {
    struct fwd_worker *fw = w->fwd;
    const struct slotmap *map = current_map(fw);
    if (!map || keys_polling) return;
    /* once a second; less often in large clusters, so the polls stay
     * around a hundred a second per member */
    int64_t every = 1000 * (fw->nowners > 100 ? (int64_t)fw->nowners / 100 : 1);
    if (now_ms - keys_polled_ms < every) return;
    keys_polled_ms = now_ms;
    struct fwd_op *op = op_alloc(w, M_PASS, (int)fw->nowners);
    if (!op) return;
    op->done = keys_polled;
    keys_polling = 1;
    struct arg argv[] = {{(char *)"INFO", 4}, {(char *)"keyspace", 8}};
    const struct command *info = command_lookup("info", 4);
    fw->scratch->db = 0;
    fw->scratch->now_ms = mstime();
    for (size_t o = 0; o < fw->nowners; o++)
        part_start(op, (int)o, &fw->owners[o], NULL, fw->scratch, -1, info, 2, argv);
    op_started(op);
}

static void count_peer_writes(const char *id, const char *ip, int port, uint64_t requests,
                              uint64_t errors, uint64_t writes, size_t inflight_bytes, void *ctx) {
    (void)id, (void)ip, (void)port, (void)requests, (void)errors, (void)inflight_bytes;
    *(unsigned long long *)ctx += writes;
}

void forward_stats(struct forward_stats *out) {
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < server.nworkers; i++) {
        const struct fwd_worker *fw = server.workers[i].fwd;
        if (!fw) continue;
        out->forwarded += __atomic_load_n(&fw->stats.forwarded, __ATOMIC_RELAXED);
        out->fanouts += __atomic_load_n(&fw->stats.fanouts, __ATOMIC_RELAXED);
        out->timeouts += __atomic_load_n(&fw->stats.timeouts, __ATOMIC_RELAXED);
        out->errors += __atomic_load_n(&fw->stats.errors, __ATOMIC_RELAXED);
    }
    out->keys = atomic_load_explicit(&cluster_keys, memory_order_relaxed);
    peer_links_stats(count_peer_writes, &out->peer_writes);
}

/* /metrics: forwarding totals, and requests and errors by peer. */
struct peer_emit {
    struct metrics_buf *b;
    int pass;
};

static void emit_peer(const char *id, const char *ip, int port, uint64_t requests,
                      uint64_t errors, uint64_t writes, size_t inflight_bytes, void *ctx) {
    struct peer_emit *pe = ctx;
    char addr[64];
    snprintf(addr, sizeof(addr), "%s:%d", ip, port);
    static const char *const names[] = {"shoal_peer_requests_total", "shoal_peer_errors_total",
                                        "shoal_peer_writes_total", "shoal_peer_inflight_bytes"};
    uint64_t v[] = {requests, errors, writes, inflight_bytes};
    metrics_sample(pe->b, names[pe->pass], v[pe->pass], 2, "peer", id, "addr", addr);
}

void forward_metrics_emit(struct metrics_buf *b) {
    struct forward_stats fs;
    forward_stats(&fs);
    const struct {
        const char *name, *help;
        unsigned long long value;
    } totals[] = {
        {"shoal_forwarded_requests_total", "Requests sent to the members that own their keys.",
         fs.forwarded},
        {"shoal_forward_fanouts_total", "Commands split by owner or sent to every member.",
         fs.fanouts},
        {"shoal_forward_timeouts_total",
         "Forwarded commands answered TRYAGAIN after cluster-forward-timeout.", fs.timeouts},
        {"shoal_forward_errors_total",
         "Forwarded requests that could not be sent or whose link failed.", fs.errors},
    };
    for (size_t i = 0; i < sizeof(totals) / sizeof(totals[0]); i++) {
        metrics_family(b, totals[i].name, "counter", totals[i].help);
        metrics_sample(b, totals[i].name, totals[i].value, 0);
    }
    if (fs.keys >= 0) {
        metrics_family(b, "shoal_cluster_keys", "gauge", "Keys in the whole cluster (polled).");
        metrics_sample(b, "shoal_cluster_keys", (uint64_t)fs.keys, 0);
    }
    static const char *const families[][3] = {
        {"shoal_peer_requests_total", "counter", "Requests sent on this node's links to a peer."},
        {"shoal_peer_errors_total", "counter", "Requests to a peer that failed or were refused."},
        {"shoal_peer_writes_total", "counter", "Batches of requests written to a peer."},
        {"shoal_peer_inflight_bytes", "gauge", "Request bytes awaiting a peer's reply."},
    };
    for (int pass = 0; pass < 4; pass++) {
        metrics_family(b, families[pass][0], families[pass][1], families[pass][2]);
        struct peer_emit pe = {b, pass};
        peer_links_stats(emit_peer, &pe);
    }
}
