/* log.c -- Redis-format log lines, see log.h. */
#include "log.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int log_fd = STDOUT_FILENO;

int log_open(void) {
    if (!cfg.logfile || cfg.logfile[0] == '\0') {
        log_fd = STDOUT_FILENO;
        return 0;
    }
    int fd = open(cfg.logfile, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) return -1;
    log_fd = fd;
    return 0;
}

void serverlog(int level, const char *fmt, ...) {
    static const char marks[] = ".-*#";
    char msg[1024], line[1200];
    struct timeval tv;
    struct tm tm;
    va_list ap;

    if (level < cfg.loglevel || level >= LL_NOTHING) return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    gettimeofday(&tv, NULL);
    localtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t off = strftime(ts, sizeof(ts), "%d %b %Y %H:%M:%S.", &tm);
    snprintf(ts + off, sizeof(ts) - off, "%03d", (int)(tv.tv_usec / 1000));
    int n = snprintf(line, sizeof(line), "%d:M %s %c %s\n", (int)getpid(), ts, marks[level], msg);
    if (n > (int)sizeof(line) - 1) n = (int)sizeof(line) - 1;
    ssize_t w = write(log_fd, line, (size_t)n);
    (void)w;
}
