/* cmd_client.c -- the CLIENT command family: ID, SETNAME, GETNAME,
 * SETINFO, INFO, LIST, KILL, REPLY, NO-EVICT, HELP, with Redis 7.0's
 * replies (SETINFO and the lib-name/lib-ver fields as Redis 7.2).
 *
 * Clients live on every worker thread. To look at another worker's
 * clients we hold its clients_lock, which keeps them from being freed and
 * guards their names; everything else about a client belongs to its own
 * thread, so from elsewhere we only read scalar fields (a snapshot that
 * may be one command stale) and never follow its buffers' pointers. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_info.h"
#include "commands.h"
#include "server.h"
#include "util.h"

/* A relaxed read of a field another thread may be writing. */
#define PEEK(field) __atomic_load_n(&(field), __ATOMIC_RELAXED)

static int arg_is(const struct arg *a, const char *s) {
    return strcasecmp(a->ptr, s) == 0;
}

static unsigned client_flags(const struct client *c) {
    return atomic_load_explicit(&c->flags, memory_order_relaxed);
}

/* ---- client types ---- */

/* Redis's client types. shoal has no replication and no pub/sub, so every
 * client is NORMAL, but the other names are valid filters. */
enum { TYPE_NORMAL, TYPE_REPLICA, TYPE_PUBSUB, TYPE_MASTER };

static int client_type_by_name(const char *name) {
    if (!strcasecmp(name, "normal")) return TYPE_NORMAL;
    if (!strcasecmp(name, "slave") || !strcasecmp(name, "replica")) return TYPE_REPLICA;
    if (!strcasecmp(name, "pubsub")) return TYPE_PUBSUB;
    if (!strcasecmp(name, "master")) return TYPE_MASTER;
    return -1;
}

/* ---- describing a client (CLIENT LIST / CLIENT INFO) ---- */

/* What a client's buffers hold. Exact for clients of the calling thread;
 * for another thread's client only the scalar counters can be read, so
 * the reply queue is counted as one list of reply_bytes and a command it
 * may be running right now is not seen. */
struct client_mem {
    uint64_t argv_mem, multi_mem;
    uint64_t rbs, rbp, obl, oll, omem;
    uint64_t total;
};

static void measure_client(const struct client *cl, struct client_mem *m) {
    memset(m, 0, sizeof(*m));
    if (cl->worker == self_worker) {
        for (int i = 0; i < cl->argc; i++) m->argv_mem += cl->argv[i].len;
        for (int i = 0; i < cl->mstate.count; i++) {
            const struct queued_command *q = &cl->mstate.commands[i];
            m->multi_mem += (uint64_t)q->argc * sizeof(struct arg);
            for (int j = 0; j < q->argc; j++) m->multi_mem += q->argv[j].len;
        }
        const struct reply_block *b = cl->reply_head;
        if (b) {
            m->rbs = b->size;
            m->rbp = b->used;
            m->obl = b->used - cl->sent_in_head;
            for (b = b->next; b; b = b->next) {
                m->oll++;
                m->omem += sizeof(*b) + b->size;
            }
            m->total += sizeof(*cl->reply_head) + m->rbs;
        }
    } else {
        m->omem = PEEK(cl->reply_bytes);
    }
    m->total += sizeof(*cl) + PEEK(cl->qcap) + m->argv_mem + m->multi_mem + m->omem +
                (uint64_t)PEEK(cl->argv_cap) * sizeof(struct arg) +
                (uint64_t)PEEK(cl->parser.argv_cap) * sizeof(struct resp_arg) +
                PEEK(cl->parser.inline_cap);
    /* identity strings: the caller holds the owner's clients_lock */
    if (cl->name) m->total += strlen(cl->name) + 1;
    if (cl->lib_name) m->total += strlen(cl->lib_name) + 1;
    if (cl->lib_ver) m->total += strlen(cl->lib_ver) + 1;
}

/* Redis's flag letters, in Redis's order, for the flags shoal has. */
static void flags_string(unsigned f, char *out) {
    char *p = out;
    if (f & CLIENT_MULTI) *p++ = 'x';
    if (f & CLIENT_DIRTY_CAS) *p++ = 'd';
    if (f & CLIENT_CLOSE_AFTER_REPLY) *p++ = 'c';
    if (f & CLIENT_UNIX_SOCKET) *p++ = 'U';
    if (f & CLIENT_NO_EVICT) *p++ = 'e';
    if (p == out) *p++ = 'N';
    *p = '\0';
}

/* The command a client runs or last ran: Redis sets it before running, so
 * a client describing itself shows the command doing it. */
static const char *client_cmd_name(const struct client *cl, const struct client *self) {
    const struct command *cmd = cl == self && self->cmd ? self->cmd : PEEK(cl->lastcmd);
    return cmd ? cmd->fullname : "NULL";
}

/* Whole seconds from a time in ms to now, as Redis subtracts its
 * second-resolution clock (never negative: other threads' clients may
 * have moved on since this command started). */
static long long secs_since(int64_t then_ms, int64_t now_ms) {
    long long s = (long long)(now_ms / 1000 - then_ms / 1000);
    return s > 0 ? s : 0;
}

/* One CLIENT LIST line (without the newline). The caller holds the
 * clients_lock of cl's worker. */
static void describe_client(struct strbuf *sb, const struct client *cl, const struct client *self) {
    unsigned f = client_flags(cl);
    char flags[16], events[3], *e = events;
    struct client_mem m;
    int64_t now = mstime();

    flags_string(f, flags);
    if (PEEK(cl->read_ev.active)) *e++ = 'r';
    if (PEEK(cl->write_ev.active)) *e++ = 'w';
    *e = '\0';
    measure_client(cl, &m);
    size_t qlen = PEEK(cl->qlen), qcap = PEEK(cl->qcap);

    sb_printf(sb,
              "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%d "
              "sub=0 psub=0 ssub=0 multi=%d qbuf=%zu qbuf-free=%zu argv-mem=%llu "
              "multi-mem=%llu rbs=%llu rbp=%llu obl=%llu oll=%llu omem=%llu tot-mem=%llu "
              "events=%s cmd=%s user=default redir=-1 resp=%d lib-name=%s lib-ver=%s",
              (unsigned long long)cl->id, cl->addr, cl->laddr, PEEK(cl->fd),
              cl->name ? cl->name : "", secs_since(cl->ctime_ms, now),
              secs_since(PEEK(cl->last_interaction_ms), now), flags, PEEK(cl->db),
              (f & CLIENT_MULTI) ? PEEK(cl->mstate.count) : -1, qlen, qcap - qlen,
              (unsigned long long)m.argv_mem, (unsigned long long)m.multi_mem,
              (unsigned long long)m.rbs, (unsigned long long)m.rbp, (unsigned long long)m.obl,
              (unsigned long long)m.oll, (unsigned long long)m.omem,
              (unsigned long long)m.total, events, client_cmd_name(cl, self), PEEK(cl->resp),
              cl->lib_name ? cl->lib_name : "", cl->lib_ver ? cl->lib_ver : "");
}

/* A client CLIENT KILL already doomed is gone as far as commands can
 * tell, as in Redis where it is freed at once; its own thread closes it. */
static int client_is_dying(const struct client *cl) {
    return (client_flags(cl) & CLIENT_CLOSE_ASAP) != 0;
}

/* Calls fn for every live client of every worker, with that worker's
 * clients_lock held. */
static void for_each_client(void (*fn)(struct client *cl, void *ctx), void *ctx) {
    for (int i = 0; i < server.nworkers; i++) {
        struct worker *w = &server.workers[i];
        pthread_mutex_lock(&w->clients_lock);
        for (struct client *cl = w->clients; cl; cl = cl->next)
            if (!client_is_dying(cl)) fn(cl, ctx);
        pthread_mutex_unlock(&w->clients_lock);
    }
}

/* ---- CLIENT LIST, CLIENT INFO ---- */

struct list_line {
    uint64_t id;
    size_t off, len;
};

struct list_ctx {
    struct strbuf sb;
    const struct client *self;
    uint64_t id;                /* only this client, or 0 for all */
    struct list_line *lines;    /* where each client's line is in sb */
    size_t nlines, cap;
};

static void list_one(struct client *cl, void *arg) {
    struct list_ctx *ctx = arg;
    if (ctx->id && cl->id != ctx->id) return;
    if (ctx->nlines == ctx->cap) {
        ctx->cap = ctx->cap ? ctx->cap * 2 : 64;
        ctx->lines = realloc(ctx->lines, ctx->cap * sizeof(*ctx->lines));
        if (!ctx->lines) abort();
    }
    struct list_line *l = &ctx->lines[ctx->nlines++];
    l->id = cl->id;
    l->off = ctx->sb.len;
    describe_client(&ctx->sb, cl, ctx->self);
    sb_append(&ctx->sb, "\n", 1);
    l->len = ctx->sb.len - l->off;
}

static int by_id(const void *a, const void *b) {
    uint64_t x = ((const struct list_line *)a)->id, y = ((const struct list_line *)b)->id;
    return x < y ? -1 : x > y;
}

/* Every client, oldest first as in Redis (ids grow with connection time):
 * the workers' lists are merged by id. */
static void list_all(struct list_ctx *ctx) {
    for_each_client(list_one, ctx);
    if (ctx->nlines > 1) qsort(ctx->lines, ctx->nlines, sizeof(*ctx->lines), by_id);
    struct strbuf out = {0};
    for (size_t i = 0; i < ctx->nlines; i++)
        sb_append(&out, ctx->sb.buf + ctx->lines[i].off, ctx->lines[i].len);
    free(ctx->sb.buf);
    ctx->sb = out;
}

void cmd_client_list(struct client *c) {
    struct list_ctx ctx = {.self = c};

    if (c->argc == 4 && arg_is(&c->argv[2], "type")) {
        int type = client_type_by_name(c->argv[3].ptr);
        if (type < 0) {
            reply_errorf(c, "ERR Unknown client type '%s'", c->argv[3].ptr);
            return;
        }
        if (type == TYPE_NORMAL) list_all(&ctx);
    } else if (c->argc > 3 && arg_is(&c->argv[2], "id")) {
        /* in the order asked, as Redis */
        for (int j = 3; j < c->argc; j++) {
            long long id;
            if (!string2ll(c->argv[j].ptr, c->argv[j].len, &id)) {
                reply_error(c, "ERR Invalid client ID");
                free(ctx.sb.buf);
                free(ctx.lines);
                return;
            }
            if (id <= 0) continue;  /* ids start at 1 */
            ctx.id = (uint64_t)id;
            for_each_client(list_one, &ctx);
        }
    } else if (c->argc != 2) {
        reply_syntax_error(c);
        return;
    } else {
        list_all(&ctx);
    }
    reply_verbatim(c, ctx.sb.buf ? ctx.sb.buf : "", ctx.sb.len, "txt");
    free(ctx.sb.buf);
    free(ctx.lines);
}

void cmd_client_info(struct client *c) {
    struct strbuf sb = {0};
    pthread_mutex_lock(&c->worker->clients_lock);
    describe_client(&sb, c, c);
    pthread_mutex_unlock(&c->worker->clients_lock);
    sb_append(&sb, "\n", 1);
    reply_verbatim(c, sb.buf, sb.len, "txt");
    free(sb.buf);
}

/* ---- INFO clients / memory ---- */

static void summarize_one(struct client *cl, void *arg) {
    struct clients_summary *s = arg;
    struct client_mem m;
    uint64_t qpeak = PEEK(cl->qbuf_peak), obuf = PEEK(cl->reply_bytes);
    measure_client(cl, &m);
    if (qpeak > s->max_input_buffer) s->max_input_buffer = qpeak;
    if (obuf > s->max_output_buffer) s->max_output_buffer = obuf;
    s->memory += m.total;
}

void clients_summarize(struct clients_summary *s) {
    memset(s, 0, sizeof(*s));
    for_each_client(summarize_one, s);
}

/* ---- CLIENT KILL ---- */

struct kill_filter {
    const char *addr, *laddr;
    int type;           /* -1 = any */
    uint64_t id;        /* 0 = any */
    int skipme;
    struct client *self;
    int killed, kill_self;
};

static void kill_one(struct client *cl, void *arg) {
    struct kill_filter *k = arg;
    if (k->addr && strcmp(cl->addr, k->addr) != 0) return;
    if (k->laddr && strcmp(cl->laddr, k->laddr) != 0) return;
    if (k->type != -1 && k->type != TYPE_NORMAL) return;
    if (k->id && cl->id != k->id) return;
    if (cl == k->self) {
        if (k->skipme) return;
        k->kill_self = 1;
    } else {
        client_request_close(cl);
    }
    k->killed++;
}

/* Parses the filter form's option/value pairs; replies the error and
 * returns -1 on a bad one. */
static int parse_kill_filter(struct client *c, struct kill_filter *k) {
    for (int i = 2; i < c->argc; i += 2) {
        if (i + 1 >= c->argc) {
            reply_syntax_error(c);
            return -1;
        }
        const struct arg *opt = &c->argv[i], *val = &c->argv[i + 1];
        if (arg_is(opt, "id")) {
            long long id;
            if (!string2ll(val->ptr, val->len, &id) || id < 1) {
                reply_error(c, "ERR client-id should be greater than 0");
                return -1;
            }
            k->id = (uint64_t)id;
        } else if (arg_is(opt, "type")) {
            k->type = client_type_by_name(val->ptr);
            if (k->type < 0) {
                reply_errorf(c, "ERR Unknown client type '%s'", val->ptr);
                return -1;
            }
        } else if (arg_is(opt, "addr")) {
            k->addr = val->ptr;
        } else if (arg_is(opt, "laddr")) {
            k->laddr = val->ptr;
        } else if (arg_is(opt, "user")) {
            /* "default" is the only user, and every client's */
            if (strcmp(val->ptr, "default") != 0) {
                reply_errorf(c, "ERR No such user '%s'", val->ptr);
                return -1;
            }
        } else if (arg_is(opt, "skipme")) {
            if (arg_is(val, "yes")) k->skipme = 1;
            else if (arg_is(val, "no")) k->skipme = 0;
            else {
                reply_syntax_error(c);
                return -1;
            }
        } else {
            reply_syntax_error(c);
            return -1;
        }
    }
    return 0;
}

void cmd_client_kill(struct client *c) {
    struct kill_filter k = {.type = -1, .skipme = 1, .self = c};

    if (c->argc == 3) {
        /* old form: CLIENT KILL addr:port, which may kill the caller */
        k.addr = c->argv[2].ptr;
        k.skipme = 0;
    } else if (parse_kill_filter(c, &k) < 0) {
        return;
    }
    for_each_client(kill_one, &k);

    if (c->argc == 3) {
        if (k.killed == 0) reply_error(c, "ERR No such client");
        else reply_ok(c);
    } else {
        reply_int(c, k.killed);
    }
    /* after the reply is queued, so that it is still sent */
    if (k.kill_self) atomic_fetch_or(&c->flags, CLIENT_CLOSE_AFTER_REPLY);
}

/* ---- names ---- */

/* Redis's rule for names and library attributes: printable ASCII without
 * spaces, so that CLIENT LIST splits on spaces. */
static int valid_attr(const char *s, size_t len) {
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)s[i] < '!' || (unsigned char)s[i] > '~') return 0;
    return 1;
}

/* Replaces one of c's identity strings under its worker's clients_lock,
 * which other threads hold while they read them. Empty removes it. */
static void set_identity(struct client *c, char **field, const char *s, size_t len) {
    char *copy = NULL;
    if (len) {
        copy = malloc(len + 1);
        if (!copy) abort();
        memcpy(copy, s, len);
        copy[len] = '\0';
    }
    pthread_mutex_lock(&c->worker->clients_lock);
    char *old = *field;
    *field = copy;
    pthread_mutex_unlock(&c->worker->clients_lock);
    free(old);
}

int client_set_name_or_reply(struct client *c, const char *name, size_t len) {
    if (!valid_attr(name, len)) {
        reply_error(c, "ERR Client names cannot contain spaces, newlines or special characters.");
        return -1;
    }
    set_identity(c, &c->name, name, len);
    return 0;
}

void cmd_client_setname(struct client *c) {
    if (client_set_name_or_reply(c, c->argv[2].ptr, c->argv[2].len) == 0) reply_ok(c);
}

void cmd_client_getname(struct client *c) {
    reply_bulk_cstr(c, c->name);
}

void cmd_client_setinfo(struct client *c) {
    const struct arg *attr = &c->argv[2], *val = &c->argv[3];
    char **field;
    if (arg_is(attr, "lib-name")) field = &c->lib_name;
    else if (arg_is(attr, "lib-ver")) field = &c->lib_ver;
    else {
        reply_errorf(c, "ERR Unrecognized option '%s'", attr->ptr);
        return;
    }
    if (!valid_attr(val->ptr, val->len)) {
        reply_errorf(c, "ERR %s cannot contain spaces, newlines or special characters.",
                     attr->ptr);
        return;
    }
    set_identity(c, field, val->ptr, val->len);
    reply_ok(c);
}

/* ---- ID, REPLY, NO-EVICT, HELP ---- */

void cmd_client_id(struct client *c) {
    reply_int(c, (long long)c->id);
}

/* ON replies +OK; OFF and SKIP reply nothing (the dispatcher turns
 * SKIP_NEXT into skipping the next command). */
void cmd_client_reply(struct client *c) {
    const struct arg *mode = &c->argv[2];
    if (arg_is(mode, "on")) {
        atomic_fetch_and(&c->flags, ~(unsigned)(CLIENT_REPLY_SKIP | CLIENT_REPLY_OFF));
        reply_ok(c);
    } else if (arg_is(mode, "off")) {
        atomic_fetch_or(&c->flags, CLIENT_REPLY_OFF);
    } else if (arg_is(mode, "skip")) {
        if (!(client_flags(c) & CLIENT_REPLY_OFF))
            atomic_fetch_or(&c->flags, CLIENT_REPLY_SKIP_NEXT);
    } else {
        reply_syntax_error(c);
    }
}

void cmd_client_no_evict(struct client *c) {
    const struct arg *mode = &c->argv[2];
    if (arg_is(mode, "on")) {
        atomic_fetch_or(&c->flags, CLIENT_NO_EVICT);
        reply_ok(c);
    } else if (arg_is(mode, "off")) {
        atomic_fetch_and(&c->flags, ~(unsigned)CLIENT_NO_EVICT);
        reply_ok(c);
    } else {
        reply_syntax_error(c);
    }
}

/* Redis 7.0's text for the subcommands shoal has (SETINFO's from 7.2). */
static const char *const client_help[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
};

void cmd_client_help(struct client *c) {
    size_t n = sizeof(client_help) / sizeof(client_help[0]);
    reply_array(c, (long)n);
    for (size_t i = 0; i < n; i++) reply_status(c, client_help[i]);
}
