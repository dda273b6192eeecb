/*
 * redis-lua: the Lua scripts the Redis back ends run, one per operation
 * that must be atomic.  redis-conn loads them all on every (re)connect.
 *
 * Keys (one chat per Redis database; pub/sub ignores databases, so the
 * registry's channels carry the database number):
 *	chat:epoch		string: the epoch of the history
 *	chat:next_id		counter: user ids (INCR - 1, so from 0)
 *	chat:seq		counter: room message seq, server-wide
 *	chat:tok:<sha256>	string: user id of a session token's hash
 *	chat:user:<id>		hash: tok, name, exp (ms; 0 while connected)
 *	chat:names		hash: folded name -> user id
 *	chat:hist:<room>	zset: seq -> "seq\nts\nid\nname\ntext"
 */
#ifndef CHAT_REDIS_LUA_H
#define CHAT_REDIS_LUA_H

enum redis_lua {
	RL_SESSION_CREATE,
	RL_SESSION_RESUME,
	RL_SESSION_RELEASE,
	RL_NAME_SET,
	RL_HISTORY_APPEND,
	RL_EPOCH,
	RL_COUNT
};

extern const char *const redis_lua[RL_COUNT];

#endif
