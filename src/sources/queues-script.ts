/**
 * The per-queue reads as one read-only Lua script per chunk of queues. ioredis spends ~8 µs of CPU per
 * command, so 200 queues × ~15 plain commands cost ~30 ms of vigil's CPU per poll; the same reads inside
 * one EVAL cost ~3 ms (bench/queues-poll.ts). `flags=no-writes` makes Redis itself refuse any write from
 * the script. Redis < 7 (no script flags) or an ACL without scripting refuse the script: the source then
 * falls back to the pipelined plain commands of queues-read.ts.
 */
import type { ChainableCommander } from 'ioredis';
import { emptyRead, type QueueRead } from './queues-read';

/** Queues per EVAL: bounds how long one script holds Redis (~10 µs per queue). */
export const SCRIPT_CHUNK = 200;

const SCRIPT = `#!lua flags=no-writes
local BAND = 4294967296
local function since(base, id)
  if not id then return nil end
  local h = redis.call('HMGET', base .. id, 'timestamp', 'delay', 'processedOn')
  local ts, delay, po = tonumber(h[1]), tonumber(h[2]), tonumber(h[3])
  if po and po > 0 then return po end
  if not ts then return nil end
  return ts + (delay or 0)
end
local function older(a, b)
  if a == nil then return b end
  if b == nil then return a end
  return math.min(a, b)
end
local function read(base, edge)
  local r = {
    redis.call('LLEN', base .. 'wait'), redis.call('LLEN', base .. 'active'), redis.call('ZCARD', base .. 'delayed'),
    redis.call('ZCARD', base .. 'prioritized'), redis.call('ZCARD', base .. 'waiting-children'),
    redis.call('ZCARD', base .. 'completed'), redis.call('ZCARD', base .. 'failed'),
    redis.call('HEXISTS', base .. 'meta', 'paused')
  }
  local oldest = since(base, redis.call('LINDEX', base .. 'wait', -1) or nil)
  local head = redis.call('ZRANGE', base .. 'prioritized', 0, 0, 'WITHSCORES')
  if head[1] then
    oldest = older(oldest, since(base, head[1]))
    local tail = redis.call('ZRANGE', base .. 'prioritized', -1, -1, 'WITHSCORES')
    local band = math.floor(tonumber(tail[2]) / BAND)
    if band ~= math.floor(tonumber(head[2]) / BAND) then
      local low = redis.call('ZRANGEBYSCORE', base .. 'prioritized', band * BAND, '+inf', 'LIMIT', 0, 1)
      oldest = older(oldest, since(base, low[1]))
    end
  end
  r[9] = oldest and string.format('%d', oldest) or ''
  local e
  if edge == 'first' then e = redis.call('XRANGE', base .. 'events', '-', '+', 'COUNT', 1)
  else e = redis.call('XREVRANGE', base .. 'events', '+', '-', 'COUNT', 1) end
  r[10] = e[1] and e[1][1] or ''
  return r
end
local out = {}
for i = 1, #ARGV, 2 do
  local ok, r = pcall(read, ARGV[i], ARGV[i + 1])
  if ok then out[#out + 1] = r
  else out[#out + 1] = type(r) == 'table' and (r.err or 'error') or tostring(r) end
end
return out
`;

/** Queues the script for `names` on the pipeline (one EVAL per chunk); returns how many replies it added. */
export function addScriptReads(p: ChainableCommander, prefix: string, names: readonly string[], edge: (name: string) => 'first' | 'last'): number {
  let evals = 0;
  for (let i = 0; i < names.length; i += SCRIPT_CHUNK) {
    const args = names.slice(i, i + SCRIPT_CHUNK).flatMap((name) => [`${prefix}:${name}:`, edge(name)]);
    p.eval(SCRIPT, 0, ...args);
    evals += 1;
  }
  return evals;
}

/** One queue's script result (an array, or the error text when a key had another type). */
export function parseScriptRead(name: string, raw: unknown): QueueRead {
  if (!Array.isArray(raw)) return emptyRead(name, String(raw));
  const read = emptyRead(name);
  const n = (i: number) => Number(raw[i] ?? 0);
  read.counts = { waiting: n(0), active: n(1), delayed: n(2), prioritized: n(3), waiting_children: n(4), completed: n(5), failed: n(6) };
  read.paused = n(7) === 1;
  read.waitingSince = raw[8] === '' ? null : Number(raw[8]);
  read.streamEdge = raw[9] === '' ? null : String(raw[9]);
  return read;
}
