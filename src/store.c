/* store.c -- the sharded keyspace, see store.h.
 *
 * Layout of an entry (one allocation):
 *   next (8) | lru (4) | flags (1) | varint klen | varint vlen |
 *   [expire ms, 8 bytes, only with ENTRY_EXPIRES] | key | value
 * The value comes last so a growing value never moves the key.
 *
 * Each shard's table rehashes incrementally as Redis's dict does: while
 * table[1] exists, every locked operation first moves one bucket, and the
 * cron moves more when the shard is idle. */
#include "store.h"

#include <malloc.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

#define TABLE_MIN 4
#define REHASH_EMPTY_VISITS 10
#define LFU_INIT_VAL 5
#define LFU_LOG_FACTOR 10
#define LFU_DECAY_MINUTES 1
#define LRU_UNIT_MS 10   /* finer than Redis's 1 s, so sampling can rank
                          * keys touched within the same second */

void (*store_modify_hook)(struct key_ref *r);
int store_lfu_mode;

_Static_assert(offsetof(struct entry, data) == 13, "entry header is 13 bytes");

static struct db **dbs;
static int ndbs;

/* ---- small helpers ---- */

static _Thread_local uint64_t rng_state;

static uint64_t rng_next(void) {
    if (rng_state == 0) rng_state = (uint64_t)ustime() ^ (uint64_t)(uintptr_t)&rng_state;
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t varint_size(uint64_t v) {
    size_t n = 1;
    while (v >= 0x80) {
        v >>= 7;
        n++;
    }
    return n;
}

static unsigned char *varint_put(unsigned char *p, uint64_t v) {
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    return p;
}

static const unsigned char *varint_get(const unsigned char *p, uint64_t *v) {
    uint64_t r = 0;
    int shift = 0;
    while (*p & 0x80) {
        r |= (uint64_t)(*p++ & 0x7f) << shift;
        shift += 7;
    }
    r |= (uint64_t)*p++ << shift;
    *v = r;
    return p;
}

struct layout {
    uint64_t klen, vlen;
    unsigned char *expire;   /* NULL without ENTRY_EXPIRES */
    char *key, *val;
};

static void entry_layout(const struct entry *e, struct layout *l) {
    const unsigned char *p = varint_get(e->data, &l->klen);
    p = varint_get(p, &l->vlen);
    if (e->flags & ENTRY_EXPIRES) {
        l->expire = (unsigned char *)p;
        p += 8;
    } else {
        l->expire = NULL;
    }
    l->key = (char *)p;
    l->val = (char *)p + l->klen;
}

static size_t entry_need(size_t klen, size_t vlen, int expires) {
    return offsetof(struct entry, data) + varint_size(klen) + varint_size(vlen) + (expires ? 8 : 0) +
           klen + vlen;
}

static uint32_t lru_clock(int64_t now) {
    return (uint32_t)((uint64_t)now / LRU_UNIT_MS); /* wraps after 497 days */
}

/* LRU clock ticks since the entry was last touched (wrap-safe). */
static uint32_t lru_idle_ticks(const struct entry *e, int64_t now) {
    return lru_clock(now) - e->lru;
}

static uint32_t lfu_minutes(int64_t now) {
    return (uint32_t)((uint64_t)now / 60000) & 0xffff;
}

static uint32_t initial_access(int64_t now) {
    return store_lfu_mode ? (lfu_minutes(now) << 8) | LFU_INIT_VAL : lru_clock(now);
}

/* LFU counter after decay for the minutes elapsed since last access. */
static unsigned lfu_decayed(const struct entry *e, int64_t now) {
    uint32_t ldt = e->lru >> 8, counter = e->lru & 0xff;
    uint32_t nowm = lfu_minutes(now);
    uint32_t elapsed = nowm >= ldt ? nowm - ldt : 65535 - ldt + nowm;
    uint32_t periods = elapsed / LFU_DECAY_MINUTES;
    return periods > counter ? 0 : counter - periods;
}

static void entry_touch(struct entry *e, int64_t now) {
    if (!store_lfu_mode) {
        e->lru = lru_clock(now);
        return;
    }
    unsigned counter = lfu_decayed(e, now);
    if (counter < 255) {
        double r = (double)(rng_next() >> 11) / (double)(1ULL << 53);
        double base = counter > LFU_INIT_VAL ? counter - LFU_INIT_VAL : 0;
        if (r < 1.0 / (base * LFU_LOG_FACTOR + 1)) counter++;
    }
    e->lru = (lfu_minutes(now) << 8) | counter;
}

/* ---- entry accessors ---- */

const char *entry_key(const struct entry *e, size_t *len) {
    struct layout l;
    entry_layout(e, &l);
    *len = l.klen;
    return l.key;
}

char *entry_value(struct entry *e, size_t *len) {
    struct layout l;
    entry_layout(e, &l);
    *len = l.vlen;
    return l.val;
}

int64_t entry_expire(const struct entry *e) {
    if (!(e->flags & ENTRY_EXPIRES)) return 0;
    struct layout l;
    int64_t when;
    entry_layout(e, &l);
    memcpy(&when, l.expire, 8);
    return when;
}

size_t entry_alloc_size(const struct entry *e) {
    return malloc_usable_size((void *)e);
}

int entry_is_expired(const struct entry *e, int64_t now) {
    return (e->flags & ENTRY_EXPIRES) && now > entry_expire(e);
}

uint64_t entry_idle_seconds(const struct entry *e, int64_t now) {
    return (uint64_t)lru_idle_ticks(e, now) * LRU_UNIT_MS / 1000;
}

uint64_t entry_evict_score(const struct entry *e, int64_t now) {
    if (store_lfu_mode) return 255 - lfu_decayed(e, now);
    return lru_idle_ticks(e, now);
}

unsigned entry_lfu_counter(const struct entry *e, int64_t now) {
    return lfu_decayed(e, now);
}

static int key_equals(const struct entry *e, const char *key, size_t klen) {
    struct layout l;
    entry_layout(e, &l);
    return l.klen == klen && memcmp(l.key, key, klen) == 0;
}

static uint64_t entry_hash(const struct entry *e) {
    struct layout l;
    entry_layout(e, &l);
    return hash_bytes(l.key, l.klen);
}

/* ---- tables ---- */

static struct entry **table_alloc(struct shard *s, uint64_t size) {
    struct entry **t = calloc(size, sizeof(*t));
    if (t) s->bytes += malloc_usable_size(t);
    return t;
}

static void table_free(struct shard *s, struct entry **t) {
    if (!t) return;
    s->bytes -= malloc_usable_size(t);
    free(t);
}

static int rehashing(const struct shard *s) {
    return s->rehash_idx != -1;
}

/* Moves up to n non-empty buckets from table[0] to table[1]. */
static void rehash_step(struct shard *s, int n) {
    int empty = n * REHASH_EMPTY_VISITS;
    uint64_t mask1 = s->size[1] - 1;

    while (n-- > 0 && s->used[0] != 0) {
        while (s->table[0][s->rehash_idx] == NULL) {
            s->rehash_idx++;
            if (--empty == 0) return;
        }
        struct entry *e = s->table[0][s->rehash_idx];
        while (e) {
            struct entry *next = e->next;
            uint64_t b = entry_hash(e) & mask1;
            e->next = s->table[1][b];
            s->table[1][b] = e;
            s->used[0]--;
            s->used[1]++;
            e = next;
        }
        s->table[0][s->rehash_idx] = NULL;
        s->rehash_idx++;
    }
    if (s->used[0] == 0) {
        table_free(s, s->table[0]);
        s->table[0] = s->table[1];
        s->size[0] = s->size[1];
        s->used[0] = s->used[1];
        s->table[1] = NULL;
        s->size[1] = 0;
        s->used[1] = 0;
        s->rehash_idx = -1;
    }
}

static uint64_t next_pow2(uint64_t v) {
    uint64_t p = TABLE_MIN;
    while (p < v) p <<= 1;
    return p;
}

/* Starts an incremental resize to the smallest power of two >= want. */
static void resize_to(struct shard *s, uint64_t want) {
    uint64_t size = next_pow2(want);
    if (rehashing(s) || size == s->size[0]) return;
    struct entry **t = table_alloc(s, size);
    if (!t) return; /* keep the old table; chains just grow longer */
    if (s->table[0] == NULL) {
        s->table[0] = t;
        s->size[0] = size;
        return;
    }
    s->table[1] = t;
    s->size[1] = size;
    s->used[1] = 0;
    s->rehash_idx = 0;
}

static void maybe_grow(struct shard *s) {
    if (s->table[0] == NULL) resize_to(s, TABLE_MIN);
    else if (!rehashing(s) && s->used[0] >= s->size[0]) resize_to(s, s->used[0] * 2);
}

static void maybe_shrink(struct shard *s) {
    if (!rehashing(s) && s->size[0] > TABLE_MIN && s->used[0] * 10 < s->size[0])
        resize_to(s, s->used[0]);
}

static uint64_t shard_count(const struct shard *s) {
    return s->used[0] + s->used[1];
}

/* ---- locking and lookup ---- */

int store_init(int n) {
    ndbs = n;
    dbs = calloc((size_t)n, sizeof(*dbs));
    if (!dbs) return -1;
    for (int i = 0; i < n; i++) {
        if (posix_memalign((void **)&dbs[i], 64, sizeof(struct db)) != 0) return -1;
        memset(dbs[i], 0, sizeof(struct db));
        for (unsigned j = 0; j < STORE_SHARDS; j++) {
            pthread_mutex_init(&dbs[i]->shards[j].lock, NULL);
            dbs[i]->shards[j].rehash_idx = -1;
        }
    }
    return 0;
}

int store_db_count(void) {
    return ndbs;
}

struct db *store_db(int dbid) {
    return dbs[dbid];
}

static struct shard *shard_of(struct db *db, uint64_t hash) {
    return &db->shards[hash >> (64 - STORE_SHARD_BITS)];
}

void store_lock_key(struct key_ref *r, int dbid, const char *key, size_t klen,
                    struct keyspace_stats *stats) {
    r->dbid = dbid;
    r->db = dbs[dbid];
    r->key = key;
    r->klen = klen;
    r->hash = hash_bytes(key, klen);
    r->shard = shard_of(r->db, r->hash);
    r->link = NULL;
    r->entry = NULL;
    r->stats = stats;
    pthread_mutex_lock(&r->shard->lock);
    if (rehashing(r->shard)) rehash_step(r->shard, 1);
}

void store_unlock_key(struct key_ref *r) {
    pthread_mutex_unlock(&r->shard->lock);
}

static void notify(struct key_ref *r) {
    if (r->shard->watched && store_modify_hook) store_modify_hook(r);
}

static void entry_free(struct shard *s, struct entry *e) {
    if (e->flags & ENTRY_EXPIRES) s->expires--;
    s->bytes -= malloc_usable_size(e);
    free(e);
}

/* Unlinks and frees the entry at *link. */
static void unlink_entry(struct shard *s, struct entry **link, int table) {
    struct entry *e = *link;
    *link = e->next;
    s->used[table]--;
    entry_free(s, e);
}

struct entry *store_find(struct key_ref *r, int64_t now) {
    struct shard *s = r->shard;
    r->link = NULL;
    r->entry = NULL;
    for (int t = 0; t < 2; t++) {
        if (!s->table[t]) break;
        uint64_t b = r->hash & (s->size[t] - 1);
        if (t == 0 && rehashing(s) && (int64_t)b < s->rehash_idx) continue;
        struct entry **link = &s->table[t][b];
        while (*link) {
            if (key_equals(*link, r->key, r->klen)) {
                struct entry *e = *link;
                if (entry_is_expired(e, now)) {
                    unlink_entry(s, link, t);
                    if (r->stats) r->stats->expired++;
                    notify(r);
                    return NULL;
                }
                r->link = link;
                r->entry = e;
                r->table = t;
                return e;
            }
            link = &(*link)->next;
        }
        if (!rehashing(s)) break;
    }
    return NULL;
}

struct entry *store_lookup_read(struct key_ref *r, int64_t now) {
    struct entry *e = store_find(r, now);
    if (r->stats) {
        if (e) r->stats->hits++;
        else r->stats->misses++;
    }
    if (e) entry_touch(e, now);
    return e;
}

struct entry *store_lookup_write(struct key_ref *r, int64_t now) {
    struct entry *e = store_find(r, now);
    if (e) entry_touch(e, now);
    return e;
}

static struct entry *entry_build(const char *key, size_t klen, const char *val, size_t vlen,
                                 int64_t expire_at) {
    struct entry *e = malloc(entry_need(klen, vlen, expire_at != 0));
    if (!e) return NULL;
    e->next = NULL;
    e->flags = expire_at ? ENTRY_EXPIRES : 0;
    unsigned char *p = varint_put(e->data, klen);
    p = varint_put(p, vlen);
    if (expire_at) {
        memcpy(p, &expire_at, 8);
        p += 8;
    }
    memcpy(p, key, klen);
    if (vlen) memcpy(p + klen, val, vlen);
    return e;
}

struct entry *store_set(struct key_ref *r, const char *val, size_t vlen, int64_t expire_at,
                        int64_t now) {
    struct shard *s = r->shard;
    if (!r->entry) store_find(r, now);
    struct entry *e = entry_build(r->key, r->klen, val, vlen, expire_at);
    if (!e) abort(); /* out of memory: as Redis, we don't limp on */
    e->lru = initial_access(now);
    s->bytes += malloc_usable_size(e);
    if (expire_at) s->expires++;

    if (r->entry) {
        /* replace in place in the chain */
        e->next = r->entry->next;
        if (store_lfu_mode) e->lru = r->entry->lru; /* keep the frequency, as Redis */
        entry_free(s, r->entry);
        *r->link = e;
    } else {
        maybe_grow(s);
        int t = rehashing(s) ? 1 : 0;
        uint64_t b = r->hash & (s->size[t] - 1);
        e->next = s->table[t][b];
        s->table[t][b] = e;
        s->used[t]++;
        r->link = &s->table[t][b];
        r->table = t;
    }
    r->entry = e;
    notify(r);
    return e;
}

void store_delete(struct key_ref *r) {
    if (!r->entry) return;
    unlink_entry(r->shard, r->link, r->table);
    r->entry = NULL;
    r->link = NULL;
    notify(r);
}

/* Rebuilds the found entry with a new expire/length; keeps the chain. */
static struct entry *rebuild(struct key_ref *r, size_t vlen, size_t vcap, int64_t expire_at) {
    struct shard *s = r->shard;
    struct entry *old = r->entry;
    size_t oldvlen;
    char *oldval = entry_value(old, &oldvlen);
    size_t keep = oldvlen < vlen ? oldvlen : vlen;
    struct entry *e = malloc(entry_need(r->klen, vcap, expire_at != 0));
    if (!e) return NULL;
    e->next = old->next;
    e->lru = old->lru;
    e->flags = (uint8_t)((old->flags & ~ENTRY_EXPIRES) | (expire_at ? ENTRY_EXPIRES : 0));
    unsigned char *p = varint_put(e->data, r->klen);
    p = varint_put(p, vlen);
    if (expire_at) {
        memcpy(p, &expire_at, 8);
        p += 8;
    }
    memcpy(p, r->key, r->klen);
    memcpy(p + r->klen, oldval, keep);
    if (vlen > keep) memset(p + r->klen + keep, 0, vlen - keep);
    s->bytes += malloc_usable_size(e);
    if (expire_at) s->expires++;
    entry_free(s, old);
    *r->link = e;
    r->entry = e;
    return e;
}

struct entry *store_set_expire(struct key_ref *r, int64_t when) {
    struct entry *e = r->entry;
    if (!e) return NULL;
    if (when && (e->flags & ENTRY_EXPIRES)) {
        struct layout l;
        entry_layout(e, &l);
        memcpy(l.expire, &when, 8);
    } else if (when || (e->flags & ENTRY_EXPIRES)) {
        size_t vlen;
        entry_value(e, &vlen);
        e = rebuild(r, vlen, vlen, when);
        if (!e) abort();
    }
    notify(r);
    return e;
}

struct entry *store_resize_value(struct key_ref *r, size_t newlen) {
    struct entry *e = r->entry;
    struct layout l;
    entry_layout(e, &l);
    size_t need = entry_need(l.klen, newlen, l.expire != NULL);
    size_t usable = malloc_usable_size(e);

    if (varint_size(newlen) == varint_size(l.vlen) && need <= usable) {
        /* fits in the allocation as it is */
        if (newlen > l.vlen) memset(l.val + l.vlen, 0, newlen - l.vlen);
        varint_put((unsigned char *)e->data + varint_size(l.klen), newlen);
    } else {
        /* Grow geometrically (as sds does) so repeated APPENDs are
         * amortised O(1); the slack counts in used memory. */
        size_t vcap = newlen;
        if (newlen > l.vlen && newlen < 1024 * 1024) vcap = newlen * 2;
        else if (newlen > l.vlen) vcap = newlen + 1024 * 1024;
        e = rebuild(r, newlen, vcap, l.expire ? entry_expire(e) : 0);
        if (!e) return NULL;
    }
    e->flags |= ENTRY_RAW;
    return e;
}

void store_touched(struct key_ref *r) {
    notify(r);
}

/* ---- whole-keyspace operations ---- */

uint64_t store_db_size(int dbid) {
    uint64_t n = 0;
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        pthread_mutex_lock(&s->lock);
        n += shard_count(s);
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

uint64_t store_db_expires(int dbid) {
    uint64_t n = 0;
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        pthread_mutex_lock(&s->lock);
        n += s->expires;
        pthread_mutex_unlock(&s->lock);
    }
    return n;
}

static void shard_clear(struct shard *s) {
    for (int t = 0; t < 2; t++) {
        for (uint64_t b = 0; s->table[t] && b < s->size[t]; b++) {
            struct entry *e = s->table[t][b];
            while (e) {
                struct entry *next = e->next;
                entry_free(s, e);
                e = next;
            }
        }
        table_free(s, s->table[t]);
        s->table[t] = NULL;
        s->size[t] = 0;
        s->used[t] = 0;
    }
    s->rehash_idx = -1;
    s->expire_cursor = 0;
}

void store_flush_db(int dbid) {
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        pthread_mutex_lock(&s->lock);
        shard_clear(s);
        pthread_mutex_unlock(&s->lock);
    }
}

/* Tables detached by store_detach_db, waiting to be freed. */
struct detached {
    struct detached *next;
    struct entry **table;
    uint64_t size;
};

void *store_detach_db(int dbid) {
    struct detached *batch = NULL;
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        pthread_mutex_lock(&s->lock);
        for (int t = 0; t < 2; t++) {
            if (!s->table[t]) continue;
            struct detached *d = malloc(sizeof(*d));
            if (!d) abort();
            d->table = s->table[t];
            d->size = s->size[t];
            d->next = batch;
            batch = d;
            s->table[t] = NULL;
            s->size[t] = 0;
            s->used[t] = 0;
        }
        s->rehash_idx = -1;
        s->expire_cursor = 0;
        s->expires = 0;
        s->bytes = 0;   /* the batch's memory belongs to nobody now */
        pthread_mutex_unlock(&s->lock);
    }
    return batch;
}

void store_free_detached(void *arg) {
    struct detached *d = arg;
    while (d) {
        for (uint64_t b = 0; b < d->size; b++) {
            struct entry *e = d->table[b];
            while (e) {
                struct entry *next = e->next;
                free(e);
                e = next;
            }
        }
        free(d->table);
        struct detached *next = d->next;
        free(d);
        d = next;
    }
}

void store_swap_db(int a, int b) {
    struct db *t = dbs[a];
    dbs[a] = dbs[b];
    dbs[b] = t;
}

/* A random entry of a shard, or NULL if it is empty. */
static struct entry *shard_random(struct shard *s, struct entry ***linkp, int *tablep) {
    if (shard_count(s) == 0) return NULL;
    for (;;) {
        int t = 0;
        uint64_t b;
        if (rehashing(s)) {
            /* buckets below rehash_idx in table 0 are empty */
            uint64_t span = s->size[0] + s->size[1] - (uint64_t)s->rehash_idx;
            b = (uint64_t)s->rehash_idx + rng_next() % span;
            if (b >= s->size[0]) {
                t = 1;
                b -= s->size[0];
            }
        } else {
            b = rng_next() & (s->size[0] - 1);
        }
        struct entry **link = &s->table[t][b];
        if (!*link) continue;
        uint64_t len = 0;
        for (struct entry *e = *link; e; e = e->next) len++;
        uint64_t pick = rng_next() % len;
        while (pick--) link = &(*link)->next;
        *linkp = link;
        *tablep = t;
        return *link;
    }
}

/* As Redis's dbRandomKey on a master: an expired pick is deleted and the
 * search goes on, so this ends with a live key or an empty db. */
char *store_random_key(int dbid, int64_t now, size_t *len, struct keyspace_stats *stats) {
    struct db *db = dbs[dbid];
    for (;;) {
        uint64_t counts[STORE_SHARDS], total = 0;
        for (unsigned i = 0; i < STORE_SHARDS; i++) {
            counts[i] = shard_count(&db->shards[i]); /* a hint; checked under lock */
            total += counts[i];
        }
        if (total == 0) return NULL;
        uint64_t pick = rng_next() % total;
        unsigned i = 0;
        while (pick >= counts[i]) pick -= counts[i++];
        struct shard *s = &db->shards[i];
        pthread_mutex_lock(&s->lock);
        struct entry **link;
        int t;
        struct entry *e = shard_random(s, &link, &t);
        if (!e) {
            pthread_mutex_unlock(&s->lock);
            continue;
        }
        size_t klen;
        const char *k = entry_key(e, &klen);
        if (entry_is_expired(e, now)) {
            struct key_ref r = {.dbid = dbid, .db = db, .shard = s, .key = k, .klen = klen};
            if (s->watched && store_modify_hook) {
                char *copy = malloc(klen + 1);
                memcpy(copy, k, klen);
                unlink_entry(s, link, t);
                r.key = copy;
                store_modify_hook(&r);
                free(copy);
            } else {
                unlink_entry(s, link, t);
            }
            if (stats) stats->expired++;
            pthread_mutex_unlock(&s->lock);
            continue;
        }
        char *copy = malloc(klen + 1);
        memcpy(copy, k, klen);
        copy[klen] = '\0';
        *len = klen;
        pthread_mutex_unlock(&s->lock);
        return copy;
    }
}

static uint64_t rev64(uint64_t v) {
    v = ((v >> 1) & 0x5555555555555555ULL) | ((v & 0x5555555555555555ULL) << 1);
    v = ((v >> 2) & 0x3333333333333333ULL) | ((v & 0x3333333333333333ULL) << 2);
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0FULL) | ((v & 0x0F0F0F0F0F0F0F0FULL) << 4);
    return __builtin_bswap64(v);
}

void store_foreach(int dbid, int64_t now, void (*fn)(struct entry *e, void *ctx), void *ctx) {
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        pthread_mutex_lock(&s->lock);
        for (int t = 0; t < 2; t++)
            for (uint64_t b = 0; s->table[t] && b < s->size[t]; b++)
                for (struct entry *e = s->table[t][b]; e; e = e->next)
                    if (!entry_is_expired(e, now)) fn(e, ctx);
        pthread_mutex_unlock(&s->lock);
    }
}

/* Calls fn on the live entries of one bucket; returns how many. */
static long scan_bucket(struct entry *e, int64_t now, void (*fn)(struct entry *, void *),
                        void *ctx) {
    long n = 0;
    for (; e; e = e->next) {
        if (entry_is_expired(e, now)) continue;
        fn(e, ctx);
        n++;
    }
    return n;
}

/* One step of Redis's reverse-binary cursor over a shard (dictScan): the
 * cursor increments its high bits first, so buckets already visited stay
 * visited when the table grows or shrinks between calls. */
static uint64_t scan_shard_step(struct shard *s, uint64_t v, int64_t now, long *emitted,
                                void (*fn)(struct entry *, void *), void *ctx) {
    if (!s->table[0]) return 0;
    if (!rehashing(s)) {
        uint64_t m0 = s->size[0] - 1;
        *emitted += scan_bucket(s->table[0][v & m0], now, fn, ctx);
        v |= ~m0;
        v = rev64(v);
        v++;
        return rev64(v);
    }
    int small = s->size[0] <= s->size[1] ? 0 : 1, big = 1 - small;
    uint64_t m0 = s->size[small] - 1, m1 = s->size[big] - 1;
    *emitted += scan_bucket(s->table[small][v & m0], now, fn, ctx);
    do {
        *emitted += scan_bucket(s->table[big][v & m1], now, fn, ctx);
        v |= ~m1;
        v = rev64(v);
        v++;
        v = rev64(v);
    } while (v & (m0 ^ m1));
    return v;
}

uint64_t store_scan(int dbid, uint64_t cursor, long count, int64_t now,
                    void (*fn)(struct entry *e, void *ctx), void *ctx) {
    unsigned si = (unsigned)(cursor & (STORE_SHARDS - 1));
    uint64_t v = cursor >> STORE_SHARD_BITS;
    long emitted = 0, iterations = count * 10;

    while (emitted < count && iterations-- > 0) {
        struct shard *s = &dbs[dbid]->shards[si];
        pthread_mutex_lock(&s->lock);
        v = scan_shard_step(s, v, now, &emitted, fn, ctx);
        pthread_mutex_unlock(&s->lock);
        if (v == 0) {
            if (++si == STORE_SHARDS) return 0;
        }
    }
    return (v << STORE_SHARD_BITS) | si;
}

void store_shard_maintain(int dbid, unsigned shard) {
    struct shard *s = &dbs[dbid]->shards[shard];
    pthread_mutex_lock(&s->lock);
    if (rehashing(s)) rehash_step(s, 100);
    else maybe_shrink(s);
    pthread_mutex_unlock(&s->lock);
}

int store_shard_has_expires(int dbid, unsigned shard) {
    return __atomic_load_n(&dbs[dbid]->shards[shard].expires, __ATOMIC_RELAXED) != 0;
}

uint64_t store_expire_step(int dbid, unsigned shard, int64_t now, int buckets,
                           uint64_t *ttl_seen, struct keyspace_stats *stats) {
    struct shard *s = &dbs[dbid]->shards[shard];
    uint64_t expired = 0;

    pthread_mutex_lock(&s->lock);
    /* sweep only a settled table: during a rehash entries move under the
     * cursor; the rehash finishes within a few cron runs */
    if (s->expires == 0 || !s->table[0] || rehashing(s)) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    uint64_t mask = s->size[0] - 1;
    for (int i = 0; i < buckets; i++) {
        uint64_t b = s->expire_cursor++ & mask;
        struct entry **link = &s->table[0][b];
        while (*link) {
            struct entry *e = *link;
            if (!(e->flags & ENTRY_EXPIRES)) {
                link = &e->next;
                continue;
            }
            (*ttl_seen)++;
            if (!entry_is_expired(e, now)) {
                link = &e->next;
                continue;
            }
            if (s->watched && store_modify_hook) {
                /* watchers need the key after the entry is gone */
                size_t klen;
                const char *k = entry_key(e, &klen);
                char *copy = malloc(klen ? klen : 1);
                memcpy(copy, k, klen);
                unlink_entry(s, link, 0);
                struct key_ref r = {.dbid = dbid, .db = dbs[dbid], .shard = s, .key = copy,
                                    .klen = klen};
                store_modify_hook(&r);
                free(copy);
            } else {
                unlink_entry(s, link, 0);
            }
            expired++;
        }
    }
    pthread_mutex_unlock(&s->lock);
    if (stats) stats->expired += expired;
    return expired;
}

/* Visits up to count candidates of one shard, walking consecutive buckets
 * from a random one (as Redis's dictGetSomeKeys) and wrapping around, so
 * a candidate is found whenever the shard has one, however sparse the
 * table or rare the keys with a TTL. Returns how many were visited. */
static int shard_sample(struct shard *s, int volatile_only, int count, int64_t now,
                        void (*fn)(struct entry *e, void *ctx), void *ctx) {
    int visited = 0;
    uint64_t total = s->size[0] + s->size[1];
    if (total == 0 || (volatile_only ? s->expires : shard_count(s)) == 0) return 0;
    uint64_t b = rng_next() % total;
    for (uint64_t steps = 0; steps < total && visited < count; steps++, b = b + 1 == total ? 0 : b + 1) {
        int t = b >= s->size[0];
        uint64_t idx = t ? b - s->size[0] : b;
        if (!t && rehashing(s) && (int64_t)idx < s->rehash_idx) continue;
        for (struct entry *e = s->table[t][idx]; e && visited < count; e = e->next) {
            if (volatile_only && !(e->flags & ENTRY_EXPIRES)) continue;
            if (entry_is_expired(e, now)) continue;
            fn(e, ctx);
            visited++;
        }
    }
    return visited;
}

uint64_t store_db_size_hint(int dbid, int volatile_only) {
    uint64_t n = 0;
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &dbs[dbid]->shards[i];
        n += volatile_only ? __atomic_load_n(&s->expires, __ATOMIC_RELAXED)
                           : __atomic_load_n(&s->used[0], __ATOMIC_RELAXED) +
                                 __atomic_load_n(&s->used[1], __ATOMIC_RELAXED);
    }
    return n;
}

int store_sample(int dbid, int volatile_only, int count, int64_t now,
                 void (*fn)(struct entry *e, void *ctx), void *ctx) {
    struct db *db = dbs[dbid];
    unsigned start = (unsigned)rng_next() % STORE_SHARDS;
    /* from a random shard on, the first that has candidates */
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &db->shards[(start + i) % STORE_SHARDS];
        /* an unlocked look first: most shards of most databases are
         * usually empty, and locking each would cost more than sampling */
        uint64_t hint = volatile_only ? __atomic_load_n(&s->expires, __ATOMIC_RELAXED)
                                      : __atomic_load_n(&s->used[0], __ATOMIC_RELAXED) +
                                            __atomic_load_n(&s->used[1], __ATOMIC_RELAXED);
        if (hint == 0) continue;
        pthread_mutex_lock(&s->lock);
        int visited = shard_sample(s, volatile_only, count, now, fn, ctx);
        pthread_mutex_unlock(&s->lock);
        if (visited) return visited;
    }
    return 0;
}

uint64_t store_bytes(void) {
    uint64_t n = 0;
    for (int d = 0; d < ndbs; d++)
        for (unsigned i = 0; i < STORE_SHARDS; i++) n += dbs[d]->shards[i].bytes;
    return n;
}
