/**
 * Errors of the HTTP API, and the one place that turns any error into `{ error: { code, message } }` with
 * a status: handlers throw, they never format errors themselves.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { RenderBusyError } from './png-renderer.js';
import { BARE_SECURITY_HEADERS } from './security-headers.js';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

/** The same answer for "no such drawing" and "a drawing of another room": nothing tells them apart. */
export const drawingNotFound = () => new HttpError(404, 'NOT_FOUND', 'no such drawing in this room');
export const roomNotFound = () => new HttpError(404, 'NOT_FOUND', 'no such room');

const VALIDATION_CODES: Record<string, string> = {
  querystring: 'INVALID_QUERY',
  params: 'INVALID_PATH',
  body: 'INVALID_PAYLOAD',
  headers: 'INVALID_HEADERS',
};

/** Fastify's own client errors, by their code, as ours. */
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_BAD_URL: 'BAD_URL',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
  FST_ERR_CTP_INVALID_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

export function toHttpError(err: unknown, log: Logger): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof RenderBusyError) return new HttpError(503, 'RENDER_BUSY', err.message);
  if ((err as { name?: string }).name === 'TimeoutError' || (err as { name?: string }).name === 'AbortError')
    return new HttpError(503, 'RENDER_TIMEOUT', 'the picture took too long to render');
  const e = err as FastifyError;
  if (hasZodFastifySchemaValidationErrors(e)) {
    const issue = e.validation[0];
    const where = e.validationContext ?? 'request';
    const path = issue?.instancePath?.replace(/^\//, '').replaceAll('/', '.') || where;
    return new HttpError(400, VALIDATION_CODES[where] ?? 'INVALID_REQUEST', `${path}: ${issue?.message ?? 'invalid'}`);
  }
  if (e.validation) return new HttpError(400, 'INVALID_REQUEST', e.message);
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    if (e.statusCode === 429) return new HttpError(429, 'RATE_LIMITED', 'too many requests; slow down');
    if (e.statusCode === 404) return new HttpError(404, 'NOT_FOUND', 'not found');
    // SyntaxError from the JSON body parser carries 400 and no Fastify code.
    const code = (e.code && FASTIFY_CODES[e.code]) ?? (e instanceof SyntaxError ? 'INVALID_JSON' : 'BAD_REQUEST');
    return new HttpError(e.statusCode, code, e.message);
  }
  log.error({ err }, 'request failed');
  return new HttpError(500, 'INTERNAL', 'the server could not complete this request');
}

export function sendError(reply: FastifyReply, err: HttpError): FastifyReply {
  // Errors answered before helmet's hook (an undecodable URL) still carry the security headers.
  for (const [name, value] of Object.entries(BARE_SECURITY_HEADERS)) if (!reply.hasHeader(name)) reply.header(name, value);
  return reply
    .code(err.status)
    .header('cache-control', 'no-store')
    .type('application/json; charset=utf-8')
    .send(JSON.stringify({ error: { code: err.code, message: err.message } }));
}

export function errorHandler(log: Logger) {
  return (err: unknown, _req: FastifyRequest, reply: FastifyReply) => sendError(reply, toHttpError(err, log));
}
