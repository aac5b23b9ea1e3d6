/* cmd_keys.c -- the generic keyspace commands (DEL, EXISTS, EXPIRE and
 * the TTL family, RENAME, KEYS, SCAN, SELECT, FLUSHDB, SWAPDB, MOVE,
 * OBJECT, MEMORY USAGE...) with Redis 7.0's arguments, replies and errors.
 *
 * A command locks one key's shard at a time. RENAME, RENAMENX, MOVE,
 * SWAPDB, FLUSHDB and FLUSHALL run with the keyspace lock held
 * exclusively (see dispatch.c), so they may lock several keys one after
 * another and still be atomic. Every expiry decision uses the time the
 * command started (c->now_ms); lookups delete expired keys lazily.
 *
 * FLUSHDB/FLUSHALL ASYNC detach the data at once and free it on the
 * lazyfree thread. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "config.h"
#include "evict.h"
#include "glob.h"
#include "lazyfree.h"
#include "multi.h"
#include "server.h"
#include "store.h"
#include "util.h"

#define OBJ_SHARED_INTEGERS 10000          /* Redis shares 0..9999 */
#define OBJ_SHARED_REFCOUNT INT_MAX
#define OBJ_EMBSTR_SIZE_LIMIT 44

/* ---- helpers ---- */

static int arg_is(const struct arg *a, const char *word) {
    return a->len == strlen(word) && strcasecmp(a->ptr, word) == 0;
}

static void lock_key(struct key_ref *r, struct client *c, int dbid, const struct arg *key) {
    store_lock_key(r, dbid, key->ptr, key->len, &c->worker->stats.ks);
}

/* A read that leaves LRU/LFU alone but counts a keyspace hit or miss
 * (Redis's LOOKUP_NOTOUCH). */
static struct entry *lookup_read_notouch(struct key_ref *r, int64_t now) {
    struct entry *e = store_find(r, now);
    if (e) r->stats->hits++;
    else r->stats->misses++;
    return e;
}

/* Redis's getIntFromObjectOrReply: msg, when given, replaces both of its
 * errors. Returns 0, or -1 after replying. */
static int arg_int(struct client *c, const struct arg *a, int *out, const char *msg) {
    long long v;
    if (!string2ll(a->ptr, a->len, &v)) {
        reply_error(c, msg ? msg : "ERR value is not an integer or out of range");
        return -1;
    }
    if (v < INT_MIN || v > INT_MAX) {
        if (msg) reply_error(c, msg);
        else reply_errorf(c, "ERR value is out of range, value must between %d and %d", INT_MIN,
                          INT_MAX);
        return -1;
    }
    *out = (int)v;
    return 0;
}

static int db_index_valid(int id) {
    return id >= 0 && id < store_db_count();
}

/* A growing list of key copies (for KEYS and SCAN, whose store callbacks
 * run with a shard locked). */
struct key_list {
    char *bytes;
    size_t used, cap;
    struct {
        size_t off, len;
    } *keys;
    size_t n, kcap;
};

static void key_list_add(struct key_list *l, const char *key, size_t len) {
    if (l->used + len > l->cap) {
        l->cap = l->cap * 2 > l->used + len ? l->cap * 2 : l->used + len + 256;
        l->bytes = realloc(l->bytes, l->cap);
        if (!l->bytes) abort();
    }
    if (l->n == l->kcap) {
        l->kcap = l->kcap ? l->kcap * 2 : 16;
        l->keys = realloc(l->keys, l->kcap * sizeof(*l->keys));
        if (!l->keys) abort();
    }
    if (len) memcpy(l->bytes + l->used, key, len); /* bytes may still be NULL */
    l->keys[l->n].off = l->used;
    l->keys[l->n].len = len;
    l->n++;
    l->used += len;
}

static const char *key_list_get(const struct key_list *l, size_t i, size_t *len) {
    *len = l->keys[i].len;
    return l->bytes + l->keys[i].off;
}

static void reply_key_list(struct client *c, const struct key_list *l) {
    reply_array(c, (long)l->n);
    for (size_t i = 0; i < l->n; i++) {
        size_t len;
        const char *k = key_list_get(l, i, &len);
        reply_bulk(c, k, len);
    }
}

static void key_list_free(struct key_list *l) {
    free(l->bytes);
    free(l->keys);
}

static int pattern_is_star(const struct arg *p) {
    return p->len == 1 && p->ptr[0] == '*';
}

/* ---- DEL, EXISTS, TOUCH, TYPE ---- */

static void del_generic(struct client *c) {
    long long deleted = 0;
    for (int j = 1; j < c->argc; j++) {
        struct key_ref r;
        lock_key(&r, c, c->db, &c->argv[j]);
        if (store_find(&r, c->now_ms)) {
            store_delete(&r);
            deleted++;
        }
        store_unlock_key(&r);
    }
    reply_int(c, deleted);
}

void cmd_del(struct client *c) {
    del_generic(c);
}

void cmd_unlink(struct client *c) {
    del_generic(c);
}

/* How many of argv[1..] exist (repeats count), looked up with lookup. */
static long long count_existing(struct client *c,
                                struct entry *(*lookup)(struct key_ref *, int64_t)) {
    long long count = 0;
    for (int j = 1; j < c->argc; j++) {
        struct key_ref r;
        lock_key(&r, c, c->db, &c->argv[j]);
        if (lookup(&r, c->now_ms)) count++;
        store_unlock_key(&r);
    }
    return count;
}

void cmd_exists(struct client *c) {
    reply_int(c, count_existing(c, lookup_read_notouch));
}

/* TOUCH: as EXISTS, but the access counts (LRU/LFU). */
void cmd_touch(struct client *c) {
    reply_int(c, count_existing(c, store_lookup_read));
}

void cmd_type(struct client *c) {
    struct key_ref r;
    lock_key(&r, c, c->db, &c->argv[1]);
    struct entry *e = lookup_read_notouch(&r, c->now_ms);
    store_unlock_key(&r);
    reply_status(c, e ? "string" : "none");
}

/* ---- expiry ---- */

enum { EXPIRE_NX = 1, EXPIRE_XX = 2, EXPIRE_GT = 4, EXPIRE_LT = 8 };

/* EXPIRE's NX|XX|GT|LT options from argv[3]; Redis's
 * parseExtendedExpireArgumentsOrReply. */
static int parse_expire_flags(struct client *c, int *flags) {
    *flags = 0;
    for (int j = 3; j < c->argc; j++) {
        const struct arg *a = &c->argv[j];
        if (arg_is(a, "nx")) *flags |= EXPIRE_NX;
        else if (arg_is(a, "xx")) *flags |= EXPIRE_XX;
        else if (arg_is(a, "gt")) *flags |= EXPIRE_GT;
        else if (arg_is(a, "lt")) *flags |= EXPIRE_LT;
        else {
            reply_errorf(c, "ERR Unsupported option %s", a->ptr);
            return -1;
        }
    }
    if ((*flags & EXPIRE_NX) && (*flags & (EXPIRE_XX | EXPIRE_GT | EXPIRE_LT))) {
        reply_error(c, "ERR NX and XX, GT or LT options at the same time are not compatible");
        return -1;
    }
    if ((*flags & EXPIRE_GT) && (*flags & EXPIRE_LT)) {
        reply_error(c, "ERR GT and LT options at the same time are not compatible");
        return -1;
    }
    return 0;
}

/* Whether the options let a key whose expire time is current (0: none)
 * get the expire time when. No expire time counts as infinite. */
static int expire_allowed(int flags, int64_t current, long long when) {
    if ((flags & EXPIRE_NX) && current) return 0;
    if ((flags & EXPIRE_XX) && !current) return 0;
    if ((flags & EXPIRE_GT) && (!current || when <= current)) return 0;
    if ((flags & EXPIRE_LT) && current && when >= current) return 0;
    return 1;
}

/* EXPIRE, PEXPIRE, EXPIREAT, PEXPIREAT: argv[2] in seconds or ms, from
 * basetime (ms; 0 for the *AT forms). A time not in the future deletes
 * the key. */
static void expire_generic(struct client *c, int64_t basetime, int seconds) {
    int flags;
    long long when;
    if (parse_expire_flags(c, &flags) < 0) return;
    if (!string2ll(c->argv[2].ptr, c->argv[2].len, &when)) {
        reply_not_integer(c);
        return;
    }
    if (seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) goto invalid;
        when *= 1000;
    }
    if (when > LLONG_MAX - basetime) goto invalid;
    when += basetime;

    struct key_ref r;
    lock_key(&r, c, c->db, &c->argv[1]);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    int done = e && expire_allowed(flags, entry_expire(e), when);
    if (done) {
        if (when <= c->now_ms) store_delete(&r);
        else store_set_expire(&r, when);
    }
    store_unlock_key(&r);
    reply_int(c, done);
    return;

invalid:
    reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->fullname);
}

void cmd_expire(struct client *c) {
    expire_generic(c, c->now_ms, 1);
}

void cmd_pexpire(struct client *c) {
    expire_generic(c, c->now_ms, 0);
}

void cmd_expireat(struct client *c) {
    expire_generic(c, 0, 1);
}

void cmd_pexpireat(struct client *c) {
    expire_generic(c, 0, 0);
}

/* TTL, PTTL, EXPIRETIME, PEXPIRETIME: -2 no key, -1 no expire time. */
static void ttl_generic(struct client *c, int in_ms, int absolute) {
    struct key_ref r;
    lock_key(&r, c, c->db, &c->argv[1]);
    struct entry *e = lookup_read_notouch(&r, c->now_ms);
    int64_t when = e ? entry_expire(e) : 0;
    store_unlock_key(&r);
    if (!e) {
        reply_int(c, -2);
        return;
    }
    if (!when) {
        reply_int(c, -1);
        return;
    }
    long long ttl = absolute ? when : when - c->now_ms;
    if (ttl < 0) ttl = 0;
    /* rounded to the nearest second without overflowing near LLONG_MAX */
    reply_int(c, in_ms ? ttl : ttl / 1000 + (ttl % 1000 >= 500));
}

void cmd_ttl(struct client *c) {
    ttl_generic(c, 0, 0);
}

void cmd_pttl(struct client *c) {
    ttl_generic(c, 1, 0);
}

void cmd_expiretime(struct client *c) {
    ttl_generic(c, 0, 1);
}

void cmd_pexpiretime(struct client *c) {
    ttl_generic(c, 1, 1);
}

void cmd_persist(struct client *c) {
    struct key_ref r;
    lock_key(&r, c, c->db, &c->argv[1]);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    int done = e && entry_expire(e);
    if (done) store_set_expire(&r, 0);
    store_unlock_key(&r);
    reply_int(c, done);
}

/* ---- RENAME, MOVE (keyspace held exclusively) ---- */

/* A value taken out of the store with what travels with it. */
struct moved_value {
    char *val;
    size_t vlen;
    int64_t expire;
    uint32_t lru;
    uint8_t raw;
};

/* Copies the live key's value out (a write lookup, as Redis's); 0 if the
 * key is missing. */
static int take_value(struct client *c, int dbid, const struct arg *key, struct moved_value *mv) {
    struct key_ref r;
    lock_key(&r, c, dbid, key);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    if (e) {
        const char *v = entry_value(e, &mv->vlen);
        mv->val = malloc(mv->vlen ? mv->vlen : 1);
        if (!mv->val) abort();
        memcpy(mv->val, v, mv->vlen);
        mv->expire = entry_expire(e);
        mv->lru = e->lru;
        mv->raw = e->flags & ENTRY_RAW;
    }
    store_unlock_key(&r);
    return e != NULL;
}

/* Stores the value under key in dbid unless nx and the key exists there.
 * The entry keeps the value's TTL, access data and encoding, as the
 * object Redis moves does. Returns whether it was stored. */
static int put_value(struct client *c, int dbid, const struct arg *key, const struct moved_value *mv,
                     int nx) {
    struct key_ref r;
    lock_key(&r, c, dbid, key);
    int stored = !(store_lookup_write(&r, c->now_ms) && nx);
    if (stored) {
        struct entry *e = store_set(&r, mv->val, mv->vlen, mv->expire, c->now_ms);
        e->lru = mv->lru;
        e->flags |= mv->raw;
    }
    store_unlock_key(&r);
    return stored;
}

static void delete_key(struct client *c, int dbid, const struct arg *key) {
    struct key_ref r;
    lock_key(&r, c, dbid, key);
    if (store_find(&r, c->now_ms)) store_delete(&r);
    store_unlock_key(&r);
}

static void rename_generic(struct client *c, int nx) {
    const struct arg *src = &c->argv[1], *dst = &c->argv[2];
    struct moved_value mv;
    if (!take_value(c, c->db, src, &mv)) {
        reply_error(c, "ERR no such key");
        return;
    }
    int stored = 0;
    if (src->len == dst->len && memcmp(src->ptr, dst->ptr, src->len) == 0) {
        /* same key: nothing to do, but it had to exist */
    } else if (put_value(c, c->db, dst, &mv, nx)) {
        delete_key(c, c->db, src);
        stored = 1;
    }
    free(mv.val);
    if (nx) reply_int(c, stored);
    else reply_ok(c);
}

void cmd_rename(struct client *c) {
    rename_generic(c, 0);
}

void cmd_renamenx(struct client *c) {
    rename_generic(c, 1);
}

void cmd_move(struct client *c) {
    int dst;
    if (arg_int(c, &c->argv[2], &dst, NULL) < 0) return;
    if (!db_index_valid(dst)) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (dst == c->db) {
        reply_error(c, "ERR source and destination objects are the same");
        return;
    }
    struct moved_value mv;
    if (!take_value(c, c->db, &c->argv[1], &mv)) {
        reply_int(c, 0);
        return;
    }
    int moved = put_value(c, dst, &c->argv[1], &mv, 1);
    if (moved) delete_key(c, c->db, &c->argv[1]);
    free(mv.val);
    reply_int(c, moved);
}

/* ---- KEYS, SCAN, RANDOMKEY, DBSIZE ---- */

struct keys_ctx {
    const struct arg *pattern;
    int allkeys;
    struct key_list *list;
};

static void keys_collect(struct entry *e, void *ctx) {
    struct keys_ctx *k = ctx;
    size_t len;
    const char *key = entry_key(e, &len);
    if (k->allkeys || glob_match(k->pattern->ptr, k->pattern->len, key, len, 0))
        key_list_add(k->list, key, len);
}

void cmd_keys(struct client *c) {
    struct key_list list = {0};
    struct keys_ctx ctx = {&c->argv[1], pattern_is_star(&c->argv[1]), &list};
    store_foreach(c->db, c->now_ms, keys_collect, &ctx);
    reply_key_list(c, &list);
    key_list_free(&list);
}

static void scan_collect(struct entry *e, void *ctx) {
    size_t len;
    const char *key = entry_key(e, &len);
    key_list_add(ctx, key, len);
}

/* Redis's parseScanCursorOrReply: strtoul, so "-1" and "" are cursors. */
static int parse_cursor(struct client *c, const struct arg *a, unsigned long *cursor) {
    char *end;
    errno = 0;
    *cursor = strtoul(a->ptr, &end, 10);
    if (isspace((unsigned char)a->ptr[0]) || end[0] != '\0' || errno == ERANGE) {
        reply_error(c, "ERR invalid cursor");
        return -1;
    }
    return 0;
}

void cmd_scan(struct client *c) {
    unsigned long cursor;
    long count = 10;
    const struct arg *pattern = NULL, *type = NULL;

    if (parse_cursor(c, &c->argv[1], &cursor) < 0) return;
    for (int i = 2; i < c->argc; i += 2) {
        const struct arg *opt = &c->argv[i];
        if (i + 1 >= c->argc) {
            reply_syntax_error(c);
            return;
        }
        if (arg_is(opt, "count")) {
            long long v;
            if (!string2ll(c->argv[i + 1].ptr, c->argv[i + 1].len, &v)) {
                reply_not_integer(c);
                return;
            }
            if (v < 1) {
                reply_syntax_error(c);
                return;
            }
            count = v > LONG_MAX / 16 ? LONG_MAX / 16 : (long)v;
        } else if (arg_is(opt, "match")) {
            pattern = &c->argv[i + 1];
        } else if (arg_is(opt, "type")) {
            type = &c->argv[i + 1];
        } else {
            reply_syntax_error(c);
            return;
        }
    }

    struct key_list list = {0};
    uint64_t next = store_scan(c->db, cursor, count, c->now_ms, scan_collect, &list);

    /* Filter after collecting, as Redis does. The keys were alive at
     * c->now_ms, and every key is a string. */
    int use_pattern = pattern && !pattern_is_star(pattern);
    size_t kept = 0;
    for (size_t i = 0; i < list.n; i++) {
        size_t len;
        const char *k = key_list_get(&list, i, &len);
        if (use_pattern && !glob_match(pattern->ptr, pattern->len, k, len, 0)) continue;
        if (type) {
            c->worker->stats.ks.hits++; /* Redis looks the key up to get its type */
            if (strcasecmp(type->ptr, "string") != 0) continue;
        }
        list.keys[kept++] = list.keys[i];
    }
    list.n = kept;

    reply_array(c, 2);
    char buf[24];
    int blen = snprintf(buf, sizeof(buf), "%llu", (unsigned long long)next);
    reply_bulk(c, buf, (size_t)blen);
    reply_key_list(c, &list);
    key_list_free(&list);
}

void cmd_randomkey(struct client *c) {
    size_t len;
    char *key = store_random_key(c->db, c->now_ms, &len, &c->worker->stats.ks);
    if (!key) {
        reply_null(c);
        return;
    }
    reply_bulk(c, key, len);
    free(key);
}

void cmd_dbsize(struct client *c) {
    reply_int(c, (long long)store_db_size(c->db));
}

/* ---- databases (FLUSH*, SWAPDB: keyspace held exclusively) ---- */

/* FLUSHDB/FLUSHALL's optional ASYNC|SYNC: 1 for ASYNC, 0 for SYNC (the
 * default, as Redis's lazyfree-lazy-user-flush no), -1 after an error. */
static int parse_flush_flags(struct client *c) {
    if (c->argc == 1) return 0;
    if (c->argc == 2 && arg_is(&c->argv[1], "sync")) return 0;
    if (c->argc == 2 && arg_is(&c->argv[1], "async")) return 1;
    reply_syntax_error(c);
    return -1;
}

static void flush_db(int dbid, int async) {
    multi_touch_flushed_db(dbid);
    evict_forget_candidates();
    if (!async) {
        store_flush_db(dbid);
        return;
    }
    void *batch = store_detach_db(dbid);
    if (batch) lazyfree_submit(store_free_detached, batch);
}

void cmd_flushdb(struct client *c) {
    int async = parse_flush_flags(c);
    if (async < 0) return;
    flush_db(c->db, async);
    reply_ok(c);
}

void cmd_flushall(struct client *c) {
    int async = parse_flush_flags(c);
    if (async < 0) return;
    for (int i = 0; i < store_db_count(); i++) flush_db(i, async);
    reply_ok(c);
}

void cmd_select(struct client *c) {
    int id;
    if (arg_int(c, &c->argv[1], &id, NULL) < 0) return;
    if (!db_index_valid(id)) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    c->db = id;
    reply_ok(c);
}

void cmd_swapdb(struct client *c) {
    int a, b;
    if (arg_int(c, &c->argv[1], &a, "ERR invalid first DB index") < 0) return;
    if (arg_int(c, &c->argv[2], &b, "ERR invalid second DB index") < 0) return;
    if (!db_index_valid(a) || !db_index_valid(b)) {
        reply_error(c, "ERR DB index is out of range");
        return;
    }
    if (a != b) {
        multi_swap_db(a, b, c->now_ms);
        evict_forget_candidates();
    }
    reply_ok(c);
}

/* ---- OBJECT, MEMORY ---- */

/* OBJECT's key lookup: no LRU/LFU update, hit/miss counted; replies null
 * and returns NULL when the key is missing. Returns with the key locked
 * only when it returns an entry. */
static struct entry *object_lookup(struct client *c, struct key_ref *r) {
    lock_key(r, c, c->db, &c->argv[2]);
    struct entry *e = lookup_read_notouch(r, c->now_ms);
    if (!e) {
        store_unlock_key(r);
        reply_null(c);
    }
    return e;
}

/* Whether Redis would hold this value as an integer object. */
static int value_is_int(struct entry *e, long *v) {
    size_t len;
    const char *p = entry_value(e, &len);
    return !(e->flags & ENTRY_RAW) && len <= 20 && string2l(p, len, v);
}

static const char *value_encoding(struct entry *e) {
    long v;
    size_t len;
    if (value_is_int(e, &v)) return "int";
    entry_value(e, &len);
    return !(e->flags & ENTRY_RAW) && len <= OBJ_EMBSTR_SIZE_LIMIT ? "embstr" : "raw";
}

/* Redis shares small integers unless an LRU/LFU maxmemory policy needs
 * per-object access data. */
static int shared_integers_allowed(void) {
    int p = cfg.maxmemory_policy;
    return cfg.maxmemory == 0 ||
           !(p == MAXMEMORY_ALLKEYS_LRU || p == MAXMEMORY_VOLATILE_LRU ||
             p == MAXMEMORY_ALLKEYS_LFU || p == MAXMEMORY_VOLATILE_LFU);
}

void cmd_object_encoding(struct client *c) {
    struct key_ref r;
    struct entry *e = object_lookup(c, &r);
    if (!e) return;
    const char *enc = value_encoding(e);
    store_unlock_key(&r);
    reply_bulk_cstr(c, enc);
}

void cmd_object_refcount(struct client *c) {
    struct key_ref r;
    struct entry *e = object_lookup(c, &r);
    if (!e) return;
    long v;
    int shared = value_is_int(e, &v) && v >= 0 && v < OBJ_SHARED_INTEGERS &&
                 shared_integers_allowed();
    store_unlock_key(&r);
    reply_int(c, shared ? OBJ_SHARED_REFCOUNT : 1);
}

void cmd_object_idletime(struct client *c) {
    struct key_ref r;
    struct entry *e = object_lookup(c, &r);
    if (!e) return;
    uint64_t idle = entry_idle_seconds(e, c->now_ms);
    store_unlock_key(&r);
    if (store_lfu_mode) {
        reply_error(c, "ERR An LFU maxmemory policy is selected, idle time not tracked. Please "
                       "note that when switching between policies at runtime LRU and LFU data "
                       "will take some time to adjust.");
        return;
    }
    reply_int(c, (long long)idle);
}

void cmd_object_freq(struct client *c) {
    struct key_ref r;
    struct entry *e = object_lookup(c, &r);
    if (!e) return;
    unsigned freq = entry_lfu_counter(e, c->now_ms);
    store_unlock_key(&r);
    if (!store_lfu_mode) {
        reply_error(c, "ERR An LFU maxmemory policy is not selected, access frequency not "
                       "tracked. Please note that when switching between policies at runtime "
                       "LRU and LFU data will take some time to adjust.");
        return;
    }
    reply_int(c, freq);
}

static void reply_help(struct client *c, const char *const *lines, size_t n) {
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_status(c, lines[i]);
}

void cmd_object_help(struct client *c) {
    static const char *const help[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, help, sizeof(help) / sizeof(help[0]));
}

/* MEMORY USAGE key [SAMPLES count]: the entry's allocation plus its
 * bucket slot. Strings have nothing to sample; SAMPLES is only checked. */
void cmd_memory_usage(struct client *c) {
    for (int j = 3; j < c->argc; j += 2) {
        long long samples;
        if (!arg_is(&c->argv[j], "samples") || j + 1 >= c->argc) {
            reply_syntax_error(c);
            return;
        }
        if (!string2ll(c->argv[j + 1].ptr, c->argv[j + 1].len, &samples)) {
            reply_not_integer(c);
            return;
        }
        if (samples < 0) {
            reply_syntax_error(c);
            return;
        }
    }
    struct key_ref r;
    lock_key(&r, c, c->db, &c->argv[2]);
    struct entry *e = store_find(&r, c->now_ms);
    size_t usage = e ? entry_alloc_size(e) + sizeof(struct entry *) : 0;
    store_unlock_key(&r);
    if (e) reply_int(c, (long long)usage);
    else reply_null(c);
}

void cmd_memory_help(struct client *c) {
    static const char *const help[] = {
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "USAGE <key> [SAMPLES <count>]",
        "    Return memory in bytes used by <key> and its value. Nested values are",
        "    sampled up to <count> times (default: 5, 0 means sample all).",
        "HELP",
        "    Prints this help.",
    };
    reply_help(c, help, sizeof(help) / sizeof(help[0]));
}
