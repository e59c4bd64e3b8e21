/**
 * Session tokens: who a connection is, signed by the server. The first `room:join` of a browser gets a
 * fresh user id and a token naming it; the client sends the token back in the Socket.IO handshake, and
 * every action of that connection is done as the user the token names. A token is
 * `v1.<claims>.<signature>`: base64url JSON claims `{ aud, sub, iat, exp }` (seconds) and an
 * HMAC-SHA256 of `v1.<claims>` with the deployment's SESSION_SECRET. A token from another deployment
 * (another secret), a forged or altered one, or an expired one is refused with INVALID_TOKEN.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { InklingError, UserIdSchema } from '@inkling/protocol';
import { z } from 'zod';

const VERSION = 'v1';
/** Binds tokens to their purpose: the same secret may sign other things (e.g. the admin cookie). */
const AUDIENCE = 'inkling-session';
/** Longest token accepted for verification (a real one is about 150 characters). */
const MAX_TOKEN_LENGTH = 512;

const ClaimsSchema = z
  .object({
    aud: z.literal(AUDIENCE),
    sub: UserIdSchema,
    iat: z.number().int(),
    exp: z.number().int(),
  })
  .strict();

export class InvalidTokenError extends InklingError {
  constructor(reason: string) {
    super('INVALID_TOKEN', `session token refused (${reason}); connect without it to get a new identity`);
    this.name = 'InvalidTokenError';
  }
}

export class SessionTokens {
  private readonly key: Buffer;

  constructor(
    secret: string,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (secret.length < 32) throw new RangeError('a session secret has at least 32 characters');
    this.key = createHmac('sha256', secret).update('inkling session tokens').digest();
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }

  /** A token naming `userId`, valid for the configured time. */
  issue(userId: string): string {
    const iat = Math.floor(this.now() / 1000);
    const claims = Buffer.from(JSON.stringify({ aud: AUDIENCE, sub: userId, iat, exp: iat + Math.ceil(this.ttlMs / 1000) })).toString(
      'base64url',
    );
    const body = `${VERSION}.${claims}`;
    return `${body}.${this.sign(body)}`;
  }

  /** The user id a token names; InvalidTokenError when it is not one this deployment issued, or expired. */
  verify(token: unknown): string {
    if (typeof token !== 'string' || token.length > MAX_TOKEN_LENGTH) throw new InvalidTokenError('malformed');
    const parts = token.split('.');
    if (parts.length !== 3 || parts[0] !== VERSION) throw new InvalidTokenError('malformed');
    const [version, claims, signature] = parts as [string, string, string];
    const expected = Buffer.from(this.sign(`${version}.${claims}`));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new InvalidTokenError('bad signature');
    let json: unknown;
    try {
      json = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8'));
    } catch {
      throw new InvalidTokenError('malformed');
    }
    const parsed = ClaimsSchema.safeParse(json);
    if (!parsed.success) throw new InvalidTokenError('malformed');
    if (parsed.data.exp * 1000 <= this.now()) throw new InvalidTokenError('expired');
    return parsed.data.sub;
  }
}

/**
 * The secret of a development gateway without SESSION_SECRET: read from `file`, or made and written there
 * (mode 0600) so sessions survive restarts of `npm start`.
 */
export function persistedSecret(file: string): string {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}
