/* multi.c -- MULTI/EXEC/DISCARD and WATCH/UNWATCH with Redis 7.0's rules
 * and replies, atomic with respect to every client on every thread.
 *
 * Transactions: while a client is in MULTI, dispatch.c hands its commands
 * to multi_queue(), which keeps copies of their arguments. EXEC runs with
 * the keyspace lock held exclusively (CMD_X_EXCLUSIVE), so the queued
 * commands run with nothing else running anywhere.
 *
 * WATCH: one record per (client, db, key). A record sits on two lists: its
 * client's (touched only by the client's own thread) and a small hash
 * table hung on shard->watched of the shard the key lives in (touched only
 * with that shard locked). The store calls on_key_modified() with the
 * shard locked whenever a key there changes, including when it expires,
 * and the hook sets CLIENT_DIRTY_CAS on every client watching that key;
 * the flag is atomic because the client may live on another thread.
 *
 * A record remembers whether its key was already logically expired when
 * it was watched: deleting such a key is no change (Redis 7), while a key
 * alive at WATCH time and expired by EXEC time makes EXEC fail.
 *
 * SWAPDB moves whole databases between indexes; a WATCH stays with its
 * index, so multi_swap_db() moves the shard tables across and updates
 * each record's shard pointer. That pointer is changed only with both
 * shards locked, and a client dropping its records (possibly outside any
 * keyspace lock, when it is freed) re-checks it after locking. */
#include "multi.h"

#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "store.h"
#include "util.h"

#define WATCH_TABLE_MIN 8

struct watched_key {
    struct watched_key *next;              /* the client's list */
    struct watched_key *bnext, **bprev;    /* the shard table's bucket chain */
    struct client *client;
    _Atomic(struct shard *) shard;         /* whose table holds the record */
    int dbid;
    int expired;                           /* logically expired at WATCH time */
    uint64_t hash;
    size_t klen;
    char key[];
};

/* What shard->watched points to: records by key hash. Exists only while
 * the shard has records. */
struct watch_table {
    struct watched_key **buckets;
    size_t size;                           /* a power of two */
    size_t count;
};

/* ---- the per-shard tables (caller holds the shard's lock) ---- */

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n, size);
    if (!p) abort();
    return p;
}

static void bucket_push(struct watch_table *t, struct watched_key *wk) {
    struct watched_key **head = &t->buckets[wk->hash & (t->size - 1)];
    wk->bnext = *head;
    wk->bprev = head;
    if (*head) (*head)->bprev = &wk->bnext;
    *head = wk;
}

static void table_grow(struct watch_table *t) {
    struct watched_key **old = t->buckets;
    size_t oldsize = t->size;
    t->size *= 2;
    t->buckets = xcalloc(t->size, sizeof(*t->buckets));
    for (size_t i = 0; i < oldsize; i++) {
        struct watched_key *wk = old[i];
        while (wk) {
            struct watched_key *next = wk->bnext;
            bucket_push(t, wk);
            wk = next;
        }
    }
    free(old);
}

static void table_add(struct shard *s, struct watched_key *wk) {
    struct watch_table *t = s->watched;
    if (!t) {
        t = xcalloc(1, sizeof(*t));
        t->size = WATCH_TABLE_MIN;
        t->buckets = xcalloc(t->size, sizeof(*t->buckets));
        s->watched = t;
    } else if (t->count >= t->size) {
        table_grow(t);
    }
    bucket_push(t, wk);
    t->count++;
}

static void table_remove(struct shard *s, struct watched_key *wk) {
    struct watch_table *t = s->watched;
    *wk->bprev = wk->bnext;
    if (wk->bnext) wk->bnext->bprev = wk->bprev;
    if (--t->count == 0) {
        free(t->buckets);
        free(t);
        s->watched = NULL;
    }
}

static int same_key(const struct watched_key *wk, uint64_t hash, const char *key, size_t klen) {
    return wk->hash == hash && wk->klen == klen && memcmp(wk->key, key, klen) == 0;
}

/* The first record of the key's bucket in the shard's table, or NULL;
 * callers skip records of other keys with same_key(). */
static struct watched_key *bucket_of(struct shard *s, uint64_t hash) {
    struct watch_table *t = s->watched;
    return t ? t->buckets[hash & (t->size - 1)] : NULL;
}

static void set_dirty(struct client *c) {
    atomic_fetch_or(&c->flags, CLIENT_DIRTY_CAS);
}

/* The store's modify hook: the key in r changed (r->entry is the entry
 * after the change, NULL if the key is gone). Redis's touchWatchedKey. */
static void on_key_modified(struct key_ref *r) {
    uint64_t hash = hash_bytes(r->key, r->klen);
    for (struct watched_key *wk = bucket_of(r->shard, hash); wk; wk = wk->bnext) {
        if (!same_key(wk, hash, r->key, r->klen)) continue;
        if (wk->expired && !r->entry) {
            /* an already expired key was deleted: no logical change */
            wk->expired = 0;
            continue;
        }
        set_dirty(wk->client);
    }
}

void multi_init(void) {
    store_modify_hook = on_key_modified;
}

/* ---- a client's records ---- */

/* The key's entry even if it is logically expired (nothing is expired
 * at the earliest time), so looking never deletes. */
static struct entry *find_no_expire(struct key_ref *r) {
    return store_find(r, INT64_MIN);
}

/* Locks the shard whose table holds wk; SWAPDB may move it meanwhile. */
static struct shard *lock_record_shard(struct watched_key *wk) {
    for (;;) {
        struct shard *s = atomic_load(&wk->shard);
        pthread_mutex_lock(&s->lock);
        if (atomic_load(&wk->shard) == s) return s;
        pthread_mutex_unlock(&s->lock);
    }
}

static void watch_key(struct client *c, const struct arg *key) {
    for (struct watched_key *wk = c->watched; wk; wk = wk->next)
        if (wk->dbid == c->db && wk->klen == key->len && memcmp(wk->key, key->ptr, key->len) == 0)
            return;

    struct watched_key *wk = malloc(sizeof(*wk) + key->len);
    if (!wk) abort();
    wk->client = c;
    wk->dbid = c->db;
    wk->hash = hash_bytes(key->ptr, key->len);
    wk->klen = key->len;
    memcpy(wk->key, key->ptr, key->len);

    struct key_ref r;
    store_lock_key(&r, c->db, key->ptr, key->len, NULL);
    struct entry *e = find_no_expire(&r);
    wk->expired = e && entry_is_expired(e, c->now_ms);
    atomic_store(&wk->shard, r.shard);
    table_add(r.shard, wk);
    store_unlock_key(&r);

    wk->next = c->watched;
    c->watched = wk;
    c->watched_count++;
}

static void unwatch_all(struct client *c) {
    struct watched_key *wk;
    while ((wk = c->watched)) {
        c->watched = wk->next;
        struct shard *s = lock_record_shard(wk);
        table_remove(s, wk);
        pthread_mutex_unlock(&s->lock);
        free(wk);
    }
    c->watched_count = 0;
}

/* Whether a key alive when watched is logically expired now (EXEC). */
static int watched_key_expired(struct client *c) {
    for (struct watched_key *wk = c->watched; wk; wk = wk->next) {
        struct key_ref r;
        store_lock_key(&r, wk->dbid, wk->key, wk->klen, NULL);
        struct entry *e = find_no_expire(&r);
        int expired = !wk->expired && e && entry_is_expired(e, c->now_ms);
        store_unlock_key(&r);
        if (expired) return 1;
    }
    return 0;
}

/* ---- FLUSHDB / SWAPDB (keyspace lock held exclusively) ---- */

struct key_copy {
    char *key;
    size_t klen;
};

/* Copies of the distinct keys watched in database dbid. Copies, because
 * records may be freed by their clients once the shard is unlocked. */
static struct key_copy *watched_keys_of(int dbid, size_t *count) {
    struct db *db = store_db(dbid);
    struct key_copy *keys = NULL;
    size_t n = 0, cap = 0;

    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *s = &db->shards[i];
        pthread_mutex_lock(&s->lock);
        struct watch_table *t = s->watched;
        for (size_t b = 0; t && b < t->size; b++) {
            for (struct watched_key *wk = t->buckets[b]; wk; wk = wk->bnext) {
                struct watched_key *prev = t->buckets[b];
                while (prev != wk && !same_key(prev, wk->hash, wk->key, wk->klen))
                    prev = prev->bnext;
                if (prev != wk) continue; /* key already listed */
                if (n == cap) {
                    cap = cap ? cap * 2 : 16;
                    keys = realloc(keys, cap * sizeof(*keys));
                    if (!keys) abort();
                }
                keys[n].key = malloc(wk->klen ? wk->klen : 1);
                if (!keys[n].key) abort();
                memcpy(keys[n].key, wk->key, wk->klen);
                keys[n].klen = wk->klen;
                n++;
            }
        }
        pthread_mutex_unlock(&s->lock);
    }
    *count = n;
    return keys;
}

static void free_key_copies(struct key_copy *keys, size_t n) {
    for (size_t i = 0; i < n; i++) free(keys[i].key);
    free(keys);
}

/* Database dbid is about to be emptied, or replaced by database with
 * (-1: by nothing): touches the clients watching key there, as Redis's
 * touchAllWatchedKeysInDb. */
static void touch_replaced_key(int dbid, int with, const char *key, size_t klen, int64_t now) {
    struct key_ref r;
    int in_with = 0, expired_in_with = 0;
    if (with >= 0) {
        store_lock_key(&r, with, key, klen, NULL);
        struct entry *e = find_no_expire(&r);
        in_with = e != NULL;
        expired_in_with = e && entry_is_expired(e, now);
        store_unlock_key(&r);
    }
    store_lock_key(&r, dbid, key, klen, NULL);
    int in_db = find_no_expire(&r) != NULL;
    uint64_t hash = hash_bytes(key, klen);
    for (struct watched_key *wk = bucket_of(r.shard, hash); wk; wk = wk->bnext) {
        if (!same_key(wk, hash, key, klen) || !(in_db || in_with)) continue;
        if (wk->expired) {
            if (!in_with) {
                wk->expired = 0; /* the expired key is just deleted */
                continue;
            }
            if (expired_in_with) continue; /* still an expired key */
        } else if (!in_db && expired_in_with) {
            wk->expired = 1; /* a missing key replaced by an expired one */
            continue;
        }
        set_dirty(wk->client);
    }
    store_unlock_key(&r);
}

void multi_touch_flushed_db(int dbid) {
    size_t n;
    struct key_copy *keys = watched_keys_of(dbid, &n);
    for (size_t i = 0; i < n; i++) touch_replaced_key(dbid, -1, keys[i].key, keys[i].klen, 0);
    free_key_copies(keys, n);
}

/* Points every record in the shard's table at the shard. */
static void claim_records(struct shard *s) {
    struct watch_table *t = s->watched;
    for (size_t b = 0; t && b < t->size; b++)
        for (struct watched_key *wk = t->buckets[b]; wk; wk = wk->bnext)
            atomic_store(&wk->shard, s);
}

void multi_swap_db(int a, int b, int64_t now) {
    size_t na, nb;
    struct key_copy *keys_a = watched_keys_of(a, &na);
    struct key_copy *keys_b = watched_keys_of(b, &nb);
    for (size_t i = 0; i < na; i++) touch_replaced_key(a, b, keys_a[i].key, keys_a[i].klen, now);
    for (size_t i = 0; i < nb; i++) touch_replaced_key(b, a, keys_b[i].key, keys_b[i].klen, now);
    free_key_copies(keys_a, na);
    free_key_copies(keys_b, nb);

    store_swap_db(a, b);

    /* The records of index a now hang off the db at index b and vice
     * versa: a key's shard number is the same in every db, so swap the
     * tables shard by shard. */
    struct db *da = store_db(a), *dbb = store_db(b);
    for (unsigned i = 0; i < STORE_SHARDS; i++) {
        struct shard *sa = &da->shards[i], *sb = &dbb->shards[i];
        /* both locked, in address order: records move atomically */
        struct shard *first = sa < sb ? sa : sb, *second = sa < sb ? sb : sa;
        pthread_mutex_lock(&first->lock);
        pthread_mutex_lock(&second->lock);
        void *t = sa->watched;
        sa->watched = sb->watched;
        sb->watched = t;
        claim_records(sa);
        claim_records(sb);
        pthread_mutex_unlock(&second->lock);
        pthread_mutex_unlock(&first->lock);
    }
}

/* ---- the transaction queue ---- */

static void free_queue(struct client *c) {
    struct multi_state *ms = &c->mstate;
    for (int i = 0; i < ms->count; i++) free(ms->commands[i].argv);
    free(ms->commands);
    ms->commands = NULL;
    ms->count = ms->cap = 0;
}

/* Leaves MULTI, dropping the queue and every WATCH. The records go first:
 * until then other threads may still set CLIENT_DIRTY_CAS. */
static void discard_transaction(struct client *c) {
    free_queue(c);
    unwatch_all(c);
    atomic_fetch_and(&c->flags, ~(unsigned)(CLIENT_MULTI | CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC));
}

void multi_queue(struct client *c, const struct command *cmd) {
    struct multi_state *ms = &c->mstate;
    if (ms->count == ms->cap) {
        ms->cap = ms->cap ? ms->cap * 2 : 4;
        ms->commands = realloc(ms->commands, (size_t)ms->cap * sizeof(*ms->commands));
        if (!ms->commands) abort();
    }

    /* the argument array and the bytes in one allocation */
    size_t bytes = 0;
    for (int i = 0; i < c->argc; i++) bytes += c->argv[i].len + 1;
    struct arg *argv = malloc((size_t)c->argc * sizeof(*argv) + bytes);
    if (!argv) abort();
    char *p = (char *)(argv + c->argc);
    for (int i = 0; i < c->argc; i++) {
        memcpy(p, c->argv[i].ptr, c->argv[i].len + 1);
        argv[i].ptr = p;
        argv[i].len = c->argv[i].len;
        p += c->argv[i].len + 1;
    }
    ms->commands[ms->count++] = (struct queued_command){cmd, c->argc, argv};
    reply_status(c, "QUEUED");
}

void multi_flag_error(struct client *c) {
    if (atomic_load(&c->flags) & CLIENT_MULTI) atomic_fetch_or(&c->flags, CLIENT_DIRTY_EXEC);
}

void multi_exec_abort(struct client *c, const char *msg) {
    discard_transaction(c);
    if (strncmp(msg, "ERR ", 4) == 0) msg += 4;
    reply_errorf(c, "EXECABORT Transaction discarded because of: %s", msg);
}

void multi_reset(struct client *c) {
    discard_transaction(c);
}

void multi_free_client(struct client *c) {
    free_queue(c);
    unwatch_all(c);
}

/* ---- commands ---- */

void cmd_multi(struct client *c) {
    if (atomic_load(&c->flags) & CLIENT_MULTI) {
        reply_error(c, "ERR MULTI calls can not be nested");
        return;
    }
    atomic_fetch_or(&c->flags, CLIENT_MULTI);
    reply_ok(c);
}

void cmd_discard(struct client *c) {
    if (!(atomic_load(&c->flags) & CLIENT_MULTI)) {
        reply_error(c, "ERR DISCARD without MULTI");
        return;
    }
    discard_transaction(c);
    reply_ok(c);
}

void cmd_exec(struct client *c) {
    if (!(atomic_load(&c->flags) & CLIENT_MULTI)) {
        reply_error(c, "ERR EXEC without MULTI");
        return;
    }
    if (watched_key_expired(c)) set_dirty(c);

    unsigned flags = atomic_load(&c->flags);
    if (flags & (CLIENT_DIRTY_CAS | CLIENT_DIRTY_EXEC)) {
        if (flags & CLIENT_DIRTY_EXEC)
            reply_error(c, "EXECABORT Transaction discarded because of previous errors.");
        else
            reply_null_array(c);
        discard_transaction(c);
        return;
    }

    /* Nothing else runs now (EXEC holds the keyspace exclusively), so the
     * watches have done their job. */
    unwatch_all(c);
    int argc = c->argc;
    struct arg *argv = c->argv;
    const struct command *cmd = c->cmd;
    struct multi_state *ms = &c->mstate;
    reply_array(c, ms->count);
    for (int i = 0; i < ms->count; i++) {
        c->argc = ms->commands[i].argc;
        c->argv = ms->commands[i].argv;
        call_command(c, ms->commands[i].cmd);
    }
    c->argc = argc;
    c->argv = argv;
    c->cmd = cmd;
    discard_transaction(c);
}

void cmd_watch(struct client *c) {
    unsigned flags = atomic_load(&c->flags);
    if (flags & CLIENT_MULTI) {
        reply_error(c, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    /* No point in watching more once a watched key has changed. */
    if (!(flags & CLIENT_DIRTY_CAS))
        for (int j = 1; j < c->argc; j++) watch_key(c, &c->argv[j]);
    reply_ok(c);
}

void cmd_unwatch(struct client *c) {
    unwatch_all(c);
    atomic_fetch_and(&c->flags, ~(unsigned)CLIENT_DIRTY_CAS);
    reply_ok(c);
}
