/* cmd_command.c -- COMMAND and its subcommands: the command table
 * (command_table.c) described to clients.
 *
 * Replies follow Redis 7.0.15's byte for byte, in RESP2 and RESP3; only
 * the set of commands differs, and the order of the whole-table replies
 * (Redis walks a hash table, we walk our table). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "glob.h"
#include "server.h"

struct flag_name {
    uint64_t flag;
    const char *name;
};

#define NELEMS(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* The flags COMMAND INFO shows; the others are hidden, as in Redis. */
static const struct flag_name command_flags[] = {
    {CMD_WRITE, "write"},
    {CMD_READONLY, "readonly"},
    {CMD_DENYOOM, "denyoom"},
    {CMD_MODULE, "module"},
    {CMD_ADMIN, "admin"},
    {CMD_PUBSUB, "pubsub"},
    {CMD_NOSCRIPT, "noscript"},
    {CMD_BLOCKING, "blocking"},
    {CMD_LOADING, "loading"},
    {CMD_STALE, "stale"},
    {CMD_SKIP_MONITOR, "skip_monitor"},
    {CMD_SKIP_SLOWLOG, "skip_slowlog"},
    {CMD_ASKING, "asking"},
    {CMD_FAST, "fast"},
    {CMD_NO_AUTH, "no_auth"},
    {CMD_NO_MANDATORY_KEYS, "no_mandatory_keys"},
    {CMD_NO_ASYNC_LOADING, "no_async_loading"},
    {CMD_NO_MULTI, "no_multi"},
    {CMD_MOVABLE_KEYS, "movablekeys"},
    {CMD_ALLOW_BUSY, "allow_busy"},
};

static const struct flag_name acl_categories[] = {
    {ACL_CATEGORY_KEYSPACE, "@keyspace"},
    {ACL_CATEGORY_READ, "@read"},
    {ACL_CATEGORY_WRITE, "@write"},
    {ACL_CATEGORY_SET, "@set"},
    {ACL_CATEGORY_SORTEDSET, "@sortedset"},
    {ACL_CATEGORY_LIST, "@list"},
    {ACL_CATEGORY_HASH, "@hash"},
    {ACL_CATEGORY_STRING, "@string"},
    {ACL_CATEGORY_BITMAP, "@bitmap"},
    {ACL_CATEGORY_HYPERLOGLOG, "@hyperloglog"},
    {ACL_CATEGORY_GEO, "@geo"},
    {ACL_CATEGORY_STREAM, "@stream"},
    {ACL_CATEGORY_PUBSUB, "@pubsub"},
    {ACL_CATEGORY_ADMIN, "@admin"},
    {ACL_CATEGORY_FAST, "@fast"},
    {ACL_CATEGORY_SLOW, "@slow"},
    {ACL_CATEGORY_BLOCKING, "@blocking"},
    {ACL_CATEGORY_DANGEROUS, "@dangerous"},
    {ACL_CATEGORY_CONNECTION, "@connection"},
    {ACL_CATEGORY_TRANSACTION, "@transaction"},
    {ACL_CATEGORY_SCRIPTING, "@scripting"},
};

static const struct flag_name key_flags[] = {
    {CMD_KEY_RO, "RO"},
    {CMD_KEY_RW, "RW"},
    {CMD_KEY_OW, "OW"},
    {CMD_KEY_RM, "RM"},
    {CMD_KEY_ACCESS, "access"},
    {CMD_KEY_UPDATE, "update"},
    {CMD_KEY_INSERT, "insert"},
    {CMD_KEY_DELETE, "delete"},
    {CMD_KEY_NOT_KEY, "not_key"},
    {CMD_KEY_INCOMPLETE, "incomplete"},
    {CMD_KEY_VARIABLE_FLAGS, "variable_flags"},
};

static const struct flag_name doc_flags[] = {
    {CMD_DOC_DEPRECATED, "deprecated"},
    {CMD_DOC_SYSCMD, "syscmd"},
};

static const struct flag_name arg_flags[] = {
    {CMD_ARG_OPTIONAL, "optional"},
    {CMD_ARG_MULTIPLE, "multiple"},
    {CMD_ARG_MULTIPLE_TOKEN, "multiple_token"},
};

static const char *const arg_types[] = {
    [ARG_TYPE_STRING] = "string",
    [ARG_TYPE_INTEGER] = "integer",
    [ARG_TYPE_DOUBLE] = "double",
    [ARG_TYPE_KEY] = "key",
    [ARG_TYPE_PATTERN] = "pattern",
    [ARG_TYPE_UNIX_TIME] = "unix-time",
    [ARG_TYPE_PURE_TOKEN] = "pure-token",
    [ARG_TYPE_ONEOF] = "oneof",
    [ARG_TYPE_BLOCK] = "block",
};

/* A set of status replies: the names of the flags set in flags. */
static void reply_flags(struct client *c, uint64_t flags, const struct flag_name *names, int n) {
    int count = 0;
    for (int i = 0; i < n; i++)
        if (flags & names[i].flag) count++;
    reply_set(c, count);
    for (int i = 0; i < n; i++)
        if (flags & names[i].flag) reply_status(c, names[i].name);
}

static void reply_field(struct client *c, const char *name, const char *value) {
    reply_bulk_cstr(c, name);
    reply_bulk_cstr(c, value);
}

static void reply_int_field(struct client *c, const char *name, long long value) {
    reply_bulk_cstr(c, name);
    reply_int(c, value);
}

static int subcommand_count(const struct command *cmd) {
    int n = 0;
    for (const struct command *sub = cmd->subcommands; sub && sub->name; sub++) n++;
    return n;
}

/* ---- lookup by the names clients use ---- */

/* "get" or "config|get", as Redis's lookupCommandBySds: exactly one '|' at
 * most, and a subcommand only under a container. */
static const struct command *lookup_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return command_lookup(name, len);
    const char *sub = bar + 1;
    size_t sublen = len - (size_t)(sub - name);
    if (memchr(sub, '|', sublen)) return NULL;
    const struct command *parent = command_lookup(name, (size_t)(bar - name));
    if (!parent || !parent->subcommands) return NULL;
    return command_lookup_sub(parent, sub, sublen);
}

/* A command line's command, as Redis's lookupCommand: the container's
 * subcommand when there is one more argument, else the command itself. */
static const struct command *lookup_argv(const struct arg *argv, int argc) {
    const struct command *cmd = command_lookup(argv[0].ptr, argv[0].len);
    if (!cmd || argc == 1 || !cmd->subcommands) return cmd;
    return command_lookup_sub(cmd, argv[1].ptr, argv[1].len);
}

/* ---- COMMAND INFO ---- */

static void reply_key_spec(struct client *c, const struct key_spec *ks) {
    reply_map(c, ks->notes ? 4 : 3);
    if (ks->notes) reply_field(c, "notes", ks->notes);
    reply_bulk_cstr(c, "flags");
    reply_flags(c, ks->flags, key_flags, NELEMS(key_flags));

    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    reply_field(c, "type", "index");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 1);
    reply_int_field(c, "index", ks->index);

    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    reply_field(c, "type", "range");
    reply_bulk_cstr(c, "spec");
    reply_map(c, 3);
    reply_int_field(c, "lastkey", ks->lastkey);
    reply_int_field(c, "keystep", ks->keystep);
    reply_int_field(c, "limit", ks->limit);
}

static void reply_command_info(struct client *c, const struct command *cmd) {
    if (!cmd) {
        reply_null(c);
        return;
    }
    const struct command_info *info = cmd->info;
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_int(c, cmd->arity);
    reply_flags(c, cmd->flags, command_flags, NELEMS(command_flags));
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    reply_flags(c, cmd->acl_categories, acl_categories, NELEMS(acl_categories));

    reply_set(c, info->ntips);
    for (int i = 0; i < info->ntips; i++) reply_bulk_cstr(c, info->tips[i]);

    reply_set(c, info->nkey_specs);
    for (int i = 0; i < info->nkey_specs; i++) reply_key_spec(c, &info->key_specs[i]);

    if (!cmd->subcommands) {
        reply_set(c, 0);
        return;
    }
    reply_array(c, subcommand_count(cmd));
    for (const struct command *sub = cmd->subcommands; sub->name; sub++)
        reply_command_info(c, sub);
}

static int toplevel_count(void) {
    int n = 0;
    for (int id = 0; id < command_count(); id++)
        if (!command_by_id(id)->parent) n++;
    return n;
}

static void reply_all_info(struct client *c) {
    reply_array(c, toplevel_count());
    for (int id = 0; id < command_count(); id++) {
        const struct command *cmd = command_by_id(id);
        if (!cmd->parent) reply_command_info(c, cmd);
    }
}

void cmd_command(struct client *c) {
    reply_all_info(c);
}

void cmd_command_info(struct client *c) {
    if (c->argc == 2) {
        reply_all_info(c);
        return;
    }
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        reply_command_info(c, lookup_fullname(c->argv[i].ptr, c->argv[i].len));
}

void cmd_command_count(struct client *c) {
    reply_int(c, toplevel_count());
}

/* ---- COMMAND DOCS ---- */

static void reply_args(struct client *c, const struct command_arg *args, int nargs) {
    reply_array(c, nargs);
    for (int i = 0; i < nargs; i++) {
        const struct command_arg *a = &args[i];
        int nested = a->type == ARG_TYPE_ONEOF || a->type == ARG_TYPE_BLOCK;
        reply_map(c, 2 + (a->type == ARG_TYPE_KEY) + !!a->token + !!a->since +
                         !!a->deprecated_since + !!a->flags + nested);
        reply_field(c, "name", a->name);
        reply_field(c, "type", arg_types[a->type]);
        if (a->type == ARG_TYPE_KEY) reply_int_field(c, "key_spec_index", a->key_spec_index);
        if (a->token) reply_field(c, "token", a->token);
        if (a->since) reply_field(c, "since", a->since);
        if (a->deprecated_since) reply_field(c, "deprecated_since", a->deprecated_since);
        if (a->flags) {
            reply_bulk_cstr(c, "flags");
            reply_flags(c, a->flags, arg_flags, NELEMS(arg_flags));
        }
        if (nested) {
            reply_bulk_cstr(c, "arguments");
            reply_args(c, a->subargs, a->nsubargs);
        }
    }
}

static void reply_command_docs(struct client *c, const struct command *cmd) {
    const struct command_info *info = cmd->info;
    reply_map(c, 1 + !!info->summary + !!info->since + !!info->complexity +
                     !!info->doc_flags + !!info->deprecated_since + !!info->replaced_by +
                     !!info->history + !!info->args + !!cmd->subcommands);
    if (info->summary) reply_field(c, "summary", info->summary);
    if (info->since) reply_field(c, "since", info->since);
    reply_field(c, "group", info->group);
    if (info->complexity) reply_field(c, "complexity", info->complexity);
    if (info->doc_flags) {
        reply_bulk_cstr(c, "doc_flags");
        reply_flags(c, info->doc_flags, doc_flags, NELEMS(doc_flags));
    }
    if (info->deprecated_since) reply_field(c, "deprecated_since", info->deprecated_since);
    if (info->replaced_by) reply_field(c, "replaced_by", info->replaced_by);
    if (info->history) {
        reply_bulk_cstr(c, "history");
        reply_set(c, info->nhistory);
        for (int i = 0; i < info->nhistory; i++) {
            reply_array(c, 2);
            reply_bulk_cstr(c, info->history[i].since);
            reply_bulk_cstr(c, info->history[i].changes);
        }
    }
    if (info->args) {
        reply_bulk_cstr(c, "arguments");
        reply_args(c, info->args, info->nargs);
    }
    if (cmd->subcommands) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, subcommand_count(cmd));
        for (const struct command *sub = cmd->subcommands; sub->name; sub++) {
            reply_bulk_cstr(c, sub->fullname);
            reply_command_docs(c, sub);
        }
    }
}

void cmd_command_docs(struct client *c) {
    void *len = reply_defer_len(c);
    int n = 0;
    if (c->argc == 2) {
        for (int id = 0; id < command_count(); id++) {
            const struct command *cmd = command_by_id(id);
            if (cmd->parent) continue;
            reply_bulk_cstr(c, cmd->fullname);
            reply_command_docs(c, cmd);
            n++;
        }
    } else {
        /* Unknown names are left out. */
        for (int i = 2; i < c->argc; i++) {
            const struct command *cmd = lookup_fullname(c->argv[i].ptr, c->argv[i].len);
            if (!cmd) continue;
            reply_bulk_cstr(c, cmd->fullname);
            reply_command_docs(c, cmd);
            n++;
        }
    }
    reply_set_deferred_map(c, len, n);
}

/* ---- COMMAND LIST ---- */

enum list_filter { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

static int list_filter_matches(enum list_filter type, const struct arg *arg,
                               uint64_t category, const struct command *cmd) {
    switch (type) {
    case FILTER_NONE:
        return 1;
    case FILTER_MODULE:
        return 0; /* no modules */
    case FILTER_ACLCAT:
        return (cmd->acl_categories & category) != 0;
    case FILTER_PATTERN:
        return glob_match(arg->ptr, arg->len, cmd->fullname, strlen(cmd->fullname), 1);
    }
    return 0;
}

/* The ACL category named name (no '@', any case), or 0. */
static uint64_t acl_category_by_name(const char *name) {
    for (int i = 0; i < NELEMS(acl_categories); i++)
        if (!strcasecmp(acl_categories[i].name + 1, name)) return acl_categories[i].flag;
    return 0;
}

void cmd_command_list(struct client *c) {
    enum list_filter type = FILTER_NONE;
    const struct arg *arg = NULL;
    if (c->argc > 2) {
        /* As Redis: only FILTERBY <type> <arg>, once, and nothing else. */
        if (c->argc == 5 && !strcasecmp(c->argv[2].ptr, "filterby")) {
            const char *filtertype = c->argv[3].ptr;
            if (!strcasecmp(filtertype, "module")) type = FILTER_MODULE;
            else if (!strcasecmp(filtertype, "aclcat")) type = FILTER_ACLCAT;
            else if (!strcasecmp(filtertype, "pattern")) type = FILTER_PATTERN;
        }
        if (type == FILTER_NONE) {
            reply_syntax_error(c);
            return;
        }
        arg = &c->argv[4];
    }
    uint64_t category = type == FILTER_ACLCAT ? acl_category_by_name(arg->ptr) : 0;

    void *len = reply_defer_len(c);
    int n = 0;
    for (int id = 0; id < command_count(); id++) {
        const struct command *cmd = command_by_id(id);
        if (!list_filter_matches(type, arg, category, cmd)) continue;
        reply_bulk_cstr(c, cmd->fullname);
        n++;
    }
    reply_set_deferred_array(c, len, n);
}

/* ---- COMMAND GETKEYS ---- */

static int has_key_args(const struct command *cmd) {
    const struct command_info *info = cmd->info;
    for (int i = 0; i < info->nkey_specs; i++)
        if (!(info->key_specs[i].flags & CMD_KEY_NOT_KEY)) return 1;
    return 0;
}

/* Argument positions of the keys in a command line of argc arguments, as
 * Redis's getKeysUsingKeySpecs; keys needs room for nkey_specs * argc.
 * Returns the number of keys, or -1 if the line does not fit a spec. */
static int find_keys(const struct command *cmd, int argc, int *keys) {
    const struct command_info *info = cmd->info;
    int n = 0;
    for (int i = 0; i < info->nkey_specs; i++) {
        const struct key_spec *ks = &info->key_specs[i];
        if (ks->flags & CMD_KEY_NOT_KEY) continue;
        int first = ks->index, last;
        if (ks->lastkey >= 0) last = first + ks->lastkey;
        else if (!ks->limit) last = argc + ks->lastkey;
        else last = first + ((argc - first) / ks->limit + ks->lastkey);
        if (last >= argc || last < first || first >= argc) return -1;
        for (int pos = first; pos <= last; pos += ks->keystep) keys[n++] = pos;
        if (ks->flags & CMD_KEY_INCOMPLETE) return -1;
    }
    return n;
}

void cmd_command_getkeys(struct client *c) {
    const struct arg *argv = c->argv + 2;
    int argc = c->argc - 2;
    const struct command *cmd = lookup_argv(argv, argc);

    if (!cmd) {
        reply_error(c, "ERR Invalid command specified");
        return;
    }
    if (!has_key_args(cmd)) {
        reply_error(c, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c, "ERR Invalid number of arguments specified for command");
        return;
    }
    int *keys = malloc(sizeof(int) * (size_t)cmd->info->nkey_specs * (size_t)argc);
    if (!keys) abort();
    int n = find_keys(cmd, argc, keys);
    if (n > 0) {
        reply_array(c, n);
        for (int i = 0; i < n; i++) reply_bulk(c, argv[keys[i]].ptr, argv[keys[i]].len);
    } else if (cmd->flags & CMD_NO_MANDATORY_KEYS) {
        reply_array(c, 0);
    } else {
        reply_error(c, "ERR Invalid arguments specified for command");
    }
    free(keys);
}

/* ---- COMMAND HELP ---- */

void cmd_command_help(struct client *c) {
    /* Redis 7.0.15's text, GETKEYSANDFLAGS included. */
    static const char *const help[] = {
        "COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "(no subcommand)",
        "    Return details about all Redis commands.",
        "COUNT",
        "    Return the total number of commands in this Redis server.",
        "LIST",
        "    Return a list of all commands in this Redis server.",
        "INFO [<command-name> ...]",
        "    Return details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "DOCS [<command-name> ...]",
        "    Return documentation details about multiple Redis commands.",
        "    If no command names are given, documentation details for all",
        "    commands are returned.",
        "GETKEYS <full-command>",
        "    Return the keys from a full Redis command.",
        "GETKEYSANDFLAGS <full-command>",
        "    Return the keys and the access flags from a full Redis command.",
        "HELP",
        "    Prints this help.",
    };
    reply_array(c, NELEMS(help));
    for (int i = 0; i < NELEMS(help); i++) reply_status(c, help[i]);
}
