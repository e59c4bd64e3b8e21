/** Gateway configuration from environment variables, parsed and validated once at start-up. */
import { ServiceEnvSchema } from '@inkling/protocol';
import { z } from 'zod';
import { RecognitionEnvSchema } from './recognition-config.js';

const positiveInt = (fallback: number) => z.coerce.number().int().min(1).default(fallback);
/** An optional setting where an empty value (`NAME=` in an env file) means unset. */
const unsetIfEmpty = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (v === '' ? undefined : v), schema.optional());

/** How the example configuration (infra/inkling.env) marks values that must be replaced. */
const PLACEHOLDER_PREFIX = 'change-me';

export const GatewayConfigSchema = ServiceEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Folder of the built web app to serve at `/` (optional). */
  WEB_DIST: z.string().optional(),
  /** Socket events per second allowed per connection (burst: twice that). */
  RATE_LIMIT_PER_SEC: positiveInt(200),
  /** Bearer token of the admin API and page; without it the admin API is off in production, random in development. */
  ADMIN_TOKEN: unsetIfEmpty(z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters')),
  NODE_ENV: z.string().default('development'),
  /** How often a gateway counts the other gateways (a departed one is noticed within this time). */
  GATEWAY_PEER_CHECK_MS: z.coerce.number().int().min(50).default(2000),
  /** Signs session tokens; every gateway of a deployment needs the same one. Required in production. */
  SESSION_SECRET: unsetIfEmpty(z.string().min(32, 'SESSION_SECRET must be at least 32 characters')),
  /** Where a development gateway keeps the session secret it made when SESSION_SECRET is unset. */
  SESSION_SECRET_FILE: z.string().default('.data/session-secret'),
  /** How long a session token stays valid (a new one comes with every join). */
  SESSION_TTL_DAYS: z.coerce.number().min(0.0001).max(3650).default(30),
  /**
   * Origins allowed to call the API from a browser and to open sockets (comma-separated, e.g.
   * `https://ink.example.com`). Empty: only the app's own origin (the request's Host).
   */
  ALLOWED_ORIGINS: z
    .union([
      z.array(z.string()),
      z.string().transform((s) =>
        s
          .split(',')
          .map((o) => o.trim().replace(/\/+$/, ''))
          .filter(Boolean),
      ),
    ])
    .default([]),
  /** Port of the internal listener serving `/metrics` (Prometheus); 0 picks a free port. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  /** Address of the metrics listener: loopback unless a scraper on another host needs it. */
  METRICS_HOST: z.string().default('127.0.0.1'),
  /**
   * Whether to believe X-Forwarded-For for the client address (per-address limits): `false`, `true`, a
   * number of proxy hops, or a comma-separated list of proxy addresses/CIDRs (e.g. `loopback,10.0.0.0/8`).
   */
  TRUST_PROXY: z.string().default('false'),
  /** Sockets one client address may hold open at once. */
  MAX_CONNECTIONS_PER_ADDRESS: positiveInt(200),
  /** New socket connections per minute per client address (bursts up to the same number). */
  CONNECTIONS_PER_MINUTE: positiveInt(300),
  /** Rooms one client address may create per hour (bursts up to a third of it). */
  ROOMS_PER_HOUR: positiveInt(60),
  /** Events one connection may have waiting to be applied (more are refused with RATE_LIMITED). */
  MAX_PENDING_EVENTS: positiveInt(64),
  /** Refused events (RATE_LIMITED) within 10 s after which a connection is closed as abusive. */
  MAX_REFUSALS_PER_10S: positiveInt(200),
  /** Labels per user per minute. */
  LABELS_PER_MINUTE: positiveInt(20),
  /** A room with no change and no join for this long expires (its history stays readable). */
  ROOM_IDLE_DAYS: z.coerce.number().min(0.0001).default(30),
  /** How often the gateway looks for idle rooms. */
  ROOM_EXPIRY_CHECK_MS: z.coerce.number().int().min(100).default(3_600_000),
  /** HTTP requests per minute per client address (the API; static files are not counted). */
  HTTP_REQUESTS_PER_MINUTE: positiveInt(600),
  /** PNG requests per minute per client address. */
  PNG_PER_MINUTE: positiveInt(120),
  /** PNG renders running or waiting at once; more get 503 RENDER_BUSY. */
  PNG_QUEUE: positiveInt(16),
  /** Worker threads rendering PNGs. */
  PNG_THREADS: positiveInt(1),
  /** Longest a PNG may take to render (waiting included) before it is abandoned with 503 RENDER_TIMEOUT. */
  PNG_TIMEOUT_MS: positiveInt(10_000),
})
  .extend(RecognitionEnvSchema.shape)
  .superRefine((c, ctx) => {
    if (c.NODE_ENV === 'production' && !c.SESSION_SECRET)
      ctx.addIssue({
        code: 'custom',
        path: ['SESSION_SECRET'],
        message: 'SESSION_SECRET is required in production (32+ random characters)',
      });
    // The placeholders of infra/inkling.env would let anyone forge tokens or reach the admin API.
    if (c.NODE_ENV === 'production')
      for (const name of ['SESSION_SECRET', 'ADMIN_TOKEN'] as const)
        if (c[name]?.startsWith(PLACEHOLDER_PREFIX))
          ctx.addIssue({
            code: 'custom',
            path: [name],
            message: `${name} is still the example's placeholder; set it to a long random value (e.g. openssl rand -hex 32)`,
          });
  });
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseGatewayConfig(env: NodeJS.ProcessEnv | Record<string, unknown>): GatewayConfig {
  const parsed = GatewayConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
