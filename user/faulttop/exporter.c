// SPDX-License-Identifier: GPL-2.0
/* The /metrics endpoint: libmicrohttpd with one internal polling thread.
 *
 * The refresh loop renders both formats once per interval and swaps them in
 * (exporter_publish); a request takes a counted reference to the current
 * snapshot, and MHD sends from it without copying. Nothing a client does
 * reaches the refresh loop: MHD's sockets are non-blocking, a connection
 * that stops reading or never finishes its request is closed after
 * EXPORTER_TIMEOUT_S, and beyond EXPORTER_MAX_CONNECTIONS new ones are
 * refused. */
#include <errno.h>
#include <microhttpd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "netaddr.h"
#include "exporter.h"

/* Prometheus scrapes with one connection per target; a few dashboards or
 * curls beside it fit easily. Each idle slot costs MHD ~32 KiB at most. */
#define EXPORTER_MAX_CONNECTIONS 32
/* Prometheus's default scrape timeout is 10 s. */
#define EXPORTER_TIMEOUT_S 10

struct snapshot {
	atomic_int refs;
	char *body[2];			/* by enum prom_format */
	size_t len[2];
};

struct exporter {
	struct MHD_Daemon *daemon;
	pthread_mutex_t lock;
	struct snapshot *current;	/* NULL until the first interval */
	uint16_t port;
};

static void snapshot_put(void *cls)
{
	struct snapshot *s = cls;

	if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	free(s->body[PROM_TEXT]);
	free(s->body[PROM_OPENMETRICS]);
	free(s);
}

static struct snapshot *snapshot_get(struct exporter *e)
{
	struct snapshot *s;

	pthread_mutex_lock(&e->lock);
	s = e->current;
	if (s)
		atomic_fetch_add(&s->refs, 1);
	pthread_mutex_unlock(&e->lock);
	return s;
}

static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned int status,
				  const char *text)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(text), (void *)text,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_metrics(struct exporter *e, struct MHD_Connection *conn)
{
	const char *accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							 MHD_HTTP_HEADER_ACCEPT);
	enum prom_format fmt = prom_negotiate(accept);
	struct snapshot *s = snapshot_get(e);
	struct MHD_Response *r;
	enum MHD_Result ret;

	if (!s)
		return reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				  "faulttop: no interval has ended yet\n");
	r = MHD_create_response_from_buffer_with_free_callback_cls(s->len[fmt], s->body[fmt],
								    snapshot_put, s);
	if (!r) {
		snapshot_put(s);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, prom_content_type(fmt));
	ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	(void)version, (void)upload_data, (void)req_cls;
	if (*upload_data_size) {	/* a body nobody asked for: drop it */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET and HEAD\n");
	if (strcmp(url, "/metrics") == 0)
		return reply_metrics(cls, conn);
	if (strcmp(url, "/") == 0)
		return reply_text(conn, MHD_HTTP_OK, "faulttop: metrics at /metrics\n");
	return reply_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics\n");
}

struct exporter *exporter_start(const struct sockaddr *sa, socklen_t len)
{
	struct exporter *e = calloc(1, sizeof(*e));
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO;
	const union MHD_DaemonInfo *info;
	sigset_t block, old;
	char where[64];
	int start_errno;

	(void)len;
	if (!e) {
		fprintf(stderr, "faulttop: out of memory\n");
		return NULL;
	}
	pthread_mutex_init(&e->lock, NULL);
	if (sa->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	/* MHD's thread inherits this mask: Ctrl-C and SIGTERM then always land
	 * on the refresh loop's thread, whose poll they cut short */
	sigemptyset(&block);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	errno = 0;
	e->daemon = MHD_start_daemon(flags, 0, NULL, NULL, on_request, e,
				     MHD_OPTION_SOCK_ADDR, sa,
				     MHD_OPTION_CONNECTION_LIMIT, (unsigned int)EXPORTER_MAX_CONNECTIONS,
				     MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)EXPORTER_TIMEOUT_S,
				     MHD_OPTION_END);
	start_errno = errno;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = start_errno;
	if (!e->daemon) {
		fprintf(stderr, "faulttop: cannot listen on %s: %s\n",
			netaddr_format(sa, where, sizeof(where)),
			errno ? strerror(errno) : "libmicrohttpd could not start");
		pthread_mutex_destroy(&e->lock);
		free(e);
		return NULL;
	}
	info = MHD_get_daemon_info(e->daemon, MHD_DAEMON_INFO_BIND_PORT);
	e->port = info ? info->port : 0;
	return e;
}

uint16_t exporter_port(const struct exporter *e)
{
	return e->port;
}

void exporter_publish(struct exporter *e, char *text, size_t text_len, char *om, size_t om_len)
{
	struct snapshot *s = calloc(1, sizeof(*s)), *old;

	if (!s) {
		free(text);
		free(om);
		return;		/* the previous snapshot stays: stale, not wrong */
	}
	atomic_init(&s->refs, 1);
	s->body[PROM_TEXT] = text;
	s->len[PROM_TEXT] = text_len;
	s->body[PROM_OPENMETRICS] = om;
	s->len[PROM_OPENMETRICS] = om_len;
	pthread_mutex_lock(&e->lock);
	old = e->current;
	e->current = s;
	pthread_mutex_unlock(&e->lock);
	snapshot_put(old);
}

void exporter_stop(struct exporter *e)
{
	if (!e)
		return;
	MHD_stop_daemon(e->daemon);	/* joins its thread: no scrape runs after this */
	snapshot_put(e->current);
	pthread_mutex_destroy(&e->lock);
	free(e);
}
