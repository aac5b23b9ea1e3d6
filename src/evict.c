/* evict.c -- keeping used memory under maxmemory, as Redis's evict.c does:
 * before a command runs, while memory is over the limit, pick a victim by
 * the configured policy and delete it.
 *
 * LRU/LFU/TTL policies sample keys and keep the best candidates seen in a
 * small pool that lives across calls, so each eviction sees more than one
 * sample's worth of keys. Our LRU clock ticks every 10 ms (Redis's: 1 s),
 * so keys touched within the same second still rank by recency. */
#include "evict.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "memory.h"
#include "util.h"
#include "server.h"

#define POOL_SIZE 16

struct candidate {
    uint64_t score;        /* higher = evict first */
    int dbid;
    size_t klen;
    char *key;             /* heap copy */
};

/* Best candidates seen so far, ascending by score (best last). Scores
 * mean different things under different policies: a pool filled under
 * another generation (policy change, flush) is emptied before use. */
static _Thread_local struct candidate pool[POOL_SIZE];
static _Thread_local int pool_len;
static _Thread_local unsigned pool_generation;
static atomic_uint generation = 1;

void evict_forget_candidates(void) {
    atomic_fetch_add(&generation, 1);
}

static void pool_check_generation(void) {
    unsigned g = atomic_load_explicit(&generation, memory_order_relaxed);
    if (pool_generation == g) return;
    for (int i = 0; i < pool_len; i++) free(pool[i].key);
    pool_len = 0;
    pool_generation = g;
}

struct sample_ctx {
    int dbid;
    int policy;
    int64_t now;
};

static int policy_volatile(int p) {
    return p == MAXMEMORY_VOLATILE_LRU || p == MAXMEMORY_VOLATILE_LFU ||
           p == MAXMEMORY_VOLATILE_RANDOM || p == MAXMEMORY_VOLATILE_TTL;
}

static int policy_random(int p) {
    return p == MAXMEMORY_ALLKEYS_RANDOM || p == MAXMEMORY_VOLATILE_RANDOM;
}

static int pool_has(int dbid, const char *k, size_t klen) {
    for (int i = 0; i < pool_len; i++)
        if (pool[i].dbid == dbid && pool[i].klen == klen && memcmp(pool[i].key, k, klen) == 0)
            return 1;
    return 0;
}

static void pool_offer(struct entry *e, void *arg) {
    struct sample_ctx *ctx = arg;
    uint64_t score = ctx->policy == MAXMEMORY_VOLATILE_TTL
                         ? UINT64_MAX - (uint64_t)entry_expire(e) /* soonest first */
                         : entry_evict_score(e, ctx->now);
    if (pool_len == POOL_SIZE && score <= pool[0].score) return;
    size_t klen;
    const char *k = entry_key(e, &klen);
    if (pool_has(ctx->dbid, k, klen)) return;

    int pos = 0;
    while (pos < pool_len && pool[pos].score < score) pos++;
    if (pool_len == POOL_SIZE) {
        /* drop the worst (front) and make room just below pos */
        free(pool[0].key);
        memmove(&pool[0], &pool[1], sizeof(pool[0]) * (size_t)(pos - 1));
        pos--;
    } else {
        memmove(&pool[pos + 1], &pool[pos], sizeof(pool[0]) * (size_t)(pool_len - pos));
        pool_len++;
    }
    pool[pos].score = score;
    pool[pos].dbid = ctx->dbid;
    pool[pos].klen = klen;
    pool[pos].key = malloc(klen ? klen : 1);
    memcpy(pool[pos].key, k, klen);
}

/* Takes the best candidate out of the pool; returns 0 if empty. */
static int pool_pop(struct candidate *out) {
    if (pool_len == 0) return 0;
    *out = pool[--pool_len];
    return 1;
}

static void pick_first(struct entry *e, void *arg) {
    struct candidate *c = arg;
    if (c->key) return;
    const char *k = entry_key(e, &c->klen);
    c->key = malloc(c->klen ? c->klen : 1);
    memcpy(c->key, k, c->klen);
}

/* Deletes the key if it is still a candidate (exists; under a volatile
 * policy, still has a TTL: it may have been PERSISTed since it was
 * pooled). Returns 1 if it did. */
static int evict_key(int dbid, const char *key, size_t klen, int volatile_only, int64_t now,
                     struct keyspace_stats *stats) {
    struct key_ref r;
    store_lock_key(&r, dbid, key, klen, stats);
    struct entry *e = store_find(&r, now);
    int found = e && (!volatile_only || entry_expire(e) != 0);
    if (found) {
        store_delete(&r);
        if (stats) stats->evicted++;
    }
    store_unlock_key(&r);
    return found;
}

/* Databases worth sampling: the ones that had candidates when this run of
 * evictions started (most of the 16 are usually empty). */
struct db_set {
    int n;
    int ids[];
};

static struct db_set *candidate_dbs(int vol) {
    int ndbs = store_db_count();
    struct db_set *set = malloc(sizeof(*set) + sizeof(int) * (size_t)ndbs);
    if (!set) abort();
    set->n = 0;
    for (int d = 0; d < ndbs; d++)
        if (store_db_size_hint(d, vol)) set->ids[set->n++] = d;
    return set;
}

/* Evicts one key by the policy; returns 0 if there was nothing to evict. */
static int evict_one(int policy, const struct db_set *dbs, int64_t now,
                     struct keyspace_stats *stats) {
    int vol = policy_volatile(policy);

    if (policy_random(policy)) {
        static _Thread_local unsigned next_db;
        for (int i = 0; i < dbs->n; i++) {
            int dbid = dbs->ids[next_db++ % (unsigned)dbs->n];
            struct candidate c = {.dbid = dbid};
            if (store_sample(dbid, vol, 1, now, pick_first, &c) == 0) continue;
            int ok = evict_key(dbid, c.key, c.klen, vol, now, stats);
            free(c.key);
            if (ok) return 1;
        }
        return 0;
    }

    pool_check_generation();
    for (int attempt = 0; attempt < 16; attempt++) {
        int sampled = 0;
        for (int i = 0; i < dbs->n; i++) {
            struct sample_ctx ctx = {dbs->ids[i], policy, now};
            sampled += store_sample(dbs->ids[i], vol, cfg.maxmemory_samples, now, pool_offer, &ctx);
        }
        if (sampled == 0 && pool_len == 0) return 0;
        /* best first; candidates deleted since they were pooled are skipped */
        struct candidate c;
        while (pool_pop(&c)) {
            int ok = evict_key(c.dbid, c.key, c.klen, vol, now, stats);
            free(c.key);
            if (ok) return 1;
        }
    }
    return 0;
}

int evict_if_needed(int64_t now, struct keyspace_stats *stats, int64_t budget_us) {
    unsigned long long limit = cfg.maxmemory;
    if (limit == 0 || memory_used() <= limit) return EVICT_OK;
    if (cfg.maxmemory_policy == MAXMEMORY_NOEVICTION) return EVICT_FAIL;
    int64_t deadline = monotonic_us() + budget_us;
    int policy = cfg.maxmemory_policy;
    struct db_set *dbs = candidate_dbs(policy_volatile(policy));
    int result = EVICT_OK;
    for (int n = 1; memory_used() > limit; n++) {
        if (!evict_one(policy, dbs, now, stats)) {
            result = EVICT_FAIL;
            break;
        }
        /* the clock is read every 16 evictions: each is a few µs */
        if (n % 16 == 0 && monotonic_us() > deadline) {
            result = EVICT_RUNNING;
            break;
        }
    }
    free(dbs);
    return result;
}

void config_on_maxmemory_policy_change(void) {
    int p = cfg.maxmemory_policy;
    evict_forget_candidates();
    store_lfu_mode = p == MAXMEMORY_ALLKEYS_LFU || p == MAXMEMORY_VOLATILE_LFU;
}

void config_on_maxmemory_change(void) {
    /* A lower limit starts eviction now; the workers' crons carry on in
     * the background rather than stalling every client (as Redis). */
    if (self_worker) evict_if_needed(mstime(), &self_worker->stats.ks, EVICT_COMMAND_BUDGET_US);
}
