/**
 * The security headers of responses that do not go through helmet: Socket.IO's own HTTP responses (the
 * polling transport bypasses Fastify) and errors Fastify answers before any hook runs (a URL it cannot decode).
 * Nothing in such a response is a page: it may load nothing and be framed by no one.
 */
export const BARE_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
};
