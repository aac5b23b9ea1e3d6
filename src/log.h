/* log.h -- log lines in Redis's format:
 *   pid:role dd Mon yyyy hh:mm:ss.mmm <level-char> message
 * to standard output or cfg.logfile, filtered by cfg.loglevel. Safe to call
 * from any thread (one write(2) per line). */
#ifndef SHOAL_LOG_H
#define SHOAL_LOG_H

#include "config.h"

void serverlog(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Opens cfg.logfile (after the config is loaded); returns -1 on error. */
int log_open(void);

#endif
