// The operator's endpoints. Liveness says "the process runs"; readiness says "this instance can do its work
// now": the database answers, Kafka answers, and the outbox is not falling behind. /metrics is Prometheus.

import type {} from '@fastify/swagger';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';

export interface ReadinessCheck {
  name: string;
  /** Resolves with a short detail when healthy, rejects (or resolves ok: false) when not. */
  run(): Promise<{ ok: boolean; detail?: string | number | Record<string, unknown> }>;
}

const CHECK_TIMEOUT_MS = 1500;

async function runCheck(check: ReadinessCheck) {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      check.run(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
      }),
    ]);
  } catch (error) {
    return { ok: false, detail: (error as Error).message };
  } finally {
    clearTimeout(timer);
  }
}

export interface MetricsSource {
  contentType: string;
  text(): Promise<string>;
}

export function operationsRoutes(checks: ReadinessCheck[], metrics: MetricsSource): FastifyPluginAsyncTypebox {
  return async function register(app) {
    app.get(
      '/metrics',
      { schema: { tags: ['operations'], summary: 'Prometheus metrics', hide: false } },
      async (_request, reply) => reply.type(metrics.contentType).send(await metrics.text()),
    );

    app.get('/health/live', { schema: { tags: ['operations'], summary: 'The process is up' } }, async () => ({ status: 'up' }));

    app.get(
      '/health/ready',
      { schema: { tags: ['operations'], summary: 'MySQL, Kafka and the outbox backlog are healthy' } },
      async (_request, reply) => {
        const results = await Promise.all(checks.map(async (c) => [c.name, await runCheck(c)] as const));
        const ready = results.every(([, r]) => r.ok);
        return reply.code(ready ? 200 : 503).send({
          status: ready ? 'ready' : 'not-ready',
          checks: Object.fromEntries(results.map(([name, r]) => [name, { status: r.ok ? 'up' : 'down', detail: r.detail }])),
        });
      },
    );
  };
}
