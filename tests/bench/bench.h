/*
 * chat-bench: a load generator for the chat protocol.  One thread, one
 * epoll set, its own minimal WebSocket client (masked frames out, many
 * unmasked frames parsed per read), a hand JSON scanner on the hot path.
 * Every received message is verified; a lost or reordered message fails
 * the run.
 */
#ifndef CHAT_BENCH_H
#define CHAT_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A JSON string value as it sits in the frame (escapes already undone). */
struct bjstr {
	const char	*p;
	size_t		 len;
};

/* The fields of a server message that the benchmark looks at. */
struct bjmsg {
	struct bjstr	 action;
	struct bjstr	 room;
	struct bjstr	 user_id;
	struct bjstr	 message;
	struct bjstr	 seq;		/* version 2 room messages */
};

/* bench-json.c */
int	bjson_scan(const char *p, size_t len, struct bjmsg *m);
bool	bjstr_eq(const struct bjstr *s, const char *p, size_t len);
#define BJSTR_IS(s, lit) bjstr_eq(s, lit, sizeof lit - 1)
/* The scenarios' message texts: n fields "DIGITS:" from *pp (before end)
 * into v, *pp moved past them; -1 if they are not there. */
int	bjstr_fields(const char **pp, const char *end, uint64_t *v, int n);

/* bench-stats.c: log-linear latency histogram (ns), /proc readers. */
#define BHIST_SUB	64
#define BHIST_BUCKETS	(BHIST_SUB + 40 * BHIST_SUB)
struct bhist {
	uint64_t	 count;
	uint64_t	 max;
	uint64_t	 sum;
	uint64_t	 b[BHIST_BUCKETS];
};
void		bhist_add(struct bhist *, uint64_t ns);
uint64_t	bhist_pct(const struct bhist *, double pct);
uint64_t	bench_now(void);		/* CLOCK_MONOTONIC, ns */
double		bench_proc_cpu(pid_t);		/* utime+stime, s; -1 */
long		bench_proc_rss(pid_t);		/* VmRSS, KiB; -1 */
/* The same summed over every --server-pid process; -1 without any. */
double		bench_server_cpu(void);
long		bench_server_rss(void);
double		bench_self_cpu(void);

/*
 * Where the CPU went: each server thread's time and the whole machine's
 * busy time.  A server thread near 100 % is a bottleneck of its own; a
 * machine near 100 % means the server and the generator share out the
 * last of it, and no server can go faster on this machine.
 */
#define BCPU_THREADS	64
struct bcpu {
	int			 n;
	int			 tid[BCPU_THREADS];
	double			 tcpu[BCPU_THREADS];	/* s */
	unsigned long long	 busy, total;		/* /proc/stat ticks */
};
void		bcpu_take(struct bcpu *);	/* threads of every server */
/* The busiest server thread, % of one CPU; the machine, % of all CPUs. */
void		bcpu_compare(const struct bcpu *, const struct bcpu *,
		    double secs, double *thread_pct, double *machine_pct);
void		bench_wait_idle(double max_s);

/* bench-ws.c: connections and the event loop. */
enum bconn_state {
	BCONN_IDLE = 0,
	BCONN_CONNECTING,
	BCONN_HANDSHAKE,
	BCONN_OPEN,
	BCONN_CLOSED,
};

struct bconn {
	int		 fd;
	int		 index;
	enum bconn_state state;
	bool		 dirty;		/* on the flush list */
	bool		 pollout;
	char		 accept[32];	/* expected Sec-WebSocket-Accept */

	char		*in;		/* unparsed tail of the last read */
	size_t		 inlen;
	bool		 fragmenting;	/* inside a fragmented message */
	char		*frag;		/* its frames so far */
	size_t		 fraglen;
	char		*out;		/* frames not yet written */
	size_t		 outlen, outoff, outcap;

	char		 id[24];	/* from the connection message */
	size_t		 idlen;
	bool		 has_id;
	bool		 hello_sent;	/* --v2: waiting for the hello reply */
	uint64_t	 last_seq;	/* --v2: seq of the last room message */

	/* scenario state */
	int		 room;		/* -1: none */
	int		 slot;		/* sender slot in the room, -1: none */
	bool		 joined;
	int		 peer;		/* pm: the other connection */
	uint32_t	*next;		/* expected seq per sender slot */
	uint64_t	 sent;		/* messages sent */
	uint64_t	 acked;		/* own echoes received */
	uint64_t	 got;		/* pm deliveries received */
	uint64_t	 echo_next;
	uint64_t	 due;		/* rate: next scheduled send, ns */
};

struct bench_ops {
	void	(*open)(struct bconn *);	/* connection message seen */
	void	(*msg)(struct bconn *, const struct bjmsg *);
	void	(*tick)(uint64_t now);		/* after each loop turn */
};

/* -P PORT,PORT,...: nodes of one cluster, connections round-robin over
 * them; --server-pid PID,PID,...: the processes whose CPU is measured
 * (the nodes and, say, redis-server). */
#define BENCH_NODES_MAX	16

struct bench {
	/* options */
	char		 host[256];
	char		 port[256];	/* the port list as given */
	char		 path[256];
	pid_t		 server_pids[BENCH_NODES_MAX];
	int		 nservers;
	int		 conns;
	int		 rooms, members, senders, window, pairs;
	double		 rate;
	double		 duration;
	double		 drain;
	int		 size;
	int		 sources;
	int		 concurrency;
	bool		 v2;		/* clients say hello (protocol v2) */

	/* run state */
	const struct bench_ops *ops;
	struct bconn	*c;
	int		 nconn;
	int		 started;	/* connect attempts begun */
	int		 opened;	/* connection messages seen */
	int		 epfd;
	int		 timerfd;
	bool		 stop;
	uint64_t	 now;		/* time of the last read, ns */
	uint64_t	 deliveries;
	uint64_t	 connect_errors;
	uint64_t	 frames_in, reads_in;
	struct bhist	 hist;
	char		 fail[512];
};

extern struct bench bench;

void	bench_fail(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
bool	bench_failed(void);
int	bench_start_conn(struct bconn *);
void	bench_send_text(struct bconn *, const char *, size_t);
void	bench_loop(uint64_t until, bool (*done)(void));
void	bench_close_all(void);
int	bench_resolve(void);
int	bench_alloc(int n);
int	bench_connect_all(const struct bench_ops *, double timeout_s);
void	bench_timer_at(uint64_t when);

/* scenarios */
int	scenario_conn(void);
int	scenario_fanout(bool open_loop);
int	scenario_pm(void);
int	scenario_probe(void);

/* Reporting helpers (chat-bench.c). */
void	bench_report_line(const char *scenario, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
