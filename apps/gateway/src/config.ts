/** Gateway configuration from environment variables, parsed and validated once at start-up. */
import { ServiceEnvSchema } from '@inkling/protocol';
import { z } from 'zod';
import { RecognitionEnvSchema } from './recognition-config.js';

export const GatewayConfigSchema = ServiceEnvSchema.extend({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  /** Folder of the built web app to serve at `/` (optional). */
  WEB_DIST: z.string().optional(),
  /** Socket events per second allowed per connection (burst: twice that). */
  RATE_LIMIT_PER_SEC: z.coerce.number().int().min(1).default(200),
  /** Bearer token of the admin API and page; without it the admin API is off in production, random in development. */
  ADMIN_TOKEN: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  NODE_ENV: z.string().default('development'),
  /** How often a gateway counts the other gateways (a departed one is noticed within this time). */
  GATEWAY_PEER_CHECK_MS: z.coerce.number().int().min(50).default(2000),
}).extend(RecognitionEnvSchema.shape);
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export type GatewayConfigInput = z.input<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export function parseGatewayConfig(env: NodeJS.ProcessEnv): GatewayConfig {
  const parsed = GatewayConfigSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return parsed.data;
}
