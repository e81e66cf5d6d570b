/* SPDX-License-Identifier: GPL-2.0 */
/* Listening addresses as users write them: "127.0.0.1:9464",
 * "[::1]:9464", "localhost:9464", "0.0.0.0:9464". */
#ifndef MMSCOPE_NETADDR_H
#define MMSCOPE_NETADDR_H

#include <sys/socket.h>

/* Parses s into *ss (*len its size). Numeric addresses only, plus
 * "localhost" (127.0.0.1): a listening address never waits on DNS. Port 0
 * lets the kernel choose. Returns 0 or -EINVAL. */
int netaddr_parse(const char *s, struct sockaddr_storage *ss, socklen_t *len);

/* "127.0.0.1:9464" or "[::1]:9464" into buf. Returns buf. */
char *netaddr_format(const struct sockaddr *sa, char *buf, size_t size);

#endif
