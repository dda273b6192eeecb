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
 *	chat:user:<id>		hash: tok, name, exp (ms; 0 while connected),
 *				holder (who holds it while connected), gen
 *				(the last holder number given out)
 *	chat:names		hash: folded name -> user id
 *	chat:hist:<room>	zset: seq -> "seq\nts\nid\nname\ntext"
 * The registry's (registry-redis.c):
 *	chat:next_node		counter: node numbers, one per (re)connect
 *	chat:nodes		set: live node numbers
 *	chat:node:<n>:alive	string with a TTL, refreshed by node n
 *	chat:node:<n>:users	set: ids online on node n
 *	chat:online:<id>	hash: node, conn, name of an online user
 *	chat:onames		hash: folded name -> id, online users only
 *	chat:inroom:<id>	string: the room of a user
 *	chat:room:<room>	set: member ids
 *	chat:rooms		set: rooms with members
 *	chat:cseq:<channel>	counter: the events published on a channel
 * Channels: <P>r:<room> (room events), <P>n:<node> (private messages and
 * kicks to that node's users), P = "chat:<db>:".  Every event is
 * "cseq\ntype\nflags\nroom\nuser id\nname\nnode\nconn\ntarget id\n
 * name\nnode\nconn\norigin node\nconn\nseq\nts\ntext": cseq counts the
 * channel's events, so a node sees any gap.  Registry scripts return
 * {status, data, {channel, cseq, ...}}: what they published where.
 */
#ifndef CHAT_REDIS_LUA_H
#define CHAT_REDIS_LUA_H

enum redis_lua {
	RL_SESSION_CREATE,
	RL_SESSION_RESUME,
	RL_SESSION_CLAIM,
	RL_SESSION_RELEASE,
	RL_NAME_SET,
	RL_HISTORY_APPEND,
	RL_EPOCH,
	RL_REG_NODE,
	RL_REG_ALIVE,
	RL_REG_ONLINE,
	RL_REG_OFFLINE,
	RL_REG_JOIN,
	RL_REG_LEAVE,
	RL_REG_MESSAGE,
	RL_REG_PRIVATE,
	RL_REG_NICK,
	RL_REG_PARTICIPANTS,
	RL_COUNT
};

extern const char *const redis_lua[RL_COUNT];

#endif
