/* net.h -- socket helpers (in the spirit of Redis's anet.c): listening,
 * socket options, and address formatting. Errors come back as -1 with a
 * message in err. */
#ifndef SHOAL_NET_H
#define SHOAL_NET_H

#include <stddef.h>

#define NET_ERR_LEN 256
#define NET_ADDR_LEN 64

/* addr: an IPv4/IPv6 address, "*" (all IPv4) or "::*" (all IPv6). */
int net_listen_tcp(const char *addr, int port, int backlog, char *err);
int net_listen_unix(const char *path, unsigned perm, int backlog, char *err);
void net_set_nodelay(int fd);
void net_set_keepalive(int fd, int interval);
/* "ip:port" ("[ip]:port" for IPv6) of the peer / the local end. */
int net_format_peer(int fd, char *buf, size_t size);
int net_format_local(int fd, char *buf, size_t size);

#endif
