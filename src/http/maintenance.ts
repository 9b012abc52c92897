/**
 * POST/DELETE/GET /maintenance (contracts.md section 4). With a token configured, the bearer token is
 * required; without one, only loopback clients may call it (it mutes paging, so not anyone on the network).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_REASON_LENGTH, MAX_WINDOW_MS, windowJson } from '../alerts/maintenance';
import { DURATION_HINT, formatDuration, parseDuration } from '../config/units';
import type { Runtime } from '../runtime';
import { hasValidToken, isLoopback } from './auth';

/** Null when the caller may proceed; otherwise the refusal already sent. */
function refuse(runtime: Runtime, request: FastifyRequest, reply: FastifyReply): FastifyReply | null {
  const token = runtime.config.listen.token;
  if (token !== '' && !hasValidToken(request, token)) return reply.code(401).send({ error: 'bearer token required' });
  if (token === '' && !isLoopback(request.ip)) return reply.code(403).send({ error: 'maintenance is only allowed from loopback when no token is configured' });
  if (!runtime.maintenance) return reply.code(503).send({ error: 'no alert engine is running' });
  return null;
}

export function parseOpenRequest(body: unknown): { forMs: number; reason: string } | { error: string } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { error: 'expected a JSON object such as {"for":"15m","reason":"deploy"}' };
  const { for: forText, reason, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) return { error: `unknown key "${unknown[0]}"` };
  if (typeof forText !== 'string') return { error: `for: expected a duration string (${DURATION_HINT})` };
  const forMs = parseDuration(forText);
  if (forMs === null) return { error: `for: invalid duration "${forText}" (${DURATION_HINT})` };
  if (forMs <= 0 || forMs > MAX_WINDOW_MS) return { error: `for: must be more than 0 and at most ${formatDuration(MAX_WINDOW_MS)}` };
  if (reason !== undefined && typeof reason !== 'string') return { error: 'reason: expected a string' };
  if (typeof reason === 'string' && reason.length > MAX_REASON_LENGTH) return { error: `reason: at most ${MAX_REASON_LENGTH} characters` };
  return { forMs, reason: reason ?? '' };
}

export function registerMaintenanceRoutes(app: FastifyInstance, runtime: Runtime): void {
  app.get('/maintenance', async (request, reply) => {
    const refused = refuse(runtime, request, reply);
    if (refused) return refused;
    return reply.send({ maintenance: windowJson(runtime.maintenance!.current()) });
  });

  app.post('/maintenance', async (request, reply) => {
    const refused = refuse(runtime, request, reply);
    if (refused) return refused;
    const parsed = parseOpenRequest(request.body);
    if ('error' in parsed) return reply.code(400).send({ error: parsed.error });
    const window = runtime.maintenance!.open(parsed.forMs, parsed.reason);
    return reply.send({ maintenance: windowJson(window) });
  });

  app.delete('/maintenance', async (request, reply) => {
    const refused = refuse(runtime, request, reply);
    if (refused) return refused;
    const closed = runtime.maintenance!.close();
    return reply.send({ maintenance: null, closed: windowJson(closed) });
  });
}
