/**
 * Keeps a worker on the promoted model: listens on the models channel and hot-swaps the recognizer to a
 * newly promoted folder. Jobs in flight finish on the old model; a folder that fails to load is logged and
 * the current model stays.
 */
import { resolve } from 'node:path';
import { ModelEventSchema, trainingKeys } from '@inkling/protocol';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export async function followPromotions(deps: {
  redis: Redis;
  prefix: string;
  modelsDir: string;
  /** What serves the model: switches to a folder, resolving with the loaded model's version. */
  recognizer: { swap: (folder: string) => Promise<{ version: string }> };
  log: Logger;
}): Promise<{ close: () => Promise<void> }> {
  const channel = trainingKeys(deps.prefix).models;
  const sub = deps.redis.duplicate({ enableAutoPipelining: false });
  sub.on('error', (err) => deps.log.warn({ err: err.message }, 'model channel connection error'));
  let swapping: Promise<unknown> = Promise.resolve();
  sub.on('message', (ch: string, message: string) => {
    if (ch !== channel) return;
    let parsed: ReturnType<typeof ModelEventSchema.safeParse>;
    try {
      parsed = ModelEventSchema.safeParse(JSON.parse(message));
    } catch {
      deps.log.warn('ignored a malformed model event');
      return;
    }
    if (!parsed.success) return deps.log.warn('ignored an unknown model event');
    const event = parsed.data;
    switch (event.type) {
      case 'promoted': {
        const folder = resolve(deps.modelsDir, event.folder);
        swapping = swapping.then(() =>
          deps.recognizer.swap(folder).then(
            (meta) => deps.log.info({ model: meta.version, folder }, 'switched to the promoted model'),
            (err: unknown) =>
              deps.log.error({ err: (err as Error).message, folder }, 'could not load the promoted model; keeping the current one'),
          ),
        );
        return;
      }
      default: {
        const never: never = event.type;
        deps.log.warn({ type: never }, 'unhandled model event');
      }
    }
  });
  // Subscribing before the ready check would make ioredis fail it (INFO is refused in subscriber mode).
  if (sub.status !== 'ready') await new Promise((ready) => sub.once('ready', ready));
  await sub.subscribe(channel);
  return {
    close: async () => {
      await swapping;
      await sub.quit().catch(() => undefined);
    },
  };
}
