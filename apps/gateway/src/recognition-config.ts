/** The gateway's recognition settings (environment variables), merged into its configuration schema. */
import { z } from 'zod';

export const RecognitionEnvSchema = z.object({
  /** How often the reconciler looks for rooms whose latest revision has no stored prediction. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
  /** Explicit Recognize requests allowed per room in each RECOGNIZE_WINDOW_MS (excess: RATE_LIMITED). */
  RECOGNIZE_LIMIT_PER_ROOM: z.coerce.number().int().min(1).default(5),
  RECOGNIZE_WINDOW_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * A batch of recognition requests leaves at most once per this many milliseconds: requests made within the
   * window gather into one job (a request after a quiet spell leaves at once; an explicit Recognize never
   * waits). Every job costs BullMQ its scripts and round trips in the gateway, a worker and Redis, so under load
   * fewer, larger jobs cost much less CPU per commit (`npm run bench:load`, README); 0 turns the window off.
   */
  RECOGNITION_BATCH_MS: z.coerce.number().int().min(0).max(1000).default(50),
  /** Fault injection for tests and `npm run chaos`: delay between a commit and its recognition request (0 = off). */
  FAULT_ENQUEUE_DELAY_MS: z.coerce.number().int().min(0).default(0),
  /**
   * Carry hop times (accepted → committed → … → emitted) in recognition jobs and published predictions, for
   * `npm run bench:load`'s hop table (see packages/protocol/src/pipeline-trace.ts). Off by default.
   */
  PIPELINE_TRACE: z
    .union([z.boolean(), z.enum(['0', '1', 'true', 'false'])])
    .default(false)
    .transform((v) => v === true || v === '1' || v === 'true'),
});
