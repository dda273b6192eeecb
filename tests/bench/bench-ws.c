/*
 * The benchmark's WebSocket client: non-blocking sockets in one epoll set,
 * the RFC 6455 handshake with its Sec-WebSocket-Accept check, masked
 * frames out, and unmasked server frames parsed many per read out of one
 * large shared buffer (only a partial frame is kept per connection, so
 * 19,000 idle connections cost next to nothing here).
 */
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include <netinet/in.h>
#include <netinet/tcp.h>

#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libwebsockets.h>

#include "bench.h"

#define BENCH_RBUF	(1024 * 1024)
#define BENCH_EVENTS	1024
#define WS_GUID		"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

static char			 bench_rbuf[BENCH_RBUF];
/* The nodes (-P): connection i goes to node i % bench_nnodes. */
static struct sockaddr_in	 bench_addr[BENCH_NODES_MAX];
static char			 bench_node_port[BENCH_NODES_MAX][8];
static int			 bench_nnodes;
static struct bconn		**bench_dirty;
static int			 bench_ndirty;
static uint64_t			 bench_rng;

static void	bconn_dispatch(struct bconn *, const char *, size_t);

void
bench_fail(const char *fmt, ...)
{
	va_list	ap;

	if (bench.fail[0] == '\0') {
		va_start(ap, fmt);
		vsnprintf(bench.fail, sizeof bench.fail, fmt, ap);
		va_end(ap);
	}
	bench.stop = true;
}

bool
bench_failed(void)
{
	return bench.fail[0] != '\0';
}

static uint64_t
bench_random(void)
{
	/* xorshift64*: masking keys and handshake nonces need no more */
	bench_rng ^= bench_rng >> 12;
	bench_rng ^= bench_rng << 25;
	bench_rng ^= bench_rng >> 27;
	return bench_rng * 2685821657736338717ULL;
}

int
bench_resolve(void)
{
	struct addrinfo	 hints, *res;
	int		 error;
	const char	*p = bench.port;
	size_t		 len;

	memset(&hints, 0, sizeof hints);
	hints.ai_family = AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	for (bench_nnodes = 0; *p != '\0'; bench_nnodes++) {
		len = strcspn(p, ",");
		if (bench_nnodes == BENCH_NODES_MAX || len == 0 ||
		    len >= sizeof bench_node_port[0]) {
			fprintf(stderr, "chat-bench: bad port list \"%s\" "
			    "(PORT,PORT,..., at most %d)\n", bench.port,
			    BENCH_NODES_MAX);
			return -1;
		}
		snprintf(bench_node_port[bench_nnodes],
		    sizeof bench_node_port[0], "%.*s", (int)len, p);
		error = getaddrinfo(bench.host, bench_node_port[bench_nnodes],
		    &hints, &res);
		if (error != 0) {
			fprintf(stderr, "chat-bench: %s:%s: %s\n", bench.host,
			    bench_node_port[bench_nnodes], gai_strerror(error));
			return -1;
		}
		memcpy(&bench_addr[bench_nnodes], res->ai_addr,
		    sizeof bench_addr[0]);
		freeaddrinfo(res);
		p += len + (p[len] == ',');
	}
	if (bench_nnodes == 0) {
		fprintf(stderr, "chat-bench: no port\n");
		return -1;
	}

	if (getrandom(&bench_rng, sizeof bench_rng, 0) != sizeof bench_rng ||
	    bench_rng == 0)
		bench_rng = 0x9e3779b97f4a7c15ULL ^ (uint64_t)getpid();

	if ((bench.epfd = epoll_create1(EPOLL_CLOEXEC)) == -1)
		return -1;
	bench.timerfd = timerfd_create(CLOCK_MONOTONIC,
	    TFD_NONBLOCK | TFD_CLOEXEC);
	if (bench.timerfd == -1)
		return -1;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	return epoll_ctl(bench.epfd, EPOLL_CTL_ADD, bench.timerfd, &ev);
}

int
bench_alloc(int n)
{
	int	i;

	bench.c = calloc(n, sizeof *bench.c);
	bench_dirty = calloc(n, sizeof *bench_dirty);
	if (bench.c == NULL || bench_dirty == NULL)
		return -1;
	bench.nconn = n;
	for (i = 0; i < n; i++) {
		bench.c[i].fd = -1;
		bench.c[i].index = i;
		bench.c[i].room = -1;
		bench.c[i].slot = -1;
		bench.c[i].peer = -1;
	}
	return 0;
}

void
bench_timer_at(uint64_t when)
{
	struct itimerspec	its;

	memset(&its, 0, sizeof its);
	if (when == 0)
		when = 1;
	its.it_value.tv_sec = when / 1000000000ULL;
	its.it_value.tv_nsec = when % 1000000000ULL;
	timerfd_settime(bench.timerfd, TFD_TIMER_ABSTIME, &its, NULL);
}

static void
bconn_events(struct bconn *c, uint32_t events)
{
	struct epoll_event	ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(bench.epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		bench_fail("epoll_ctl: %s", strerror(errno));
}

static void
bconn_close(struct bconn *c)
{
	if (c->fd != -1)
		close(c->fd);
	c->fd = -1;
	c->state = BCONN_CLOSED;
	free(c->in);
	free(c->frag);
	free(c->out);
	c->in = c->frag = c->out = NULL;
	c->inlen = c->fraglen = c->outlen = c->outoff = c->outcap = 0;
}

void
bench_close_all(void)
{
	int	i;

	for (i = 0; i < bench.nconn; i++) {
		bconn_close(&bench.c[i]);
		free(bench.c[i].next);
	}
	free(bench.c);
	free(bench_dirty);
	bench.c = NULL;
	bench_dirty = NULL;
	bench.nconn = 0;
	bench_ndirty = 0;
}

static void
bconn_append(struct bconn *c, const void *p, size_t len)
{
	size_t	cap;

	if (c->outlen + len > c->outcap) {
		cap = c->outcap ? c->outcap : 256;
		while (cap < c->outlen + len)
			cap *= 2;
		if ((c->out = realloc(c->out, cap)) == NULL) {
			bench_fail("out of memory");
			return;
		}
		c->outcap = cap;
	}
	memcpy(c->out + c->outlen, p, len);
	c->outlen += len;
	if (!c->dirty) {
		c->dirty = true;
		bench_dirty[bench_ndirty++] = c;
	}
}

static void
bconn_frame(struct bconn *c, int opcode, const char *p, size_t len)
{
	unsigned char	 h[14], *o;
	size_t		 hl = 0, i;
	uint32_t	 key = (uint32_t)bench_random();
	unsigned char	 k[4];

	if (c->state != BCONN_OPEN)
		return;
	h[hl++] = 0x80 | opcode;
	if (len < 126)
		h[hl++] = 0x80 | len;
	else if (len < 65536) {
		h[hl++] = 0x80 | 126;
		h[hl++] = len >> 8;
		h[hl++] = len;
	} else {
		h[hl++] = 0x80 | 127;
		for (i = 0; i < 8; i++)
			h[hl++] = (uint64_t)len >> (56 - 8 * i);
	}
	memcpy(k, &key, 4);
	memcpy(h + hl, k, 4);
	hl += 4;
	bconn_append(c, h, hl);
	bconn_append(c, p, len);
	if (bench_failed())
		return;
	o = (unsigned char *)c->out + c->outlen - len;
	for (i = 0; i < len; i++)
		o[i] ^= k[i & 3];
}

void
bench_send_text(struct bconn *c, const char *p, size_t len)
{
	bconn_frame(c, 0x1, p, len);
}

static void
bconn_flush(struct bconn *c)
{
	ssize_t	n;

	while (c->outoff < c->outlen) {
		n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);
		if (n > 0) {
			c->outoff += n;
			continue;
		}
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN) {
			if (!c->pollout) {
				c->pollout = true;
				bconn_events(c, EPOLLIN | EPOLLOUT);
			}
			return;
		}
		bench_fail("connection %d: write: %s", c->index,
		    strerror(errno));
		return;
	}
	c->outoff = c->outlen = 0;
	if (c->pollout) {
		c->pollout = false;
		bconn_events(c, EPOLLIN);
	}
}

static void
bench_flush_dirty(void)
{
	int		 i;
	struct bconn	*c;

	for (i = 0; i < bench_ndirty; i++) {
		c = bench_dirty[i];
		c->dirty = false;
		if (c->fd != -1 && !c->pollout)
			bconn_flush(c);
	}
	bench_ndirty = 0;
}

static void
bconn_handshake_send(struct bconn *c)
{
	unsigned char	 nonce[16], sha[20];
	char		 key[32], cat[128], req[768];
	uint64_t	 r[2];
	int		 len;

	r[0] = bench_random();
	r[1] = bench_random();
	memcpy(nonce, r, sizeof nonce);
	lws_b64_encode_string((char *)nonce, sizeof nonce, key, sizeof key);
	len = snprintf(cat, sizeof cat, "%s" WS_GUID, key);
	lws_SHA1((unsigned char *)cat, len, sha);
	lws_b64_encode_string((char *)sha, sizeof sha, c->accept,
	    sizeof c->accept);

	len = snprintf(req, sizeof req,
	    "GET %s HTTP/1.1\r\n"
	    "Host: %s:%s\r\n"
	    "Upgrade: websocket\r\n"
	    "Connection: Upgrade\r\n"
	    "Sec-WebSocket-Key: %s\r\n"
	    "Sec-WebSocket-Version: 13\r\n"
	    "\r\n", bench.path, bench.host,
	    bench_node_port[c->index % bench_nnodes], key);
	c->state = BCONN_HANDSHAKE;
	/* goes through the normal out buffer; the flush list writes it */
	bconn_append(c, req, len);
	bconn_events(c, EPOLLIN);
}

int
bench_start_conn(struct bconn *c)
{
	struct sockaddr_in	src;
	struct epoll_event	ev;
	int			one = 1;
	struct sockaddr_in	*to = &bench_addr[c->index % bench_nnodes];
	uint32_t		dst = ntohl(to->sin_addr.s_addr);

	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd == -1) {
		bench.connect_errors++;
		bench_fail("socket: %s", strerror(errno));
		return -1;
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	bench.started++;
	/*
	 * One source address gives about 28,000 ephemeral ports per
	 * destination; on loopback spread the connections over several
	 * 127.0.0.x sources, with the port chosen at connect time.
	 */
	if ((dst >> 24) == 127 && bench.sources > 1) {
		setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
		    sizeof one);
		memset(&src, 0, sizeof src);
		src.sin_family = AF_INET;
		src.sin_addr.s_addr = htonl(0x7f000001 +
		    (c->index % bench.sources));
		if (bind(c->fd, (struct sockaddr *)&src, sizeof src) == -1) {
			bench.connect_errors++;
			bench_fail("bind 127.0.0.%d: %s",
			    1 + c->index % bench.sources, strerror(errno));
			return -1;
		}
	}
	ev.events = EPOLLOUT;
	ev.data.ptr = c;
	if (epoll_ctl(bench.epfd, EPOLL_CTL_ADD, c->fd, &ev) == -1) {
		bench_fail("epoll_ctl: %s", strerror(errno));
		return -1;
	}
	c->state = BCONN_CONNECTING;
	if (connect(c->fd, (struct sockaddr *)to, sizeof *to) == 0) {
		bconn_handshake_send(c);
		return 0;
	}
	if (errno != EINPROGRESS) {
		bench.connect_errors++;
		bench_fail("connect: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* Keep the unparsed tail for the next read. */
static void
bconn_keep(struct bconn *c, const char *p, size_t len)
{
	if (len == 0) {
		c->inlen = 0;
		return;
	}
	if ((c->in = realloc(c->in, len)) == NULL) {
		bench_fail("out of memory");
		return;
	}
	memmove(c->in, p, len);
	c->inlen = len;
}

static bool
bconn_handshake_check(struct bconn *c, const char *p, size_t len)
{
	const char	*line, *eol, *end = p + len, *v;
	size_t		 vlen;
	bool		 ok = false;

	if (len < 12 || memcmp(p, "HTTP/1.1 101", 12) != 0) {
		eol = memchr(p, '\r', len);
		bench_fail("connection %d: handshake refused: %.*s", c->index,
		    (int)(eol ? eol - p : (ptrdiff_t)len), p);
		return false;
	}
	for (line = p; line < end; line = eol + 2) {
		if ((eol = memmem(line, end - line, "\r\n", 2)) == NULL)
			break;
		if ((size_t)(eol - line) > 21 &&
		    strncasecmp(line, "Sec-WebSocket-Accept:", 21) == 0) {
			v = line + 21;
			while (v < eol && (*v == ' ' || *v == '\t'))
				v++;
			vlen = eol - v;
			while (vlen > 0 && (v[vlen - 1] == ' ' ||
			    v[vlen - 1] == '\t'))
				vlen--;
			ok = vlen == strlen(c->accept) &&
			    memcmp(v, c->accept, vlen) == 0;
		}
	}
	if (!ok)
		bench_fail("connection %d: bad Sec-WebSocket-Accept", c->index);
	return ok;
}

/* Gather a fragmented message; dispatch it whole on its last frame. */
static void
bconn_fragment(struct bconn *c, const char *buf, size_t len, bool fin)
{
	size_t	whole;

	if ((c->frag = realloc(c->frag, c->fraglen + len + 1)) == NULL) {
		bench_fail("out of memory");
		return;
	}
	memcpy(c->frag + c->fraglen, buf, len);
	c->fraglen += len;
	if (fin) {
		whole = c->fraglen;
		c->fraglen = 0;
		c->fragmenting = false;
		bconn_dispatch(c, c->frag, whole);
	}
}

/* Parse as many whole frames as buf holds; return the bytes used. */
static size_t
bconn_frames(struct bconn *c, const char *buf, size_t len)
{
	const unsigned char	*p = (const unsigned char *)buf;
	size_t			 off = 0, hl, i;
	uint64_t		 plen;
	int			 opcode;
	bool			 fin;

	while (len - off >= 2 && !bench.stop) {
		fin = p[off] & 0x80;
		opcode = p[off] & 0x0f;
		if (p[off + 1] & 0x80) {
			bench_fail("connection %d: masked server frame",
			    c->index);
			return off;
		}
		plen = p[off + 1] & 0x7f;
		hl = 2;
		if (plen == 126) {
			if (len - off < 4)
				break;
			plen = (p[off + 2] << 8) | p[off + 3];
			hl = 4;
		} else if (plen == 127) {
			if (len - off < 10)
				break;
			for (plen = 0, i = 0; i < 8; i++)
				plen = (plen << 8) | p[off + 2 + i];
			hl = 10;
		}
		if (plen > BENCH_RBUF / 2) {
			bench_fail("connection %d: frame of %llu bytes",
			    c->index, (unsigned long long)plen);
			return off;
		}
		if (len - off < hl + plen)
			break;
		buf = (const char *)p + off + hl;
		off += hl + plen;
		switch (opcode) {
		case 0x1:
			if (c->fragmenting) {
				bench_fail("connection %d: new message inside "
				    "a fragmented one", c->index);
				return off;
			}
			if (fin)
				bconn_dispatch(c, buf, plen);
			else {
				c->fragmenting = true;
				bconn_fragment(c, buf, plen, false);
			}
			break;
		case 0x0:
			if (!c->fragmenting) {
				bench_fail("connection %d: stray continuation "
				    "frame", c->index);
				return off;
			}
			bconn_fragment(c, buf, plen, fin);
			break;
		case 0x8:
			bench_fail("connection %d: server sent close %d",
			    c->index, plen >= 2 ?
			    (((unsigned char)buf[0] << 8) |
			    (unsigned char)buf[1]) : 0);
			return off;
		case 0x9:
			bconn_frame(c, 0xa, buf, plen);
			break;
		case 0xa:
			break;
		default:
			bench_fail("connection %d: unexpected opcode %d",
			    c->index, opcode);
			return off;
		}
	}
	return off;
}

static void
bconn_opened(struct bconn *c)
{
	bench.opened++;
	if (bench.ops->open != NULL)
		bench.ops->open(c);
}

/* Version 2: within a room, members see seq increase in delivery order. */
static bool
bconn_seq_ok(struct bconn *c, const struct bjstr *seq)
{
	uint64_t	v = 0;
	size_t		i;

	if (seq->p == NULL || seq->len == 0 || seq->len > 19) {
		bench_fail("connection %d: room message without a seq",
		    c->index);
		return false;
	}
	for (i = 0; i < seq->len; i++) {
		if (seq->p[i] < '0' || seq->p[i] > '9') {
			bench_fail("connection %d: bad seq", c->index);
			return false;
		}
		v = v * 10 + (uint64_t)(seq->p[i] - '0');
	}
	if (v <= c->last_seq) {
		bench_fail("connection %d: seq %llu after %llu", c->index,
		    (unsigned long long)v, (unsigned long long)c->last_seq);
		return false;
	}
	c->last_seq = v;
	return true;
}

static void
bconn_dispatch(struct bconn *c, const char *p, size_t len)
{
	struct bjmsg	m;

	bench.frames_in++;
	if (bjson_scan(p, len, &m) != 0) {
		bench_fail("connection %d: not a protocol message: %.*s",
		    c->index, (int)(len > 200 ? 200 : len), p);
		return;
	}
	if (BJSTR_IS(&m.action, "error")) {
		bench_fail("connection %d: server error: %.*s", c->index,
		    (int)m.message.len, m.message.p ? m.message.p : "");
		return;
	}
	if (!c->has_id) {
		if (!BJSTR_IS(&m.action, "connection") || m.user_id.p == NULL ||
		    m.user_id.len == 0 || m.user_id.len >= sizeof c->id) {
			bench_fail("connection %d: first message is not "
			    "'connection': %.*s", c->index, (int)len, p);
			return;
		}
		memcpy(c->id, m.user_id.p, m.user_id.len);
		c->id[m.user_id.len] = '\0';
		c->idlen = m.user_id.len;
		c->has_id = true;
		if (bench.v2) {
			/* Version 2: opened once the hello is answered. */
			static const char hello[] = "{\"action\":\"hello\"}";

			bench_send_text(c, hello, sizeof hello - 1);
			c->hello_sent = true;
			return;
		}
		bconn_opened(c);
		return;
	}
	if (c->hello_sent) {
		if (!BJSTR_IS(&m.action, "hello")) {
			bench_fail("connection %d: expected the hello reply: "
			    "%.*s", c->index, (int)len, p);
			return;
		}
		c->hello_sent = false;
		bconn_opened(c);
		return;
	}
	if (bench.v2 && BJSTR_IS(&m.action, "room_message") &&
	    !bconn_seq_ok(c, &m.seq))
		return;
	bench.ops->msg(c, &m);
}

static void
bconn_read(struct bconn *c)
{
	size_t		 have, used;
	ssize_t		 n;
	const char	*hdr;

	for (;;) {
		have = c->inlen;
		if (have != 0)
			memcpy(bench_rbuf, c->in, have);
		n = read(c->fd, bench_rbuf + have, BENCH_RBUF - have);
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			bench_fail("connection %d (id %s): closed by the "
			    "server%s%s", c->index, c->has_id ? c->id : "-",
			    n == 0 ? "" : ": ", n == 0 ? "" : strerror(errno));
			bconn_close(c);
			return;
		}
		bench.reads_in++;
		bench.now = bench_now();
		have += n;
		used = 0;
		if (c->state == BCONN_HANDSHAKE) {
			hdr = memmem(bench_rbuf, have, "\r\n\r\n", 4);
			if (hdr == NULL) {
				if (have > 8192) {
					bench_fail("connection %d: handshake "
					    "reply too long", c->index);
					return;
				}
				bconn_keep(c, bench_rbuf, have);
				continue;
			}
			used = hdr + 4 - bench_rbuf;
			if (!bconn_handshake_check(c, bench_rbuf, used))
				return;
			c->state = BCONN_OPEN;
		}
		used += bconn_frames(c, bench_rbuf + used, have - used);
		if (c->fd == -1)
			return;
		bconn_keep(c, bench_rbuf + used, have - used);
		if ((size_t)n < BENCH_RBUF - (have - n))
			return;
	}
}

static void
bconn_connected(struct bconn *c)
{
	int		err = 0;
	socklen_t	len = sizeof err;

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1)
		err = errno;
	if (err != 0) {
		bench.connect_errors++;
		bench_fail("connection %d: connect: %s", c->index,
		    strerror(err));
		bconn_close(c);
		return;
	}
	bconn_handshake_send(c);
}

void
bench_loop(uint64_t until, bool (*done)(void))
{
	struct epoll_event	 ev[BENCH_EVENTS];
	struct bconn		*c;
	uint64_t		 now, exp;
	int			 n, i, ms;

	while (!bench.stop) {
		/* frames queued outside the loop (first sends) go out now */
		bench_flush_dirty();
		if (done != NULL && done())
			return;
		now = bench_now();
		if (now >= until)
			return;
		ms = (until - now + 999999) / 1000000;
		if (ms > 50)
			ms = 50;
		n = epoll_wait(bench.epfd, ev, BENCH_EVENTS, ms);
		if (n == -1 && errno != EINTR) {
			bench_fail("epoll_wait: %s", strerror(errno));
			return;
		}
		for (i = 0; i < n && !bench.stop; i++) {
			if ((c = ev[i].data.ptr) == NULL) {
				/* EAGAIN: a spurious wakeup, harmless */
				if (read(bench.timerfd, &exp, sizeof exp) < 0)
					exp = 0;
				continue;
			}
			if (c->fd == -1)
				continue;
			if (c->state == BCONN_CONNECTING) {
				bconn_connected(c);
				continue;
			}
			if (ev[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				bconn_read(c);
			if (c->fd != -1 && (ev[i].events & EPOLLOUT) &&
			    c->pollout)
				bconn_flush(c);
			/*
			 * A burst of events takes a while to work through:
			 * let the open-loop scenario send what is due
			 * meanwhile, or its own lateness would count as the
			 * server's latency.
			 */
			if ((i & 7) == 7 && bench.ops->tick != NULL &&
			    !bench.stop) {
				bench.ops->tick(bench_now());
				bench_flush_dirty();
			}
		}
		if (bench.ops->tick != NULL && !bench.stop)
			bench.ops->tick(bench_now());
	}
}
