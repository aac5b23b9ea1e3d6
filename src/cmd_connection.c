/* cmd_connection.c -- the connection commands: PING, ECHO, QUIT, RESET,
 * HELLO, AUTH, TIME, SHUTDOWN, and protected mode, with Redis 7.0's
 * replies and errors.
 *
 * Authentication: shoal has one user, "default", whose password is
 * cfg.requirepass (none when NULL, and then every client is authenticated
 * from the start). The dispatcher refuses commands without CMD_NO_AUTH
 * until CLIENT_AUTHENTICATED is set here. */
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "client_info.h"
#include "commands.h"
#include "log.h"
#include "multi.h"
#include "server.h"
#include "util.h"
#include "worker.h"

static const char protected_mode_msg[] =
    "-DENIED Redis is running in protected mode because protected mode is enabled and no "
    "password is set for the default user. In this mode connections are only accepted "
    "from the loopback interface. If you want to connect from external computers to Redis "
    "you may adopt one of the following solutions: 1) Just disable protected mode sending "
    "the command 'CONFIG SET protected-mode no' from the loopback interface by connecting "
    "to Redis from the same host the server is running, however MAKE SURE Redis is not "
    "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
    "permanent. 2) Alternatively you can just disable the protected mode by editing the "
    "Redis configuration file, and setting the protected mode option to 'no', and then "
    "restarting the server. 3) If you started the server manually just for testing, "
    "restart it with the '--protected-mode no' option. 4) Setup a an authentication "
    "password for the default user. NOTE: You only need to do one of the above things in "
    "order for the server to start accepting connections from the outside.\r\n";

/* Redis 7.0 accepts exactly these peers, not all of 127.0.0.0/8. An IPv4
 * peer seen through a dual-stack IPv6 socket is the same address. */
static int is_loopback_peer(const char *addr) {
    const char *ip = addr, *end;
    if (*ip == '[') {
        ip++;
        end = strchr(ip, ']');
    } else {
        end = strrchr(ip, ':');
    }
    if (!end) return 0;
    size_t len = (size_t)(end - ip);
    static const char *const loopback[] = {"127.0.0.1", "::1", "::ffff:127.0.0.1"};
    for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++)
        if (strlen(loopback[i]) == len && memcmp(ip, loopback[i], len) == 0) return 1;
    return 0;
}

int protected_mode_refuses(const struct client *c, const char **msg) {
    if (!cfg.protected_mode || cfg.requirepass) return 0;
    if (atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_UNIX_SOCKET) return 0;
    if (is_loopback_peer(c->addr)) return 0;
    *msg = protected_mode_msg;
    return 1;
}

static int arg_is(const struct arg *a, const char *s) {
    return strcasecmp(a->ptr, s) == 0;
}

static void set_flags(struct client *c, unsigned f) {
    atomic_fetch_or(&c->flags, f);
}

static void clear_flags(struct client *c, unsigned f) {
    atomic_fetch_and(&c->flags, ~f);
}

/* ---- PING, ECHO, TIME, QUIT ---- */

void cmd_ping(struct client *c) {
    if (c->argc > 2) {
        reply_arity_error(c);
        return;
    }
    if (c->argc == 1) reply_status(c, "PONG");
    else reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

void cmd_echo(struct client *c) {
    reply_bulk(c, c->argv[1].ptr, c->argv[1].len);
}

void cmd_time(struct client *c) {
    struct timeval tv;
    gettimeofday(&tv, NULL);
    reply_array(c, 2);
    reply_bulk_ll(c, (long long)tv.tv_sec);
    reply_bulk_ll(c, (long long)tv.tv_usec);
}

void cmd_quit(struct client *c) {
    reply_ok(c);
    set_flags(c, CLIENT_CLOSE_AFTER_REPLY);
}

/* ---- authentication ---- */

/* Compares without an early exit (Redis compares digests), so the time
 * taken tells nothing about how much of the password was right. */
static int password_ok(const struct arg *pass) {
    const char *pw = cfg.requirepass;
    size_t plen = strlen(pw);
    size_t diff = plen ^ pass->len;
    for (size_t i = 0; i < pass->len; i++)
        diff |= (unsigned char)pass->ptr[i] ^ (unsigned char)(i < plen ? pw[i] : 0);
    return diff == 0;
}

/* Redis's ACLAuthenticateUser for the only user there is. Authenticates c
 * and returns 1, or returns 0 leaving c as it was. Without requirepass the
 * default user is "nopass": any password is accepted. */
static int authenticate(struct client *c, const struct arg *user, const struct arg *pass) {
    if (strcmp(user->ptr, "default") != 0) return 0;
    if (cfg.requirepass && !password_ok(pass)) return 0;
    set_flags(c, CLIENT_AUTHENTICATED);
    return 1;
}

static void reply_wrongpass(struct client *c) {
    reply_error(c, "WRONGPASS invalid username-password pair or user is disabled.");
}

void cmd_auth(struct client *c) {
    if (c->argc > 3) {
        reply_syntax_error(c);
        return;
    }
    static const struct arg default_user = {"default", 7};
    const struct arg *user = &default_user, *pass = &c->argv[1];
    if (c->argc == 2) {
        if (!cfg.requirepass) {
            reply_error(c, "ERR AUTH <password> called without any password configured for "
                           "the default user. Are you sure your configuration is correct?");
            return;
        }
    } else {
        user = &c->argv[1];
        pass = &c->argv[2];
    }
    if (authenticate(c, user, pass)) reply_ok(c);
    else reply_wrongpass(c);
}

/* ---- HELLO ---- */

static void reply_hello(struct client *c) {
    reply_map(c, 7);
    reply_bulk_cstr(c, "server");
    reply_bulk_cstr(c, "redis");
    reply_bulk_cstr(c, "version");
    reply_bulk_cstr(c, REDIS_COMPAT_VERSION);
    reply_bulk_cstr(c, "proto");
    reply_int(c, c->resp);
    reply_bulk_cstr(c, "id");
    reply_int(c, (long long)c->id);
    reply_bulk_cstr(c, "mode");
    reply_bulk_cstr(c, "standalone");
    reply_bulk_cstr(c, "role");
    reply_bulk_cstr(c, "master");
    reply_bulk_cstr(c, "modules");
    reply_array(c, 0);
}

void cmd_hello(struct client *c) {
    long long ver = 0;
    int next = 1;

    if (c->argc >= 2) {
        if (!string2ll(c->argv[1].ptr, c->argv[1].len, &ver)) {
            reply_error(c, "ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver < 2 || ver > 3) {
            reply_error(c, "NOPROTO unsupported protocol version");
            return;
        }
        next = 2;
    }

    const struct arg *name = NULL;
    for (int j = next; j < c->argc; j++) {
        int more = c->argc - 1 - j;
        if (arg_is(&c->argv[j], "auth") && more >= 2) {
            /* as Redis 7.0: authenticate as soon as AUTH is read, so a bad
             * password wins over a later syntax error */
            if (!authenticate(c, &c->argv[j + 1], &c->argv[j + 2])) {
                reply_wrongpass(c);
                return;
            }
            j += 2;
        } else if (arg_is(&c->argv[j], "setname") && more >= 1) {
            name = &c->argv[j + 1];
            j++;
        } else {
            reply_errorf(c, "ERR Syntax error in HELLO option '%s'", c->argv[j].ptr);
            return;
        }
    }

    if (!(atomic_load_explicit(&c->flags, memory_order_relaxed) & CLIENT_AUTHENTICATED)) {
        reply_error(c, "NOAUTH HELLO must be called with the client already authenticated, "
                       "otherwise the HELLO AUTH <user> <pass> option can be used to "
                       "authenticate the client and select the RESP protocol version at the "
                       "same time");
        return;
    }
    if (name && client_set_name_or_reply(c, name->ptr, name->len) < 0) return;
    if (ver) c->resp = (int)ver;
    reply_hello(c);
}

/* ---- RESET ---- */

/* Back to the state of a new connection (Redis's
 * clearClientConnectionState). CLIENT NO-EVICT and the library name and
 * version survive, as in Redis 7.0. */
void cmd_reset(struct client *c) {
    multi_reset(c);
    c->db = 0;
    c->resp = 2;
    client_set_name_or_reply(c, "", 0);
    clear_flags(c, CLIENT_REPLY_OFF | CLIENT_REPLY_SKIP_NEXT);
    if (cfg.requirepass) clear_flags(c, CLIENT_AUTHENTICATED);
    else set_flags(c, CLIENT_AUTHENTICATED);
    reply_status(c, "RESET");
}

/* ---- SHUTDOWN ---- */

/* shoal keeps no data on disk, so SAVE and NOSAVE only need to be valid;
 * NOW and FORCE have nothing to skip. On success nothing is replied: the
 * connection closes as the server stops, as with Redis. */
void cmd_shutdown(struct client *c) {
    int save = 0, nosave = 0, other = 0, abort_it = 0;
    for (int i = 1; i < c->argc; i++) {
        if (arg_is(&c->argv[i], "nosave")) nosave = 1;
        else if (arg_is(&c->argv[i], "save")) save = 1;
        else if (arg_is(&c->argv[i], "now") || arg_is(&c->argv[i], "force")) other = 1;
        else if (arg_is(&c->argv[i], "abort")) abort_it = 1;
        else {
            reply_syntax_error(c);
            return;
        }
    }
    if ((abort_it && (save || nosave || other)) || (save && nosave)) {
        reply_syntax_error(c);
        return;
    }
    if (abort_it) {
        /* shutting down never waits (no replicas, no save), so there is
         * never one in progress to abort */
        reply_error(c, "ERR No shutdown in progress.");
        return;
    }
    if (save) serverlog(LL_NOTICE, "SHUTDOWN SAVE: shoal keeps no data on disk, nothing to save.");
    set_flags(c, CLIENT_CLOSE_AFTER_REPLY);
    worker_request_shutdown();
}
