/* listener.h -- the listening sockets (TCP per bind address, Unix socket)
 * on the main thread's loop, and accepting connections. */
#ifndef SHOAL_LISTENER_H
#define SHOAL_LISTENER_H

/* Fits maxclients to the file descriptor limit (raising the limit if it
 * can), as Redis does at start-up. */
void listeners_fit_maxclients(void);
/* Opens every configured listener; on failure logs why and returns -1. */
int listeners_open(void);
void listeners_close(void);

#endif
