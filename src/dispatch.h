/* dispatch.h -- from a parsed command to its proc: lookup, checks, the
 * keyspace lock, statistics. */
#ifndef SHOAL_DISPATCH_H
#define SHOAL_DISPATCH_H

#include "server.h"

/* Releases the shared keyspace lock a batch of commands took. Called once
 * the commands of one read have run. */
void dispatch_batch_done(struct worker *w);

#endif
