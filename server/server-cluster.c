/*
 * server-cluster: the node's Redis side (see server-cluster.h).  On every
 * "up" of the connection: the store reads the epoch, then the registry
 * takes a node number and subscribes; only then does the node serve.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redis-conn.h"
#include "redis-lua.h"
#include "registry-redis.h"
#include "server-cluster.h"
#include "server-metrics.h"
#include "store-redis.h"
#include "util.h"

struct cluster {
	struct redis_addr	 addr;
	struct redis_conn	*rc;
	struct store		*store;
	struct registry		*reg;
	void			(*serving)(void *, int);
	void			*arg;
	int			 up;		/* told serving(1) */
};

static void
cluster_serving(struct cluster *cl, int up)
{
	if (cl->up == up)
		return;
	cl->up = up;
	metrics_store_state("redis", up, up ? NULL : "not serving until "
	    "Redis is back");
	if (cl->serving == NULL)
		return;
	log_info("redis: %s", up ? "serving" : "not serving until Redis is "
	    "back");
	cl->serving(cl->arg, up);
}

static void
registry_ready(void *arg, int ok)
{
	struct cluster	*cl = arg;

	if (ok && redis_conn_up(cl->rc))
		cluster_serving(cl, 1);
}

static void
store_ready(void *arg, int ok)
{
	struct cluster	*cl = arg;

	if (ok && redis_conn_up(cl->rc))
		registry_redis_up(cl->reg, registry_ready, cl);
}

static void
cluster_state(void *arg, int up)
{
	struct cluster	*cl = arg;

	if (up) {
		store_redis_sync(cl->store, store_ready, cl);
		return;
	}
	registry_redis_down(cl->reg);
	cluster_serving(cl, 0);
}

static void
cluster_message(void *arg, const char *ch, size_t chlen, const char *data,
    size_t len)
{
	struct cluster	*cl = arg;

	registry_redis_message(cl->reg, ch, chlen, data, len);
}

/* /healthz: a node serves only with Redis (and its scripts) there. */
static int
cluster_health(void *arg, char *why, size_t size)
{
	struct cluster	*cl = arg;

	if (cl->up)
		return 0;
	snprintf(why, size, "redis: unreachable");
	return -1;
}

static const struct redis_conn_ops cluster_ops = {
	cluster_state, cluster_message
};

struct cluster *
cluster_new(struct event_base *base, const struct server_config *cfg,
    char **error)
{
	struct cluster	*cl;
	char		 err[256];

	*error = NULL;
	if ((cl = calloc(1, sizeof *cl)) == NULL)
		return NULL;
	if (redis_addr_parse(cfg->redis, &cl->addr, err, sizeof err) != 0) {
		if (asprintf(error, "--redis %s", err) < 0)
			*error = NULL;
		free(cl);
		return NULL;
	}
	cl->rc = redis_conn_new(base, &cl->addr, NULL, redis_lua, RL_COUNT,
	    &cluster_ops, cl);
	if (cl->rc != NULL)
		cl->store = store_redis_new(cl->rc, cfg->history,
		    (uint64_t)cfg->session_ttl * 1000);
	if (cl->store != NULL)
		cl->reg = registry_redis_new(base, cl->rc, cl->addr.db,
		    cfg->history, (uint64_t)cfg->session_ttl * 1000, NULL, NULL);
	if (cl->reg == NULL) {
		if (cl->store != NULL)
			cl->store->ops->destroy(cl->store);
		cluster_free(cl);
		return NULL;
	}
	/* One order of completions for the node: a history reply never
	 * overtakes the requester's own echo. */
	store_redis_order(cl->store, cl->reg);
	metrics_health_add(cluster_health, cl);
	redis_conn_start(cl->rc);
	return cl;
}

struct store *
cluster_store(struct cluster *cl)
{
	return cl->store;
}

struct registry *
cluster_registry(struct cluster *cl)
{
	return cl->reg;
}

void
cluster_on_serving(struct cluster *cl, void (*serving)(void *, int),
    void *arg)
{
	cl->serving = serving;
	cl->arg = arg;
}

void
cluster_free(struct cluster *cl)
{
	if (cl == NULL)
		return;
	metrics_health_clear();	/* the one store of a process */
	redis_conn_free(cl->rc);
	redis_addr_free(&cl->addr);
	free(cl);
}
