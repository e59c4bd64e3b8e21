/**
 * The internal listener of `/metrics` (Prometheus): its own port (METRICS_PORT), bound to loopback unless
 * configured otherwise, so the public port never shows the gateway's internals.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export async function startMetricsServer(
  registry: Registry,
  port: number,
  host: string,
): Promise<{ url: string; close: () => Promise<void> }> {
  const app: FastifyInstance = Fastify({ logger: false });
  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));
  app.setNotFoundHandler((_req, reply) => reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'only /metrics is served here' } }));
  await app.listen({ port, host });
  const address = app.server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}/metrics`, close: () => app.close() };
}
