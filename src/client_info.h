/* client_info.h -- what the connection commands (cmd_connection.c,
 * cmd_client.c, cmd_info.c) share with each other and offer the rest of
 * the server: protected mode, client names, and the INFO samplers. */
#ifndef SHOAL_CLIENT_INFO_H
#define SHOAL_CLIENT_INFO_H

#include <stddef.h>
#include <stdint.h>

struct client;

/* Protected mode, as Redis 7.0 decides it when a connection is accepted:
 * protected-mode yes, no requirepass, a TCP peer other than 127.0.0.1 or
 * ::1. Returns 1 when c must be refused, with *msg the complete protocol
 * line to write before closing it ("-DENIED ...\r\n"), else 0. */
int protected_mode_refuses(const struct client *c, const char **msg);

/* CLIENT SETNAME / HELLO SETNAME: sets c's name (an empty name removes
 * it). Returns 0, or -1 after replying Redis's error when name holds a
 * character outside '!'..'~'. */
int client_set_name_or_reply(struct client *c, const char *name, size_t len);

/* A growable string for the text replies (CLIENT LIST, INFO); aborts if
 * memory runs out, as reply building does. Start from {0}, free(buf). */
struct strbuf {
    char *buf;
    size_t len, cap;
};
void sb_append(struct strbuf *sb, const char *s, size_t len);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Totals over the clients of every worker thread, for INFO. */
struct clients_summary {
    uint64_t max_input_buffer;   /* largest query buffer peak */
    uint64_t max_output_buffer;  /* largest queue of unsent replies */
    uint64_t memory;             /* sum of CLIENT LIST's tot-mem */
};
void clients_summarize(struct clients_summary *s);

/* The instantaneous_* INFO metrics and the memory peak are sampled by the
 * server cron: call from one thread (worker 0's cron), at any rate. */
void info_cron(int64_t now_ms);

#endif
