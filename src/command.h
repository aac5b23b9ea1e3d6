/* command.h -- the command table: what each command is, not what it does.
 *
 * A command is described once, in command_table.c: name, arity, flags, key
 * positions and the metadata COMMAND INFO / COMMAND DOCS report. The code
 * that runs it lives with its data type (t_string.c, t_keys.c, ...). The
 * dispatcher (dispatch.c) looks commands up by name, checks arity and flags,
 * and calls the proc. */
#ifndef SHOAL_COMMAND_H
#define SHOAL_COMMAND_H

#include <stdint.h>
#include <stddef.h>

struct client;
typedef void command_proc(struct client *c);

/* Command flags, in the order Redis 7 prints them in COMMAND INFO. */
enum {
    CMD_WRITE = 1u << 0,
    CMD_READONLY = 1u << 1,
    CMD_DENYOOM = 1u << 2,
    CMD_MODULE = 1u << 3,
    CMD_ADMIN = 1u << 4,
    CMD_PUBSUB = 1u << 5,
    CMD_NOSCRIPT = 1u << 6,
    CMD_BLOCKING = 1u << 7,
    CMD_LOADING = 1u << 8,
    CMD_STALE = 1u << 9,
    CMD_SKIP_MONITOR = 1u << 10,
    CMD_SKIP_SLOWLOG = 1u << 11,
    CMD_ASKING = 1u << 12,
    CMD_FAST = 1u << 13,
    CMD_NO_AUTH = 1u << 14,
    CMD_MAY_REPLICATE = 1u << 15,
    CMD_SENTINEL = 1u << 16,
    CMD_ONLY_SENTINEL = 1u << 17,
    CMD_NO_MANDATORY_KEYS = 1u << 18,
    CMD_PROTECTED = 1u << 19,
    CMD_MODULE_GETKEYS = 1u << 20,
    CMD_MODULE_NO_CLUSTER = 1u << 21,
    CMD_NO_ASYNC_LOADING = 1u << 22,
    CMD_NO_MULTI = 1u << 23,
    CMD_MOVABLE_KEYS = 1u << 24,
    CMD_ALLOW_BUSY = 1u << 25,
    CMD_MODULE_GETCHANNELS = 1u << 26,
    CMD_TOUCHES_ARBITRARY_KEYS = 1u << 27,
};

/* ACL categories, in the order COMMAND INFO prints them. The table holds
 * Redis's final set for each command (implicit ones like @slow included). */
enum {
    ACL_CATEGORY_KEYSPACE = 1ull << 0,
    ACL_CATEGORY_READ = 1ull << 1,
    ACL_CATEGORY_WRITE = 1ull << 2,
    ACL_CATEGORY_SET = 1ull << 3,
    ACL_CATEGORY_SORTEDSET = 1ull << 4,
    ACL_CATEGORY_LIST = 1ull << 5,
    ACL_CATEGORY_HASH = 1ull << 6,
    ACL_CATEGORY_STRING = 1ull << 7,
    ACL_CATEGORY_BITMAP = 1ull << 8,
    ACL_CATEGORY_HYPERLOGLOG = 1ull << 9,
    ACL_CATEGORY_GEO = 1ull << 10,
    ACL_CATEGORY_STREAM = 1ull << 11,
    ACL_CATEGORY_PUBSUB = 1ull << 12,
    ACL_CATEGORY_ADMIN = 1ull << 13,
    ACL_CATEGORY_FAST = 1ull << 14,
    ACL_CATEGORY_SLOW = 1ull << 15,
    ACL_CATEGORY_BLOCKING = 1ull << 16,
    ACL_CATEGORY_DANGEROUS = 1ull << 17,
    ACL_CATEGORY_CONNECTION = 1ull << 18,
    ACL_CATEGORY_TRANSACTION = 1ull << 19,
    ACL_CATEGORY_SCRIPTING = 1ull << 20,
};

/* Metadata only COMMAND INFO/DOCS/GETKEYS need (tips, key specs, docs).
 * Defined below for command_table.c and cmd_command.c; everyone else
 * treats it as opaque. */
struct command_info;

struct command {
    const char *name;          /* lower case: "get", or "get" under "config" */
    command_proc *proc;        /* NULL for a container (CONFIG, CLIENT...),
                                * except COMMAND, which runs bare too */
    int arity;                 /* Redis convention: -N means at least N */
    uint32_t flags;            /* CMD_* */
    uint64_t acl_categories;   /* ACL_CATEGORY_* */
    int first_key, last_key, key_step; /* legacy key range; 0 = no keys */
    struct command *subcommands;       /* name==NULL terminated, or NULL */
    const struct command_info *info;

    /* Filled by command_table_init(). */
    struct command *parent;    /* container of a subcommand, or NULL */
    char *fullname;            /* "config|get" for a subcommand */
    int id;                    /* dense index for per-thread statistics */
};

/* Builds the lookup table, assigns ids. Call once before threads start. */
void command_table_init(void);
/* Top-level command by name (case-insensitive), or NULL. */
struct command *command_lookup(const char *name, size_t len);
/* A container's subcommand by name (case-insensitive), or NULL. */
struct command *command_lookup_sub(const struct command *parent, const char *name, size_t len);
/* Number of commands and subcommands: ids are 0..command_count()-1, in
 * table order, each command followed by its subcommands. */
int command_count(void);
/* Command by id (for INFO commandstats). */
struct command *command_by_id(int id);

/* ---- metadata (command_table.c, cmd_command.c only) ----
 * Mirrors Redis 7.0's key specs and command docs; the flag enums are in
 * the order Redis prints them. */

enum { /* key spec flags */
    CMD_KEY_RO = 1u << 0,
    CMD_KEY_RW = 1u << 1,
    CMD_KEY_OW = 1u << 2,
    CMD_KEY_RM = 1u << 3,
    CMD_KEY_ACCESS = 1u << 4,
    CMD_KEY_UPDATE = 1u << 5,
    CMD_KEY_INSERT = 1u << 6,
    CMD_KEY_DELETE = 1u << 7,
    CMD_KEY_NOT_KEY = 1u << 8,
    CMD_KEY_INCOMPLETE = 1u << 9,
    CMD_KEY_VARIABLE_FLAGS = 1u << 10,
};

/* Where a command's keys are: begin_search "index" (the first key is
 * argument index), find_keys "range" (lastkey relative to index, or
 * negative from the end; every keystep-th argument; limit divides the
 * remaining arguments when lastkey is -1). The only kinds our commands use. */
struct key_spec {
    const char *notes;
    uint32_t flags;            /* CMD_KEY_* */
    int index;
    int lastkey, keystep, limit;
};

enum arg_type {
    ARG_TYPE_STRING,
    ARG_TYPE_INTEGER,
    ARG_TYPE_DOUBLE,
    ARG_TYPE_KEY,
    ARG_TYPE_PATTERN,
    ARG_TYPE_UNIX_TIME,
    ARG_TYPE_PURE_TOKEN,
    ARG_TYPE_ONEOF,            /* subargs: alternatives */
    ARG_TYPE_BLOCK,            /* subargs: a sequence */
};

enum { /* argument flags */
    CMD_ARG_OPTIONAL = 1u << 0,
    CMD_ARG_MULTIPLE = 1u << 1,
    CMD_ARG_MULTIPLE_TOKEN = 1u << 2,
};

struct command_arg {
    const char *name;
    enum arg_type type;
    int key_spec_index;        /* ARG_TYPE_KEY only */
    const char *token, *since, *deprecated_since;   /* or NULL */
    uint32_t flags;            /* CMD_ARG_* */
    const struct command_arg *subargs;  /* ARG_TYPE_ONEOF / ARG_TYPE_BLOCK */
    int nsubargs;
};

struct command_history {
    const char *since, *changes;
};

enum { /* doc flags */
    CMD_DOC_DEPRECATED = 1u << 0,
    CMD_DOC_SYSCMD = 1u << 1,
};

struct command_info {
    /* COMMAND DOCS; NULL / 0 when Redis has none */
    const char *summary, *since, *group, *complexity;
    uint32_t doc_flags;        /* CMD_DOC_* */
    const char *deprecated_since, *replaced_by;
    const struct command_history *history;
    int nhistory;
    const struct command_arg *args;
    int nargs;
    /* COMMAND INFO */
    const char *const *tips;
    int ntips;
    const struct key_spec *key_specs;
    int nkey_specs;
};

#endif
