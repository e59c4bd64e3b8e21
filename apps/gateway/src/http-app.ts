/**
 * The gateway's HTTP layer (Fastify): security headers on every response (CSP without inline script,
 * nosniff, frame-ancestors 'none', Referrer-Policy), the Origin allow-list (CORS and a refusal of foreign
 * origins), per-address rate limits, the API (validated by the zod schemas of `@inkling/protocol`, which
 * also make the OpenAPI document served at `/api/docs`), the queue dashboard, and the built web app.
 * Every error, malformed URLs included, is `{ error: { code, message } }` with a 4xx/5xx status.
 */
import { createReadStream, existsSync } from 'node:fs';
import { join } from 'node:path';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifyHelmet from '@fastify/helmet';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { HealthSchema } from '@inkling/protocol';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { type AdminRoutesOptions, adminRoutes } from './admin-routes.js';
import { type HistoryRoutesOptions, historyRoutes } from './history-routes.js';
import { errorHandler, HttpError, sendError, toHttpError } from './http-errors.js';
import { registerQueueDashboard } from './queue-dashboard.js';
import { originAllowed, type TrustProxy } from './socket-guards.js';

export interface HttpAppOptions {
  log: Logger;
  trustProxy: TrustProxy;
  /** Empty: only the app's own origin. */
  allowedOrigins: readonly string[];
  webDist?: string | undefined;
  /** API requests per minute per client address. */
  requestsPerMinute: number;
  health: () => Promise<Record<string, boolean>>;
  history: HistoryRoutesOptions;
  admin: AdminRoutesOptions;
}

/** The Content-Security-Policy of every response: scripts only from this origin, no framing, no plugins. */
export const CSP_DIRECTIVES = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  scriptSrcAttr: ["'none'"],
  // Inline style attributes are allowed (Vue's :style, the dashboards); inline scripts never are.
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:', 'blob:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
  objectSrc: ["'none'"],
  baseUri: ["'self'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Paths of the web app's pages, answered with its index.html. */
const WEB_PAGES = new Set(['/', '/admin', '/admin/']);

export async function buildHttpApp(opts: HttpAppOptions): Promise<FastifyInstance> {
  const { log } = opts;
  const app = Fastify({
    // Errors are logged by the error handler with the gateway's logger; requests are not logged one by one.
    logger: false,
    trustProxy: opts.trustProxy,
    bodyLimit: 64 * 1024,
    return503OnClosing: true,
    // A URL Fastify cannot even decode (bad %-encoding…) is a 400 like any other bad request.
    frameworkErrors: (err, _req, reply) => sendError(reply, toHttpError(err, log)),
  });
  app.setErrorHandler(errorHandler(log));
  // An empty JSON body (a bodiless POST that still says `content-type: application/json`) is no body.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) =>
    body === '' || body.length === 0 ? done(null, undefined) : json(req, body.toString(), done),
  );
  app.setValidatorCompiler(validatorCompiler);
  // Responses are the server's own data, typed by the schemas; they are documented, not re-validated.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(fastifyHelmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: CSP_DIRECTIVES },
    // The room id in the page address is the key to the room: never send it to another site.
    referrerPolicy: { policy: 'no-referrer' },
    frameguard: { action: 'deny' },
  });
  // A browser page of another origin gets nothing: no CORS headers, and its requests are refused. (Answered
  // here rather than thrown, so plugins with their own error handler, like the queue dashboard, cannot turn it into a 500;
  // after helmet's hook, so that the refusal carries the security headers too.)
  app.addHook('onRequest', async (req, reply) => {
    if (!originAllowed(req.headers.origin, req.headers.host, opts.allowedOrigins))
      return sendError(reply, new HttpError(403, 'ORIGIN_NOT_ALLOWED', 'requests from this origin are not allowed (see ALLOWED_ORIGINS)'));
  });
  await app.register(fastifyCors, { origin: opts.allowedOrigins.length > 0 ? [...opts.allowedOrigins] : false });
  await app.register(fastifyCookie);
  await app.register(fastifyRateLimit, {
    global: true,
    max: opts.requestsPerMinute,
    timeWindow: 60_000,
    // The API is counted; the web app's files and the queue dashboard (admin only, answered cheaply when refused) are not.
    allowList: (req) => !req.url.startsWith('/api/'),
    errorResponseBuilder: (_req, ctx) =>
      new HttpError(429, 'RATE_LIMITED', `at most ${ctx.max} requests per minute; retry in ${ctx.after}`),
  });

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Inkling HTTP API',
        version: '1.0.0',
        description:
          'Room history and drawings (the room id is the capability), health, and the admin API (bearer token). ' +
          'The real-time contract is Socket.IO; see the README.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/api/docs',
    uiConfig: { validatorUrl: null, deepLinking: false },
  });

  app.withTypeProvider<ZodTypeProvider>().get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: { tags: ['operations'], summary: 'Postgres and Redis reachable', response: { 200: HealthSchema, 503: HealthSchema } },
    },
    async (_req, reply) => {
      const checks = await opts.health();
      const ok = Object.values(checks).every(Boolean);
      reply.header('cache-control', 'no-store');
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'degraded', checks });
    },
  );
  await app.register(historyRoutes, { prefix: '/api/rooms', ...opts.history });
  await app.register(adminRoutes, { prefix: '/api/admin', ...opts.admin });
  await registerQueueDashboard(app, opts.admin.auth, [opts.admin.recognition, opts.admin.training]);

  const webDist = opts.webDist && existsSync(join(opts.webDist, 'index.html')) ? opts.webDist : undefined;
  if (webDist) {
    await app.register(async (scope) => {
      await scope.register(fastifyStatic, {
        root: webDist,
        wildcard: true,
        decorateReply: false,
        index: ['index.html'],
        setHeaders: (reply, path) => {
          reply.header('cache-control', path.includes('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache');
        },
      });
    });
  }
  // The web app's pages (/ and /admin; the room is in the query) are its index.html; anything else is a JSON 404.
  app.setNotFoundHandler(async (req, reply) => {
    const path = req.url.split('?')[0] ?? '';
    const page = webDist && (req.method === 'GET' || req.method === 'HEAD') && WEB_PAGES.has(path);
    if (!page) return sendError(reply, new HttpError(404, 'NOT_FOUND', `no route for ${req.method} ${path.slice(0, 200)}`));
    return reply
      .type('text/html; charset=utf-8')
      .header('cache-control', 'no-cache')
      .send(createReadStream(join(webDist, 'index.html')));
  });
  return app;
}
