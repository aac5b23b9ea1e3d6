/* connection.h -- client connections on their worker thread. */
#ifndef SHOAL_CONNECTION_H
#define SHOAL_CONNECTION_H

#include "server.h"

/* Adopts an accepted socket; returns NULL if it was refused and closed. */
struct client *client_create(struct worker *w, int fd, int is_unix, const char *addr,
                             const char *laddr);
/* Closes clients marked CLIENT_CLOSE_ASAP by other threads. */
void connection_reap(struct worker *w);
/* Writes the replies of clients that client_flush_later() listed; from the
 * worker loop's prepare watcher, once the loop's events are handled. */
void connection_flush_pending(struct worker *w);
/* Closes clients idle for longer than cfg.timeout. */
void connection_timeouts(struct worker *w, int64_t now);

#endif
