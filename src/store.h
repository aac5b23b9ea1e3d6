/* store.h -- the keyspace: numbered databases, each split into a fixed
 * power-of-two number of shards by key hash. A shard is a chained hash
 * table with its own lock that grows and shrinks incrementally, so no
 * operation ever pays for a whole-table rehash.
 *
 * An entry is one allocation: a small header, the key, the value, and an
 * expire time only when the key has one. Pure: no I/O and no clients.
 *
 * Usage: lock the key's shard with store_lock_key(), look up / modify
 * through the key_ref, unlock. An entry pointer is valid only while its
 * shard is locked, and only until the next modification through the ref. */
#ifndef SHOAL_STORE_H
#define SHOAL_STORE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#define STORE_SHARD_BITS 6
#define STORE_SHARDS (1u << STORE_SHARD_BITS)

/* Entry flags */
#define ENTRY_EXPIRES 0x01   /* an 8-byte expire time follows the lengths */
#define ENTRY_RAW 0x02       /* value was modified in place (OBJECT ENCODING raw) */

struct entry {
    struct entry *next;      /* bucket chain */
    uint32_t lru;            /* LRU clock (10 ms units) or LFU: minutes<<8 | log counter */
    uint8_t flags;
    unsigned char data[];    /* at offset 13: varint klen, varint vlen,
                              * [int64 expire], key, value */
};

struct keyspace_stats {
    uint64_t hits, misses, expired, evicted;
};

struct shard {
    pthread_mutex_t lock;
    struct entry **table[2];
    uint64_t size[2];        /* buckets, a power of two, or 0 */
    uint64_t used[2];
    int64_t rehash_idx;      /* next bucket of table[0] to move; -1 = idle */
    uint64_t expires;        /* entries with an expire time */
    uint64_t bytes;          /* allocator-usable bytes of entries and tables */
    uint64_t expire_cursor;  /* active expiry sweep position */
    void *watched;           /* multi.c: WATCHed keys in this shard, or NULL */
} __attribute__((aligned(64)));

struct db {
    struct shard shards[STORE_SHARDS];
};

/* A key located in the store, its shard locked. */
struct key_ref {
    int dbid;
    struct db *db;
    struct shard *shard;
    const char *key;
    size_t klen;
    uint64_t hash;
    struct entry **link;     /* where the last found entry hangs, or NULL */
    int table;               /* which of the shard's tables holds it */
    struct entry *entry;     /* the last found entry, or NULL */
    struct keyspace_stats *stats;
};

/* Called after every change of a key while its shard is locked, when the
 * shard has watchers (shard->watched != NULL). r->entry is then the entry
 * after the change, or NULL if the key is gone. Set by multi.c. */
extern void (*store_modify_hook)(struct key_ref *r);

/* Whether OBJECT FREQ data (LFU) rather than LRU idle time is kept. */
extern int store_lfu_mode;

int store_init(int ndbs);
int store_db_count(void);
/* The database currently at index dbid (SWAPDB exchanges them). */
struct db *store_db(int dbid);

void store_lock_key(struct key_ref *r, int dbid, const char *key, size_t klen,
                    struct keyspace_stats *stats);
void store_unlock_key(struct key_ref *r);

/* Finds the key, deleting it first if expired at now (ms). No stats. */
struct entry *store_find(struct key_ref *r, int64_t now);
/* As store_find, counting a hit or miss and touching LRU/LFU. */
struct entry *store_lookup_read(struct key_ref *r, int64_t now);
/* As store_find, touching LRU/LFU. */
struct entry *store_lookup_write(struct key_ref *r, int64_t now);

/* Creates or replaces the key's value; expire_at 0 = no expire (a replaced
 * key loses its TTL unless the caller passes it). Returns the entry. */
struct entry *store_set(struct key_ref *r, const char *val, size_t vlen, int64_t expire_at,
                        int64_t now);
/* Deletes the entry the last find returned. */
void store_delete(struct key_ref *r);
/* Sets (when > 0) or removes (0) the expire time of the found entry. */
struct entry *store_set_expire(struct key_ref *r, int64_t when);
/* Resizes the found entry's value to newlen, keeping its first bytes;
 * new bytes are zero. Marks it ENTRY_RAW. Returns the entry, or NULL if
 * memory ran out (the entry is unchanged). */
struct entry *store_resize_value(struct key_ref *r, size_t newlen);
/* Tells watchers the found entry's value was changed in place. */
void store_touched(struct key_ref *r);

/* Entry accessors. */
const char *entry_key(const struct entry *e, size_t *len);
char *entry_value(struct entry *e, size_t *len);
int64_t entry_expire(const struct entry *e);   /* 0 = none */
size_t entry_alloc_size(const struct entry *e);
int entry_is_expired(const struct entry *e, int64_t now);
/* Seconds since last access (LRU mode), or the LFU counter (LFU mode). */
uint64_t entry_idle_seconds(const struct entry *e, int64_t now);
unsigned entry_lfu_counter(const struct entry *e, int64_t now);

/* Whole-keyspace operations. Callers hold the keyspace lock exclusively
 * for flush and swap; the others lock shards themselves. */
uint64_t store_db_size(int dbid);
uint64_t store_db_expires(int dbid);
void store_flush_db(int dbid);
/* Empties the db at once by detaching its tables; the returned batch is
 * freed later by store_free_detached() (FLUSHALL ASYNC: on another
 * thread). NULL if the db was empty. */
void *store_detach_db(int dbid);
void store_free_detached(void *batch);
void store_swap_db(int a, int b);
/* Copies a random live key of the db into a malloc'd buffer; NULL if empty. */
char *store_random_key(int dbid, int64_t now, size_t *len, struct keyspace_stats *stats);

/* Calls fn for every live entry of the db, each exactly once, shard by
 * shard (fn runs with the shard locked). For KEYS, which runs with the
 * keyspace exclusive, so nothing moves meanwhile. */
void store_foreach(int dbid, int64_t now, void (*fn)(struct entry *e, void *ctx), void *ctx);

/* Calls fn for live entries, visiting about count buckets, starting from
 * cursor (0 = begin). Returns the next cursor, 0 when done. The scan
 * guarantees Redis's SCAN contract: every key present for the whole scan
 * is returned at least once. fn runs with the entry's shard locked. */
uint64_t store_scan(int dbid, uint64_t cursor, long count, int64_t now,
                    void (*fn)(struct entry *e, void *ctx), void *ctx);

/* Background work for one shard: a step of incremental rehash, or a
 * shrink when the table has become sparse. */
void store_shard_maintain(int dbid, unsigned shard);

/* Active expiry: visits the next `buckets` buckets of the shard's sweep,
 * deleting expired entries. Adds the entries with an expire time it saw
 * to *ttl_seen; returns how many it deleted. */
uint64_t store_expire_step(int dbid, unsigned shard, int64_t now, int buckets,
                           uint64_t *ttl_seen, struct keyspace_stats *stats);
/* Whether the shard has keys with an expire time (a hint, unlocked). */
int store_shard_has_expires(int dbid, unsigned shard);

/* Calls fn on up to count live entries of one random non-empty shard of
 * the db (only entries with an expire time if volatile_only), starting at
 * a random bucket: the sampling behind eviction. fn runs with the shard
 * locked. Returns how many were visited. */
int store_sample(int dbid, int volatile_only, int count, int64_t now,
                 void (*fn)(struct entry *e, void *ctx), void *ctx);

/* Keys (or keys with a TTL) in the db, summed without locks: a hint. */
uint64_t store_db_size_hint(int dbid, int volatile_only);

/* Eviction score of an entry: higher = better to evict. By idle time
 * (LRU mode) or by low access frequency (LFU mode). */
uint64_t entry_evict_score(const struct entry *e, int64_t now);

/* Bytes held by entries and tables, all databases. */
uint64_t store_bytes(void);

#endif
