/*
 * redis-lua: the scripts (see redis-lua.h for the keys).  Each runs
 * atomically on Redis.  Times are the caller's (ARGV), so a session's
 * expiry follows the chat's clock; Redis's own PEXPIRE only collects
 * sessions a while after they expired.
 */
#include "redis-lua.h"

const char *const redis_lua[RL_COUNT] = {
	/* KEYS: tok, user.  ARGV: id, token hash. */
	[RL_SESSION_CREATE] =
	"redis.call('SET', KEYS[1], ARGV[1])\n"
	"redis.call('DEL', KEYS[2])\n"
	"redis.call('HSET', KEYS[2], 'tok', ARGV[2], 'name', '', 'exp', '0')\n"
	"return 1\n",

	/* KEYS: tok.  ARGV: now.  {id, name}, or nil when unknown or
	 * expired (an expired session is removed, its name freed). */
	[RL_SESSION_RESUME] =
	"local id = redis.call('GET', KEYS[1])\n"
	"if not id then return false end\n"
	"local u = 'chat:user:' .. id\n"
	"local f = redis.call('HMGET', u, 'exp', 'name')\n"
	"local exp = tonumber(f[1])\n"
	"if exp == nil or (exp ~= 0 and exp <= tonumber(ARGV[1])) then\n"
	"  if f[2] and f[2] ~= '' then\n"
	"    local k = string.lower(f[2])\n"
	"    if redis.call('HGET', 'chat:names', k) == id then\n"
	"      redis.call('HDEL', 'chat:names', k)\n"
	"    end\n"
	"  end\n"
	"  redis.call('DEL', KEYS[1], u)\n"
	"  return false\n"
	"end\n"
	"redis.call('HSET', u, 'exp', '0')\n"
	"redis.call('PERSIST', KEYS[1])\n"
	"redis.call('PERSIST', u)\n"
	"return {id, f[2] or ''}\n",

	/* KEYS: user.  ARGV: now, ttl (ms).  The session expires at
	 * now + ttl; Redis collects it a minute later. */
	[RL_SESSION_RELEASE] =
	"local tok = redis.call('HGET', KEYS[1], 'tok')\n"
	"if not tok then return 0 end\n"
	"local ttl = tonumber(ARGV[2])\n"
	"redis.call('HSET', KEYS[1], 'exp',\n"
	"    string.format('%.0f', tonumber(ARGV[1]) + ttl))\n"
	"redis.call('PEXPIRE', KEYS[1], ttl + 60000)\n"
	"redis.call('PEXPIRE', 'chat:tok:' .. tok, ttl + 60000)\n"
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
	"    if exp ~= nil and (exp == 0 or exp > tonumber(ARGV[4])) and\n"
	"        f[2] and string.lower(f[2]) == ARGV[3] then\n"
	"      return 0\n"
	"    end\n"
	"    if exp ~= nil and (exp ~= 0 and exp <= tonumber(ARGV[4])) then\n"
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
};
