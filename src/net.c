/* net.c -- socket helpers, see net.h. */
#include "net.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

static int fail(char *err, const char *what, const char *addr) {
    if (err) snprintf(err, NET_ERR_LEN, "%s %s: %s", what, addr, strerror(errno));
    return -1;
}

void net_set_nodelay(int fd) {
    int yes = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
}

void net_set_keepalive(int fd, int interval) {
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &yes, sizeof(yes));
    if (interval <= 0) return;
    /* as Redis: first probe after interval, then every interval/3, 3 probes */
    int idle = interval, intvl = interval / 3 ? interval / 3 : 1, cnt = 3;
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl));
    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt));
}

int net_listen_tcp(const char *addr, int port, int backlog, char *err) {
    struct sockaddr_storage ss;
    socklen_t len;
    int family;

    memset(&ss, 0, sizeof(ss));
    if (strcmp(addr, "*") == 0 || strchr(addr, ':') == NULL) {
        struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
        family = AF_INET;
        sa->sin_family = AF_INET;
        sa->sin_port = htons((uint16_t)port);
        if (strcmp(addr, "*") == 0) sa->sin_addr.s_addr = htonl(INADDR_ANY);
        else if (inet_pton(AF_INET, addr, &sa->sin_addr) != 1) {
            errno = EINVAL;
            return fail(err, "Invalid address", addr);
        }
        len = sizeof(*sa);
    } else {
        struct sockaddr_in6 *sa = (struct sockaddr_in6 *)&ss;
        family = AF_INET6;
        sa->sin6_family = AF_INET6;
        sa->sin6_port = htons((uint16_t)port);
        if (strcmp(addr, "::*") == 0) sa->sin6_addr = in6addr_any;
        else if (inet_pton(AF_INET6, addr, &sa->sin6_addr) != 1) {
            errno = EINVAL;
            return fail(err, "Invalid address", addr);
        }
        len = sizeof(*sa);
    }
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(err, "socket", addr);
    int yes = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    if (family == AF_INET6) setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &yes, sizeof(yes));
    if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return fail(err, "bind", addr);
    }
    return fd;
}

int net_listen_unix(const char *path, unsigned perm, int backlog, char *err) {
    struct sockaddr_un sa;
    if (strlen(path) >= sizeof(sa.sun_path)) {
        errno = ENAMETOOLONG;
        return fail(err, "unixsocket", path);
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return fail(err, "socket", path);
    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    strcpy(sa.sun_path, path);
    unlink(path);
    if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, backlog) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return fail(err, "bind", path);
    }
    if (perm) chmod(path, perm);
    return fd;
}

static int format(const struct sockaddr_storage *ss, char *buf, size_t size) {
    char ip[INET6_ADDRSTRLEN];
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
        return snprintf(buf, size, "%s:%d", ip, ntohs(s->sin_port));
    }
    if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
        return snprintf(buf, size, "[%s]:%d", ip, ntohs(s->sin6_port));
    }
    if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *s = (const struct sockaddr_un *)ss;
        return snprintf(buf, size, "%s:0", s->sun_path);
    }
    return snprintf(buf, size, "?:0");
}

int net_format_peer(int fd, char *buf, size_t size) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getpeername(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    return format(&ss, buf, size);
}

int net_format_local(int fd, char *buf, size_t size) {
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) return -1;
    return format(&ss, buf, size);
}

