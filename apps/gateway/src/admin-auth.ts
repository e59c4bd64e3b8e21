/**
 * The admin token: checked with `timingSafeEqual` on every admin request (`Authorization: Bearer …`
 * only), and a short-lived, HttpOnly, SameSite=Strict cookie derived from it for the queue dashboard, a
 * page whose own requests cannot carry a bearer header. The token itself never goes into the cookie.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';

export const DASHBOARD_COOKIE = 'inkling_queues';
/** How long a dashboard cookie is honoured. */
export const DASHBOARD_SESSION_MS = 8 * 3_600_000;

/** Decides the admin token: the configured one, none in production, or a fresh one (logged) in development. */
export function resolveAdminToken(configured: string | undefined, production: boolean, log: Logger): string | null {
  if (configured) return configured;
  if (production) {
    log.warn('ADMIN_TOKEN is not set: the admin API is disabled');
    return null;
  }
  const token = randomBytes(18).toString('base64url');
  log.warn({ adminToken: token }, 'ADMIN_TOKEN is not set; using a random admin token for this run (development mode)');
  return token;
}

const equal = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

export class AdminAuth {
  private readonly cookieKey: Buffer | null;

  constructor(
    /** null: the admin API is disabled. */
    readonly token: string | null,
    private readonly now: () => number = Date.now,
  ) {
    this.cookieKey = token === null ? null : createHmac('sha256', token).update('inkling queue dashboard cookie').digest();
  }

  /** Whether an `Authorization` header carries the admin token as a bearer token. */
  bearer(header: string | undefined): boolean {
    if (this.token === null || !header?.startsWith('Bearer ')) return false;
    return equal(header.slice(7), this.token);
  }

  /** A dashboard cookie value: its expiry and an HMAC of it. */
  issueCookie(): string {
    if (!this.cookieKey) throw new Error('the admin API is disabled');
    const exp = String(this.now() + DASHBOARD_SESSION_MS);
    return `${exp}.${createHmac('sha256', this.cookieKey).update(exp).digest('base64url')}`;
  }

  cookie(value: string | undefined): boolean {
    if (!this.cookieKey || !value) return false;
    const [exp, mac, ...rest] = value.split('.');
    if (!exp || !mac || rest.length > 0 || !/^\d{1,15}$/.test(exp) || Number(exp) <= this.now()) return false;
    return equal(mac, createHmac('sha256', this.cookieKey).update(exp).digest('base64url'));
  }
}
