/* test_store.c -- unit and stress tests of the sharded store (store.c):
 * values, TTLs, replace/resize, SCAN's guarantee across growth and
 * shrinking, and several threads hammering the same shards while each
 * checks its own keys against a model. Bounded in operations. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "util.h"

#include "test_check.h"

static void put(int db, const char *k, const char *v, int64_t expire, int64_t now) {
    struct key_ref r;
    store_lock_key(&r, db, k, strlen(k), NULL);
    store_set(&r, v, strlen(v), expire, now);
    store_unlock_key(&r);
}

/* Returns 1 and copies the value if the key is live at now. */
static int get(int db, const char *k, char *out, size_t outsz, int64_t now) {
    struct key_ref r;
    store_lock_key(&r, db, k, strlen(k), NULL);
    struct entry *e = store_find(&r, now);
    if (e) {
        size_t len;
        const char *v = entry_value(e, &len);
        snprintf(out, outsz, "%.*s", (int)len, v);
    }
    store_unlock_key(&r);
    return e != NULL;
}

static void del(int db, const char *k, int64_t now) {
    struct key_ref r;
    store_lock_key(&r, db, k, strlen(k), NULL);
    if (store_find(&r, now)) store_delete(&r);
    store_unlock_key(&r);
}

static void test_basics(void) {
    char v[256];
    int64_t now = 1000000;
    put(0, "a", "1", 0, now);
    CHECK(get(0, "a", v, sizeof(v), now) && strcmp(v, "1") == 0, "get a");
    put(0, "a", "22", 0, now);
    CHECK(get(0, "a", v, sizeof(v), now) && strcmp(v, "22") == 0, "replace a");
    CHECK(!get(1, "a", v, sizeof(v), now), "databases are separate");
    put(0, "t", "x", now + 100, now);
    CHECK(get(0, "t", v, sizeof(v), now + 100), "alive at its expire time");
    CHECK(!get(0, "t", v, sizeof(v), now + 101), "gone after it");
    CHECK(store_db_size(0) == 1, "lazy expiry removed it: %llu",
          (unsigned long long)store_db_size(0));

    /* expire added, changed, removed; resize keeps bytes and key */
    struct key_ref r;
    store_lock_key(&r, 0, "a", 1, NULL);
    store_find(&r, now);
    store_set_expire(&r, now + 5000);
    CHECK(entry_expire(r.entry) == now + 5000, "expire set");
    store_set_expire(&r, now + 6000);
    CHECK(entry_expire(r.entry) == now + 6000, "expire changed");
    store_resize_value(&r, 300);
    size_t len, klen;
    char *val = entry_value(r.entry, &len);
    const char *key = entry_key(r.entry, &klen);
    CHECK(len == 300 && memcmp(val, "22", 2) == 0 && val[2] == 0 && klen == 1 && key[0] == 'a' &&
              entry_expire(r.entry) == now + 6000,
          "resize across a varint boundary keeps content, key and expire");
    store_set_expire(&r, 0);
    CHECK(entry_expire(r.entry) == 0, "expire removed");
    store_unlock_key(&r);
    CHECK(store_db_expires(0) == 0, "expires count back to zero");

    store_flush_db(0);
    CHECK(store_db_size(0) == 0 && store_bytes() == 0, "flush frees everything: %llu bytes",
          (unsigned long long)store_bytes());
}

struct scan_seen {
    unsigned char *seen;
    int n;
};

static void mark(struct entry *e, void *ctx) {
    struct scan_seen *s = ctx;
    size_t len;
    const char *k = entry_key(e, &len);
    int i = atoi(k + 1);
    if (i >= 0 && i < s->n && s->seen[i] < 255) s->seen[i]++;
}

/* Every key present for a whole scan is returned, while the tables grow
 * and then shrink under it. */
static void test_scan_during_resize(void) {
    const int n = 20000;
    char k[32];
    int64_t now = 1000;
    struct scan_seen s = {calloc((size_t)n, 1), n};

    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "k%d", i);
        put(2, k, "v", 0, now);
    }
    uint64_t cursor = 0;
    int step = 0;
    do {
        cursor = store_scan(2, cursor, 10, now, mark, &s);
        /* grow: add many keys mid-scan, then delete them (shrinks) */
        if (step == 50)
            for (int i = n; i < 4 * n; i++) {
                snprintf(k, sizeof(k), "x%d", i);
                put(2, k, "v", 0, now);
            }
        if (step == 500)
            for (int i = n; i < 4 * n; i++) {
                snprintf(k, sizeof(k), "x%d", i);
                del(2, k, now);
            }
        for (unsigned sh = 0; sh < STORE_SHARDS; sh++) store_shard_maintain(2, sh);
        step++;
    } while (cursor != 0);
    int missing = 0;
    for (int i = 0; i < n; i++)
        if (!s.seen[i]) missing++;
    CHECK(missing == 0, "scan missed %d of %d keys", missing, n);
    free(s.seen);
    store_flush_db(2);
}

static void test_active_expiry(void) {
    char k[32];
    for (int i = 0; i < 10000; i++) {
        snprintf(k, sizeof(k), "e%d", i);
        put(3, k, "v", i % 2 ? 2000 : 0, 1000);
    }
    uint64_t expired = 0;
    for (int pass = 0; pass < 1000 && store_db_expires(3) > 0; pass++)
        for (unsigned sh = 0; sh < STORE_SHARDS; sh++) {
            uint64_t seen = 0;
            store_shard_maintain(3, sh);
            expired += store_expire_step(3, sh, 3000, 64, &seen, NULL);
        }
    CHECK(expired == 5000 && store_db_size(3) == 5000, "active expiry reclaimed %llu",
          (unsigned long long)expired);
    store_flush_db(3);
}

/* Threads share db 4; thread t owns keys "t<t>:<i>" and checks them
 * against its model while the others churn the same shards. */
#define THREADS 4
#define KEYS_PER_THREAD 5000
#define OPS_PER_THREAD 300000

static void *hammer(void *arg) {
    int t = (int)(intptr_t)arg;
    char model[KEYS_PER_THREAD][16];
    char k[32], v[64];
    uint64_t rnd = 88172645463325252ULL ^ (uint64_t)t;
    int errors = 0;
    memset(model, 0, sizeof(model));

    for (int op = 0; op < OPS_PER_THREAD; op++) {
        rnd ^= rnd << 13;
        rnd ^= rnd >> 7;
        rnd ^= rnd << 17;
        int i = (int)(rnd % KEYS_PER_THREAD);
        snprintf(k, sizeof(k), "t%d:%d", t, i);
        switch ((rnd >> 32) % 4) {
        case 0:
        case 1:
            snprintf(model[i], sizeof(model[i]), "%d", op);
            put(4, k, model[i], 0, 1000);
            break;
        case 2:
            del(4, k, 1000);
            model[i][0] = '\0';
            break;
        default: {
            int found = get(4, k, v, sizeof(v), 1000);
            if (found != (model[i][0] != '\0') || (found && strcmp(v, model[i]) != 0)) errors++;
        }
        }
    }
    int live = 0;
    for (int i = 0; i < KEYS_PER_THREAD; i++) {
        snprintf(k, sizeof(k), "t%d:%d", t, i);
        int found = get(4, k, v, sizeof(v), 1000);
        if (found != (model[i][0] != '\0') || (found && strcmp(v, model[i]) != 0)) errors++;
        live += found;
    }
    CHECK(errors == 0, "thread %d saw %d wrong values", t, errors);
    return (void *)(intptr_t)live;
}

static void test_threads(void) {
    pthread_t th[THREADS];
    uint64_t live = 0;
    for (int t = 0; t < THREADS; t++) pthread_create(&th[t], NULL, hammer, (void *)(intptr_t)t);
    for (int t = 0; t < THREADS; t++) {
        void *ret;
        pthread_join(th[t], &ret);
        live += (uint64_t)(intptr_t)ret;
    }
    CHECK(store_db_size(4) == live, "db size %llu == live keys %llu",
          (unsigned long long)store_db_size(4), (unsigned long long)live);
    store_flush_db(4);
    CHECK(store_bytes() == 0, "no bytes leaked in accounting: %llu",
          (unsigned long long)store_bytes());
}

int main(void) {
    hash_seed(12345);
    if (store_init(16) < 0) return 1;
    test_basics();
    test_scan_during_resize();
    test_active_expiry();
    test_threads();
    return test_report();
}
