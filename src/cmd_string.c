/* cmd_string.c -- the string commands (GET, SET and friends), with Redis
 * 7.0's argument rules, replies and error strings.
 *
 * Each command locks the one shard its key lives in for as long as it
 * reads or changes the entry; multi-key commands (MGET, MSET, MSETNX) run
 * with the keyspace held exclusively (see dispatch.c), so they lock their
 * keys' shards one at a time and are still atomic. */
#include <limits.h>
#include <math.h>
#include <string.h>

#include "commands.h"
#include "server.h"
#include "util.h"

/* SET/GETEX option flags, as Redis's OBJ_* */
enum {
    SET_NX = 1 << 0,
    SET_XX = 1 << 1,
    SET_GET = 1 << 2,
    SET_KEEPTTL = 1 << 3,
    SET_PERSIST = 1 << 4,
    SET_EX = 1 << 5,
    SET_PX = 1 << 6,
    SET_EXAT = 1 << 7,
    SET_PXAT = 1 << 8,
};
#define SET_ANY_EXPIRE (SET_EX | SET_PX | SET_EXAT | SET_PXAT)

enum { PARSE_FOR_SET, PARSE_FOR_GETEX };

static void lock_key(struct key_ref *r, struct client *c, int argi) {
    store_lock_key(r, c->db, c->argv[argi].ptr, c->argv[argi].len, &c->worker->stats.ks);
}

static int arg_is(const struct arg *a, const char *word) {
    return strcasecmp(a->ptr, word) == 0 && strlen(word) == a->len;
}

static int arg_ll(struct client *c, const struct arg *a, long long *v) {
    if (string2ll(a->ptr, a->len, v)) return 0;
    reply_not_integer(c);
    return -1;
}

/* Parses SET's / GETEX's options from argv[first]; Redis's
 * parseExtendedStringArgumentsOrReply. */
static int parse_set_options(struct client *c, int first, int mode, int *flags,
                             const struct arg **expire) {
    *flags = 0;
    *expire = NULL;
    for (int j = first; j < c->argc; j++) {
        const struct arg *opt = &c->argv[j];
        int has_next = j + 1 < c->argc;
        int f = *flags;
        if (mode == PARSE_FOR_SET && arg_is(opt, "nx") && !(f & SET_XX)) {
            *flags |= SET_NX;
        } else if (mode == PARSE_FOR_SET && arg_is(opt, "xx") && !(f & SET_NX)) {
            *flags |= SET_XX;
        } else if (mode == PARSE_FOR_SET && arg_is(opt, "get")) {
            *flags |= SET_GET;
        } else if (mode == PARSE_FOR_SET && arg_is(opt, "keepttl") && !(f & SET_PERSIST) &&
                   !(f & SET_ANY_EXPIRE)) {
            *flags |= SET_KEEPTTL;
        } else if (mode == PARSE_FOR_GETEX && arg_is(opt, "persist") &&
                   !(f & (SET_ANY_EXPIRE | SET_KEEPTTL))) {
            *flags |= SET_PERSIST;
        } else if (has_next && !(f & (SET_KEEPTTL | SET_PERSIST)) &&
                   ((arg_is(opt, "ex") && !(f & (SET_EXAT | SET_PX | SET_PXAT))) ||
                    (arg_is(opt, "px") && !(f & (SET_EX | SET_EXAT | SET_PXAT))) ||
                    (arg_is(opt, "exat") && !(f & (SET_EX | SET_PX | SET_PXAT))) ||
                    (arg_is(opt, "pxat") && !(f & (SET_EX | SET_EXAT | SET_PX))))) {
            if (arg_is(opt, "ex")) *flags |= SET_EX;
            else if (arg_is(opt, "px")) *flags |= SET_PX;
            else if (arg_is(opt, "exat")) *flags |= SET_EXAT;
            else *flags |= SET_PXAT;
            *expire = &c->argv[++j];
        } else {
            reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

static void reply_invalid_expire(struct client *c) {
    reply_errorf(c, "ERR invalid expire time in '%s' command", c->cmd->fullname);
}

/* The absolute expire time (ms) an EX/PX/EXAT/PXAT argument means;
 * Redis's getExpireMillisecondsOrReply. */
static int expire_at_ms(struct client *c, const struct arg *a, int flags, int64_t *out) {
    long long ms;
    int seconds = flags & (SET_EX | SET_EXAT);
    if (arg_ll(c, a, &ms) < 0) return -1;
    if (ms <= 0 || (seconds && ms > LLONG_MAX / 1000)) {
        reply_invalid_expire(c);
        return -1;
    }
    if (seconds) ms *= 1000;
    if (flags & (SET_EX | SET_PX)) {
        if (ms > LLONG_MAX - c->now_ms) {
            reply_invalid_expire(c);
            return -1;
        }
        ms += c->now_ms;
    }
    *out = ms;
    return 0;
}

static void reply_entry(struct client *c, struct entry *e) {
    size_t len;
    const char *v = entry_value(e, &len);
    reply_bulk(c, v, len);
}

/* SET and its older forms. numeric_reply: SETNX's :1/:0 instead of
 * +OK / null bulk. */
static void set_generic(struct client *c, int flags, const struct arg *key, const struct arg *val,
                        const struct arg *expire, int seconds_unit, int numeric_reply) {
    int64_t when = 0;
    if (expire) {
        int unit_flags = flags & SET_ANY_EXPIRE ? flags : (seconds_unit ? SET_EX : SET_PX);
        if (expire_at_ms(c, expire, unit_flags, &when) < 0) return;
    }
    struct key_ref r;
    store_lock_key(&r, c->db, key->ptr, key->len, &c->worker->stats.ks);
    struct entry *e = (flags & SET_GET) ? store_lookup_read(&r, c->now_ms)
                                        : store_lookup_write(&r, c->now_ms);
    if (flags & SET_GET) {
        if (e) reply_entry(c, e);
        else reply_null(c);
    }
    if (((flags & SET_NX) && e) || ((flags & SET_XX) && !e)) {
        store_unlock_key(&r);
        if (flags & SET_GET) return;
        if (numeric_reply) reply_int(c, 0);
        else reply_null(c);
        return;
    }
    if ((flags & SET_KEEPTTL) && e) when = entry_expire(e);
    store_set(&r, val->ptr, val->len, when, c->now_ms);
    store_unlock_key(&r);
    if (flags & SET_GET) return;
    if (numeric_reply) reply_int(c, 1);
    else reply_ok(c);
}

void cmd_set(struct client *c) {
    int flags;
    const struct arg *expire;
    if (parse_set_options(c, 3, PARSE_FOR_SET, &flags, &expire) < 0) return;
    set_generic(c, flags, &c->argv[1], &c->argv[2], expire, 0, 0);
}

void cmd_setnx(struct client *c) {
    set_generic(c, SET_NX, &c->argv[1], &c->argv[2], NULL, 0, 1);
}

void cmd_setex(struct client *c) {
    set_generic(c, 0, &c->argv[1], &c->argv[3], &c->argv[2], 1, 0);
}

void cmd_psetex(struct client *c) {
    set_generic(c, 0, &c->argv[1], &c->argv[3], &c->argv[2], 0, 0);
}

void cmd_get(struct client *c) {
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (e) reply_entry(c, e);
    else reply_null(c);
    store_unlock_key(&r);
}

void cmd_getset(struct client *c) {
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (e) reply_entry(c, e);
    else reply_null(c);
    store_set(&r, c->argv[2].ptr, c->argv[2].len, 0, c->now_ms);
    store_unlock_key(&r);
}

void cmd_getdel(struct client *c) {
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (e) {
        reply_entry(c, e);
        store_delete(&r);
    } else {
        reply_null(c);
    }
    store_unlock_key(&r);
}

void cmd_getex(struct client *c) {
    int flags;
    const struct arg *expire;
    int64_t when = 0;
    if (parse_set_options(c, 2, PARSE_FOR_GETEX, &flags, &expire) < 0) return;

    /* as Redis: a missing key answers null before the time is checked */
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (!e) {
        reply_null(c);
    } else if (!expire || expire_at_ms(c, expire, flags, &when) == 0) {
        reply_entry(c, e);
        if ((flags & (SET_EXAT | SET_PXAT)) && when <= c->now_ms) store_delete(&r);
        else if (expire) store_set_expire(&r, when);
        else if ((flags & SET_PERSIST) && entry_expire(e)) store_set_expire(&r, 0);
    }
    store_unlock_key(&r);
}

void cmd_mget(struct client *c) {
    reply_array(c, c->argc - 1);
    for (int i = 1; i < c->argc; i++) {
        struct key_ref r;
        lock_key(&r, c, i);
        struct entry *e = store_lookup_read(&r, c->now_ms);
        if (e) reply_entry(c, e);
        else reply_null(c);
        store_unlock_key(&r);
    }
}

static int mset_arity_ok(struct client *c) {
    if (c->argc % 2 == 1) return 1;
    reply_arity_error(c);
    return 0;
}

static void mset_all(struct client *c) {
    for (int i = 1; i < c->argc; i += 2) {
        struct key_ref r;
        lock_key(&r, c, i);
        store_set(&r, c->argv[i + 1].ptr, c->argv[i + 1].len, 0, c->now_ms);
        store_unlock_key(&r);
    }
}

void cmd_mset(struct client *c) {
    if (!mset_arity_ok(c)) return;
    mset_all(c);
    reply_ok(c);
}

void cmd_msetnx(struct client *c) {
    if (!mset_arity_ok(c)) return;
    for (int i = 1; i < c->argc; i += 2) {
        struct key_ref r;
        lock_key(&r, c, i);
        struct entry *e = store_lookup_write(&r, c->now_ms);
        store_unlock_key(&r);
        if (e) {
            reply_int(c, 0);
            return;
        }
    }
    mset_all(c);
    reply_int(c, 1);
}

/* Redis's checkStringLength: the result must fit proto-max-bulk-len. */
static int string_length_ok(struct client *c, long long size, long long append) {
    long long total = (long long)((uint64_t)size + (uint64_t)append);
    if (total > cfg.proto_max_bulk_len || total < size || total < append) {
        reply_error(c, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return 0;
    }
    return 1;
}

void cmd_append(struct client *c) {
    const struct arg *add = &c->argv[2];
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    size_t len;
    if (!e) {
        store_set(&r, add->ptr, add->len, 0, c->now_ms);
        len = add->len;
    } else {
        entry_value(e, &len);
        if (!string_length_ok(c, (long long)len, (long long)add->len)) {
            store_unlock_key(&r);
            return;
        }
        e = store_resize_value(&r, len + add->len);
        if (!e) {
            store_unlock_key(&r);
            reply_error(c, "ERR out of memory");
            return;
        }
        memcpy(entry_value(e, &len) + len - add->len, add->ptr, add->len);
        store_touched(&r);
    }
    store_unlock_key(&r);
    reply_int(c, (long long)len);
}

void cmd_strlen(struct client *c) {
    struct key_ref r;
    size_t len = 0;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (e) entry_value(e, &len);
    store_unlock_key(&r);
    reply_int(c, (long long)len);
}

void cmd_getrange(struct client *c) {
    long long start, end;
    if (arg_ll(c, &c->argv[2], &start) < 0 || arg_ll(c, &c->argv[3], &end) < 0) return;
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_read(&r, c->now_ms);
    if (!e) {
        store_unlock_key(&r);
        reply_bulk(c, "", 0);
        return;
    }
    size_t vlen;
    const char *v = entry_value(e, &vlen);
    long long len = (long long)vlen;
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c, "", 0);
    } else {
        if (start < 0) start = len + start;
        if (end < 0) end = len + end;
        if (start < 0) start = 0;
        if (end < 0) end = 0;
        if (end >= len) end = len - 1;
        if (start > end || len == 0) reply_bulk(c, "", 0);
        else reply_bulk(c, v + start, (size_t)(end - start + 1));
    }
    store_unlock_key(&r);
}

void cmd_setrange(struct client *c) {
    long long offset;
    const struct arg *val = &c->argv[3];
    if (!string2ll(c->argv[2].ptr, c->argv[2].len, &offset) || offset > LONG_MAX) {
        reply_not_integer(c);
        return;
    }
    if (offset < 0) {
        reply_error(c, "ERR offset is out of range");
        return;
    }
    struct key_ref r;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    size_t olen = 0;
    if (e) entry_value(e, &olen);
    if (val->len == 0) {
        store_unlock_key(&r);
        reply_int(c, (long long)olen);
        return;
    }
    if (!string_length_ok(c, offset, (long long)val->len)) {
        store_unlock_key(&r);
        return;
    }
    size_t need = (size_t)offset + val->len;
    if (!e) {
        store_set(&r, "", 0, 0, c->now_ms);
        olen = 0;
    }
    if (need > olen) {
        if (!store_resize_value(&r, need)) {
            store_unlock_key(&r);
            reply_error(c, "ERR out of memory");
            return;
        }
    } else {
        r.entry->flags |= ENTRY_RAW;
    }
    size_t len;
    char *v = entry_value(r.entry, &len);
    memcpy(v + offset, val->ptr, val->len);
    store_touched(&r);
    store_unlock_key(&r);
    reply_int(c, (long long)len);
}

/* INCR, DECR, INCRBY, DECRBY */
static void incr_by(struct client *c, long long incr) {
    struct key_ref r;
    long long value = 0;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    if (e) {
        size_t len;
        const char *v = entry_value(e, &len);
        if (!string2ll(v, len, &value)) {
            store_unlock_key(&r);
            reply_not_integer(c);
            return;
        }
    }
    if ((incr < 0 && value < 0 && incr < (LLONG_MIN - value)) ||
        (incr > 0 && value > 0 && incr > (LLONG_MAX - value))) {
        store_unlock_key(&r);
        reply_error(c, "ERR increment or decrement would overflow");
        return;
    }
    value += incr;
    char buf[32];
    int n = ll2string(buf, sizeof(buf), value);
    store_set(&r, buf, (size_t)n, e ? entry_expire(e) : 0, c->now_ms);
    store_unlock_key(&r);
    reply_int(c, value);
}

void cmd_incr(struct client *c) {
    incr_by(c, 1);
}

void cmd_decr(struct client *c) {
    incr_by(c, -1);
}

void cmd_incrby(struct client *c) {
    long long incr;
    if (arg_ll(c, &c->argv[2], &incr) < 0) return;
    incr_by(c, incr);
}

void cmd_decrby(struct client *c) {
    long long incr;
    if (arg_ll(c, &c->argv[2], &incr) < 0) return;
    if (incr == LLONG_MIN) {
        reply_error(c, "ERR decrement would overflow");
        return;
    }
    incr_by(c, -incr);
}

void cmd_incrbyfloat(struct client *c) {
    struct key_ref r;
    long double value = 0, incr;
    lock_key(&r, c, 1);
    struct entry *e = store_lookup_write(&r, c->now_ms);
    if (e) {
        size_t len;
        const char *v = entry_value(e, &len);
        if (!string2ld(v, len, &value)) {
            store_unlock_key(&r);
            reply_error(c, "ERR value is not a valid float");
            return;
        }
    }
    if (!string2ld(c->argv[2].ptr, c->argv[2].len, &incr)) {
        store_unlock_key(&r);
        reply_error(c, "ERR value is not a valid float");
        return;
    }
    value += incr;
    if (isnan(value) || isinf(value)) {
        store_unlock_key(&r);
        reply_error(c, "ERR increment would produce NaN or Infinity");
        return;
    }
    char buf[5 * 1024];
    int n = ld2string(buf, sizeof(buf), value);
    store_set(&r, buf, (size_t)n, e ? entry_expire(e) : 0, c->now_ms);
    store_unlock_key(&r);
    reply_bulk(c, buf, (size_t)n);
}
