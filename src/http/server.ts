/**
 * Builds the HTTP app (never listens: the daemon does, tests use `inject`). Every answer is JSON except
 * /metrics; nothing does I/O against a source; errors never carry a stack trace.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { evaluateHealth } from '../health';
import type { Logger } from '../log';
import type { Runtime } from '../runtime';
import { STALE_INTERVALS } from '../health/sources';
import { hasValidToken } from './auth';
import { registerMaintenanceRoutes } from './maintenance';
import type { Metrics } from './metrics';

export interface ServerDeps {
  runtime: Runtime;
  metrics: Metrics;
  logger: Logger;
}

export function buildServer({ runtime, metrics, logger }: ServerDeps): FastifyInstance {
  const app = Fastify({ logger: false, return503OnClosing: true });
  const token = runtime.config.listen.token;

  app.get('/metrics', async (request, reply) => {
    if (!hasValidToken(request, token)) return reply.code(401).send({ error: 'bearer token required' });
    const { contentType, body } = await metrics.render(request.headers.accept);
    return reply.type(contentType).send(runtime.scrub(body));
  });

  app.get('/health', async (request, reply) => {
    const verdict = evaluateHealth(runtime);
    const body = hasValidToken(request, token) ? verdict.body : { status: verdict.status };
    return reply.code(verdict.code).type('application/json; charset=utf-8').send(runtime.scrub(JSON.stringify(body)));
  });

  app.get('/health/live', async (_request, reply) => {
    const tick = runtime.lastTick();
    const live = tick !== null && runtime.now() - tick <= STALE_INTERVALS * runtime.config.poll.interval;
    return reply.code(live ? 200 : 503).send({ status: live ? 'live' : 'stalled' });
  });

  registerMaintenanceRoutes(app, runtime);

  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not found' }));
  app.setErrorHandler((thrown, request, reply) => {
    const err = thrown as { statusCode?: unknown; message?: unknown };
    const message = String(err.message ?? 'error');
    const status = typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) logger.error({ url: request.url, error: runtime.scrub(message) }, 'request failed');
    return reply.code(status).send({ error: status === 500 ? 'internal error' : runtime.scrub(message) });
  });
  return app;
}
