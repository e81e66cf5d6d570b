/* SPDX-License-Identifier: GPL-2.0 */
/* faulttop's HTTP endpoint (libmicrohttpd, on its own thread): serves the
 * last snapshot of /metrics that the refresh loop published. A scrape only
 * takes a reference to that snapshot under a mutex held for a pointer copy,
 * so a slow or hostile client never stalls collection: it can only tie up
 * one of the EXPORTER_MAX_CONNECTIONS slots until its timeout. */
#ifndef FAULTTOP_EXPORTER_H
#define FAULTTOP_EXPORTER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "view_prom.h"

struct exporter;

/* Listens on sa. NULL after one line on stderr saying why. */
struct exporter *exporter_start(const struct sockaddr *sa, socklen_t len);
/* The port bound (the kernel's choice when sa asked for port 0). */
uint16_t exporter_port(const struct exporter *e);
/* Serves these from now on: the interval in each format, malloc'd; the
 * exporter owns them (and frees them when no scrape holds them any more). */
void exporter_publish(struct exporter *e, char *text, size_t text_len, char *om, size_t om_len);
void exporter_stop(struct exporter *e);

#endif
