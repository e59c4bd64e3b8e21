/**
 * The page's Content-Security-Policy forbids eval: zod must not even try to compile its validators with it
 * (the attempt alone is a CSP violation). Imported first by main.ts, so it runs before any module that uses
 * a schema, whatever the import order below it.
 */
import { z } from 'zod';

z.config({ jitless: true });
