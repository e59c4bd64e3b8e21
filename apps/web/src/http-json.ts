/** JSON requests to the gateway: the response validated against a shared schema, errors with their stable code. */
import { HttpErrorSchema } from '@inkling/protocol';
import type { z } from 'zod';

export class HttpApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpApiError';
  }
}

export async function requestJson<T>(
  url: string,
  schema: z.ZodType<T>,
  init: { method?: 'GET' | 'POST'; token?: string; body?: unknown } = {},
): Promise<T> {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      accept: 'application/json',
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const json: unknown = await res.json().catch(() => null);
  if (!res.ok) {
    const err = HttpErrorSchema.safeParse(json);
    throw err.success
      ? new HttpApiError(res.status, err.data.error.code, err.data.error.message)
      : new HttpApiError(res.status, 'HTTP', `HTTP ${res.status}`);
  }
  return schema.parse(json);
}
