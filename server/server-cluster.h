/*
 * server-cluster: a node of a cluster (--redis).  Makes the Redis
 * connection and the Redis store and registry on it (the chat owns those
 * two and destroys them before cluster_free), and tells the chat when it
 * may serve: only while Redis is up, the store has its epoch and the
 * registry its node number and channel.
 */
#ifndef CHAT_SERVER_CLUSTER_H
#define CHAT_SERVER_CLUSTER_H

#include "registry.h"
#include "server-config.h"
#include "store.h"

struct event_base;
struct cluster;

/* NULL with a message in *error (malloc'd) for a bad --redis.  It starts
 * connecting on the loop's next pass. */
struct cluster	*cluster_new(struct event_base *,
		    const struct server_config *, char **error);
struct store	*cluster_store(struct cluster *);
struct registry	*cluster_registry(struct cluster *);
/* serving(arg, 1) once ready, serving(arg, 0) when Redis is lost (the
 * caller closes its clients; operations fail with *_ERR_DOWN meanwhile). */
void		 cluster_on_serving(struct cluster *,
		    void (*serving)(void *, int), void *arg);
/* The store and registry must be destroyed first. */
void		 cluster_free(struct cluster *);

#endif
