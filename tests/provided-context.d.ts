/** What the Vitest global set-up (tests/global-setup.ts) provides to every test file via `inject`. */
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** An admin URL of the PostgreSQL server tests create their own databases on. */
    databaseUrl: string;
    redisUrl: string;
  }
}
