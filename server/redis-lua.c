/*
 * redis-lua: the scripts (see redis-lua.h for the keys).  Each runs
 * atomically on Redis.  Times are the caller's (ARGV), so a session's
 * expiry follows the chat's clock; Redis's own PEXPIRE only collects
 * sessions a while after they expired.
 */
#include "redis-lua.h"

/*
 * Shared by the registry scripts.  ARGV[1] is the channel prefix.  pub()
 * numbers an event on its channel and notes where it went; leave() takes
 * a user out of its room with a leave event.
 */
#define REG_PRELUDE \
	"local P = ARGV[1]\n" \
	"local out = {}\n" \
	"local function pub(ch, f)\n" \
	"  local c = redis.call('INCR', 'chat:cseq:' .. ch)\n" \
	"  f[1] = string.format('%d', c)\n" \
	"  redis.call('PUBLISH', ch, table.concat(f, '\\n'))\n" \
	"  out[#out + 1] = ch\n" \
	"  out[#out + 1] = c\n" \
	"end\n" \
	"local function ev(t, fl, room, uid, un, unode, uconn, tid, tn, tnode,\n" \
	"    tconn, onode, oconn, seq, ts, text)\n" \
	"  return {'', t, fl, room, uid, un, unode, uconn, tid, tn, tnode,\n" \
	"      tconn, onode, oconn, seq, ts, text}\n" \
	"end\n" \
	"local function oname(uid, name, set)\n" \
	"  if not name or name == '' then return end\n" \
	"  local k = string.lower(name)\n" \
	"  if set then\n" \
	"    redis.call('HSET', 'chat:onames', k, uid)\n" \
	"  elseif redis.call('HGET', 'chat:onames', k) == uid then\n" \
	"    redis.call('HDEL', 'chat:onames', k)\n" \
	"  end\n" \
	"end\n" \
	"local function leave(uid, un, unode, uconn, fl, onode, oconn)\n" \
	"  local k = 'chat:inroom:' .. uid\n" \
	"  local room = redis.call('GET', k)\n" \
	"  if not room then return nil end\n" \
	"  redis.call('DEL', k)\n" \
	"  redis.call('SREM', 'chat:room:' .. room, uid)\n" \
	"  if redis.call('SCARD', 'chat:room:' .. room) == 0 then\n" \
	"    redis.call('SREM', 'chat:rooms', room)\n" \
	"  end\n" \
	"  pub(P .. 'r:' .. room, ev('L', fl, room, uid, un, unode, uconn,\n" \
	"      '', '', '0', '0', onode, oconn, '0', '0', ''))\n" \
	"  return room\n" \
	"end\n"

const char *const redis_lua[RL_COUNT] = {
	/* KEYS: tok, user.  ARGV: id, token hash.  The holder: 1. */
	[RL_SESSION_CREATE] =
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"redis.call('DEL', KEYS[2])\n"
	"redis.call('HSET', KEYS[2], 'tok', ARGV[2], 'name', '', 'exp', '0',\n"
	"    'holder', '1', 'gen', '1')\n"
	"return 1\n",

	/* KEYS: tok.  ARGV: now.  {id, name, 1 if it was connected
	 * already, a new holder number}: the holder from now on unless it
	 * was connected; or nil when unknown or expired (now past exp: it
	 * is removed, its name freed). */
	[RL_SESSION_RESUME] =
	"local id = redis.call('GET', KEYS[1])\n"
	"if not id then return false end\n"
	"local u = 'chat:user:' .. id\n"
	"local f = redis.call('HMGET', u, 'exp', 'name')\n"
	"local exp = tonumber(f[1])\n"
	"if exp == nil or (exp ~= 0 and exp < tonumber(ARGV[1])) then\n"
	"  if f[2] and f[2] ~= '' then\n"
	"    local k = string.lower(f[2])\n"
	"    if redis.call('HGET', 'chat:names', k) == id then\n"
	"      redis.call('HDEL', 'chat:names', k)\n"
	"    end\n"
	"  end\n"
	"  redis.call('DEL', KEYS[1], u)\n"
	"  return false\n"
	"end\n"
	"local g = redis.call('HINCRBY', u, 'gen', 1)\n"
	"if exp ~= 0 then redis.call('HSET', u, 'holder', g) end\n"
	"redis.call('HSET', u, 'exp', '0')\n"
	"redis.call('PERSIST', KEYS[1])\n"
	"redis.call('PERSIST', u)\n"
	"return {id, f[2] or '', exp == 0 and 1 or 0, g}\n",

	/* KEYS: user.  ARGV: holder.  It holds the session (connected)
	 * from now on, unless a later holder does: 1, else 0. */
	[RL_SESSION_CLAIM] =
	"local f = redis.call('HMGET', KEYS[1], 'tok', 'holder')\n"
	"if not f[1] or (tonumber(f[2]) or 0) > tonumber(ARGV[1]) then\n"
	"  return 0\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'exp', '0')\n"
	"redis.call('PERSIST', 'chat:tok:' .. f[1])\n"
	"redis.call('PERSIST', KEYS[1])\n"
	"return 1\n",

	/* KEYS: user.  ARGV: now, ttl (ms), holder.  If holder holds it,
	 * the session expires at now + ttl (Redis collects it a minute
	 * later): 1; else nothing: 0. */
	[RL_SESSION_RELEASE] =
	"local f = redis.call('HMGET', KEYS[1], 'tok', 'exp', 'holder')\n"
	"if not f[1] or f[2] ~= '0' or\n"
	"    tonumber(f[3]) ~= tonumber(ARGV[3]) then\n"
	"  return 0\n"
	"end\n"
	"local ttl = tonumber(ARGV[2])\n"
	"redis.call('HSET', KEYS[1], 'exp',\n"
	"    string.format('%.0f', tonumber(ARGV[1]) + ttl))\n"
	"redis.call('PEXPIRE', KEYS[1], ttl + 60000)\n"
	"redis.call('PEXPIRE', 'chat:tok:' .. f[1], ttl + 60000)\n"
	"return 1\n",

	/* KEYS: user.  ARGV: id, name, folded name, now.  1: done; 0: the
	 * name belongs to another unexpired session; -1: no session. */
	[RL_NAME_SET] =
	"if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end\n"
	"if ARGV[3] ~= '' then\n"
	"  local cur = redis.call('HGET', 'chat:names', ARGV[3])\n"
	"  if cur and cur ~= ARGV[1] then\n"
	"    local cu = 'chat:user:' .. cur\n"
	"    local f = redis.call('HMGET', cu, 'exp', 'name', 'tok')\n"
	"    local exp = tonumber(f[1])\n"
	"    if exp ~= nil and (exp == 0 or exp >= tonumber(ARGV[4])) and\n"
	"        f[2] and string.lower(f[2]) == ARGV[3] then\n"
	"      return 0\n"
	"    end\n"
	"    if exp ~= nil and (exp ~= 0 and exp < tonumber(ARGV[4])) then\n"
	"      if f[3] then redis.call('DEL', 'chat:tok:' .. f[3]) end\n"
	"      redis.call('DEL', cu)\n"
	"    end\n"
	"  end\n"
	"end\n"
	"local old = redis.call('HGET', KEYS[1], 'name')\n"
	"if old and old ~= '' then\n"
	"  local k = string.lower(old)\n"
	"  if redis.call('HGET', 'chat:names', k) == ARGV[1] then\n"
	"    redis.call('HDEL', 'chat:names', k)\n"
	"  end\n"
	"end\n"
	"if ARGV[3] ~= '' then\n"
	"  redis.call('HSET', 'chat:names', ARGV[3], ARGV[1])\n"
	"end\n"
	"redis.call('HSET', KEYS[1], 'name', ARGV[2])\n"
	"return 1\n",

	/* KEYS: seq counter, history.  ARGV: ts, user id, name, text, how
	 * many to keep.  The new seq. */
	[RL_HISTORY_APPEND] =
	"local seq = redis.call('INCR', KEYS[1])\n"
	"local keep = tonumber(ARGV[5])\n"
	"if keep > 0 then\n"
	"  redis.call('ZADD', KEYS[2], seq, string.format('%d', seq) ..\n"
	"      '\\n' .. ARGV[1] .. '\\n' .. ARGV[2] .. '\\n' .. ARGV[3] ..\n"
	"      '\\n' .. ARGV[4])\n"
	"  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(keep + 1))\n"
	"end\n"
	"return seq\n",

	/* KEYS: epoch.  ARGV: a new epoch, kept only if there is none. */
	[RL_EPOCH] =
	"redis.call('SET', KEYS[1], ARGV[1], 'NX')\n"
	"return redis.call('GET', KEYS[1])\n",
	/* ARGV: P, alive ttl.  data: a new node number, alive from now. */
	[RL_REG_NODE] =
	"local n = redis.call('INCR', 'chat:next_node')\n"
	"redis.call('SADD', 'chat:nodes', n)\n"
	"redis.call('SET', 'chat:node:' .. n .. ':alive', 1, 'PX', ARGV[2])\n"
	"return {0, string.format('%d', n), {}}\n",

	/* ARGV: P, node, alive ttl, now, session ttl.  Refresh this node
	 * (status 1 if it was reaped meanwhile: its users are gone) and
	 * reap every node whose key expired: its users leave their rooms,
	 * their sessions start to expire; once, whoever sees it first. */
	[RL_REG_ALIVE] =
	REG_PRELUDE
	"local status = 0\n"
	"if redis.call('SISMEMBER', 'chat:nodes', ARGV[2]) == 1 then\n"
	"  redis.call('SET', 'chat:node:' .. ARGV[2] .. ':alive', 1, 'PX',\n"
	"      ARGV[3])\n"
	"else\n"
	"  status = 1\n"
	"end\n"
	"local exp = string.format('%.0f', tonumber(ARGV[4]) +\n"
	"    tonumber(ARGV[5]))\n"
	"for _, n in ipairs(redis.call('SMEMBERS', 'chat:nodes')) do\n"
	"  if redis.call('EXISTS', 'chat:node:' .. n .. ':alive') == 0 then\n"
	"    local uk = 'chat:node:' .. n .. ':users'\n"
	"    for _, id in ipairs(redis.call('SMEMBERS', uk)) do\n"
	"      local o = redis.call('HMGET', 'chat:online:' .. id, 'node',\n"
	"          'conn', 'name')\n"
	"      if o[1] == n then\n"
	"        leave(id, o[3] or '', n, o[2], 0, '0', '0')\n"
	"        oname(id, o[3], false)\n"
	"        redis.call('DEL', 'chat:online:' .. id)\n"
	"        if redis.call('EXISTS', 'chat:user:' .. id) == 1 then\n"
	"          redis.call('HSET', 'chat:user:' .. id, 'exp', exp)\n"
	"        end\n"
	"      end\n"
	"    end\n"
	"    redis.call('DEL', uk, 'chat:cseq:' .. P .. 'n:' .. n)\n"
	"    redis.call('SREM', 'chat:nodes', n)\n"
	"  end\n"
	"end\n"
	"return {status, '', out}\n",

	/* ARGV: P, id, name, node, conn.  Online elsewhere: that connection
	 * leaves its room and is kicked. */
	[RL_REG_ONLINE] =
	REG_PRELUDE
	"local id, name, node, conn = ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local ok = 'chat:online:' .. id\n"
	"local o = redis.call('HMGET', ok, 'node', 'conn', 'name')\n"
	"if o[1] then\n"
	"  leave(id, name, o[1], o[2], 0, node, conn)\n"
	"  pub(P .. 'n:' .. o[1], ev('K', 0, '', id, name, node, conn, id,\n"
	"      name, o[1], o[2], node, conn, '0', '0', ''))\n"
	"  redis.call('SREM', 'chat:node:' .. o[1] .. ':users', id)\n"
	"  oname(id, o[3], false)\n"
	"end\n"
	"oname(id, name, true)\n"
	"redis.call('HSET', ok, 'node', node, 'conn', conn, 'name', name)\n"
	"redis.call('SADD', 'chat:node:' .. node .. ':users', id)\n"
	"return {0, '', out}\n",

	/* ARGV: P, id, node, conn.  Nothing if id is online elsewhere. */
	[RL_REG_OFFLINE] =
	REG_PRELUDE
	"local id, node, conn = ARGV[2], ARGV[3], ARGV[4]\n"
	"local o = redis.call('HMGET', 'chat:online:' .. id, 'node', 'conn',\n"
	"    'name')\n"
	"if o[1] ~= node or o[2] ~= conn then return {0, '', out} end\n"
	"leave(id, o[3] or '', node, conn, 0, '0', '0')\n"
	"oname(id, o[3], false)\n"
	"redis.call('DEL', 'chat:online:' .. id)\n"
	"redis.call('SREM', 'chat:node:' .. node .. ':users', id)\n"
	"return {0, '', out}\n",

	/* ARGV: P, id, name, room, node, conn. */
	[RL_REG_JOIN] =
	REG_PRELUDE
	"local id, name, room, node, conn = ARGV[2], ARGV[3], ARGV[4],\n"
	"    ARGV[5], ARGV[6]\n"
	"local cur = redis.call('GET', 'chat:inroom:' .. id)\n"
	"if cur == room then return {0, '', out} end\n"
	"if cur then leave(id, name, node, conn, 0, node, conn) end\n"
	"redis.call('SET', 'chat:inroom:' .. id, room)\n"
	"redis.call('SADD', 'chat:room:' .. room, id)\n"
	"redis.call('SADD', 'chat:rooms', room)\n"
	"pub(P .. 'r:' .. room, ev('J', 1, room, id, name, node, conn, '', '',\n"
	"    '0', '0', node, conn, '0', '0', ''))\n"
	"return {0, '', out}\n",

	/* ARGV: P, id, name, node, conn.  Status 1: not in a room. */
	[RL_REG_LEAVE] =
	REG_PRELUDE
	"if not leave(ARGV[2], ARGV[3], ARGV[4], ARGV[5], 1, ARGV[4],\n"
	"    ARGV[5]) then\n"
	"  return {1, '', out}\n"
	"end\n"
	"return {0, '', out}\n",

	/* ARGV: P, id, name, node, conn, ts, text, history kept per room.
	 * Status 1: not in a room.  data: the seq.  In history before it
	 * is published, in the same atomic step. */
	[RL_REG_MESSAGE] =
	REG_PRELUDE
	"local id, name, node, conn, ts = ARGV[2], ARGV[3], ARGV[4], ARGV[5],\n"
	"    ARGV[6]\n"
	"local room = redis.call('GET', 'chat:inroom:' .. id)\n"
	"if not room then return {1, '', out} end\n"
	"local seq = string.format('%d', redis.call('INCR', 'chat:seq'))\n"
	"local keep = tonumber(ARGV[8])\n"
	"if keep > 0 then\n"
	"  local hk = 'chat:hist:' .. room\n"
	"  redis.call('ZADD', hk, seq, seq .. '\\n' .. ts .. '\\n' .. id ..\n"
	"      '\\n' .. name .. '\\n' .. ARGV[7])\n"
	"  redis.call('ZREMRANGEBYRANK', hk, 0, -(keep + 1))\n"
	"end\n"
	"pub(P .. 'r:' .. room, ev('M', 0, room, id, name, node, conn, '', '',\n"
	"    '0', '0', node, conn, seq, ts, ARGV[7]))\n"
	"return {0, seq, out}\n",

	/* ARGV: P, id, name, node, conn, to id ('' for by name), to name
	 * folded, ts, text.  Status 2: no such user online.  data: "id\nname"
	 * of the target.  To the target's node and the sender's (once). */
	[RL_REG_PRIVATE] =
	REG_PRELUDE
	"local id, name, node, conn = ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"local tid = ARGV[6]\n"
	"if tid == '' then\n"
	"  tid = redis.call('HGET', 'chat:onames', ARGV[7])\n"
	"  if not tid then return {2, '', out} end\n"
	"end\n"
	"local o = redis.call('HMGET', 'chat:online:' .. tid, 'node', 'conn',\n"
	"    'name')\n"
	"if not o[1] then return {2, '', out} end\n"
	"local tn = o[3] or ''\n"
	"if ARGV[6] == '' and string.lower(tn) ~= ARGV[7] then\n"
	"  return {2, '', out}\n"
	"end\n"
	"local e = ev('P', 1, '', id, name, node, conn, tid, tn, o[1], o[2],\n"
	"    node, conn, '0', ARGV[8], ARGV[9])\n"
	"pub(P .. 'n:' .. o[1], e)\n"
	"if o[1] ~= node then pub(P .. 'n:' .. node, e) end\n"
	"return {0, tid .. '\\n' .. tn, out}\n",

	/* ARGV: P, id, name, node, conn. */
	[RL_REG_NICK] =
	REG_PRELUDE
	"local id, name, node, conn = ARGV[2], ARGV[3], ARGV[4], ARGV[5]\n"
	"if redis.call('EXISTS', 'chat:online:' .. id) == 1 then\n"
	"  oname(id, redis.call('HGET', 'chat:online:' .. id, 'name'), false)\n"
	"  oname(id, name, true)\n"
	"  redis.call('HSET', 'chat:online:' .. id, 'name', name)\n"
	"end\n"
	"local room = redis.call('GET', 'chat:inroom:' .. id)\n"
	"if room then\n"
	"  pub(P .. 'r:' .. room, ev('N', 1, room, id, name, node, conn, '',\n"
	"      '', '0', '0', node, conn, '0', '0', ''))\n"
	"end\n"
	"return {0, '', out}\n",

	/* ARGV: room.  {ids, names}, or 3 when the room does not exist. */
	[RL_REG_PARTICIPANTS] =
	"local ids = redis.call('SMEMBERS', 'chat:room:' .. ARGV[1])\n"
	"if #ids == 0 then return 3 end\n"
	"local names = {}\n"
	"for i, id in ipairs(ids) do\n"
	"  names[i] = redis.call('HGET', 'chat:online:' .. id, 'name') or ''\n"
	"end\n"
	"return {ids, names}\n",
};
