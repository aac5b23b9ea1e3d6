/* worker.h -- worker threads: each runs its own libev loop and owns the
 * clients handed to it. Worker 0 runs on the main thread. */
#ifndef SHOAL_WORKER_H
#define SHOAL_WORKER_H

#include "server.h"

int workers_init(int n);
/* Starts threads for workers 1..n-1 (worker 0 is run by main). */
int workers_start(void);
/* Asks every worker loop to stop and joins their threads. */
void workers_stop(void);
/* Hands an accepted socket to the next worker, round robin. */
void worker_adopt(int fd, int is_unix);
/* Wakes worker 0 so it notices server.shutdown_requested. */
void worker_request_shutdown(void);

#endif
