/* lazyfree.h -- a background thread that frees what commands detached
 * (FLUSHALL/FLUSHDB ASYNC), so the worker loops never wait for it. */
#ifndef SHOAL_LAZYFREE_H
#define SHOAL_LAZYFREE_H

int lazyfree_start(void);
/* Queues free_fn(arg) to run on the lazyfree thread. */
void lazyfree_submit(void (*free_fn)(void *), void *arg);
/* Jobs queued and not yet finished (INFO lazyfree_pending_objects). */
unsigned long lazyfree_pending(void);
/* Finishes the queued jobs and stops the thread. */
void lazyfree_stop(void);

#endif
