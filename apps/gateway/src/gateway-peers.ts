/**
 * Whether other gateways share this deployment. While a gateway is alone, room events are emitted to its
 * own sockets only, skipping the Redis adapter's publish (and the copy of every broadcast that comes back to
 * its own subscriber); with peers, everything goes through the adapter as usual.
 *
 * Every gateway subscribes to one channel and then announces itself on it, before it accepts connections, so
 * a running gateway hears a newcomer before the newcomer can have a client in any room. Departures are noticed
 * by counting the channel's subscribers every `checkMs`. When unsure (Redis unreachable), a gateway is not alone.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';

export interface GatewayPeers {
  /** True while no other gateway is known to be running. */
  readonly alone: boolean;
  close: () => Promise<void>;
}

export async function watchGatewayPeers(deps: {
  /** A command connection (PUBLISH, PUBSUB NUMSUB). */
  redis: Redis;
  /** A connection in subscriber mode this watcher may add a channel to. */
  subscriber: Redis;
  prefix: string;
  checkMs: number;
  log: Logger;
}): Promise<GatewayPeers> {
  const channel = `${deps.prefix}:gateways`;
  const me = randomBytes(8).toString('hex');
  let alone = false;
  /** Bumped by every announcement heard, so a count sent before it cannot overrule it. */
  let heard = 0;

  deps.subscriber.on('message', (ch: string, message: string) => {
    if (ch !== channel || message === me) return;
    heard++;
    if (alone) deps.log.info('another gateway started: room events go through Redis');
    alone = false;
  });
  await deps.subscriber.subscribe(channel);
  await deps.redis.publish(channel, me);

  const check = async () => {
    const before = heard;
    try {
      const reply = (await deps.redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number | string];
      if (heard !== before) return;
      const nowAlone = Number(reply[1]) <= 1;
      if (nowAlone !== alone)
        deps.log.info({ alone: nowAlone }, nowAlone ? 'no other gateway: room events stay local' : 'other gateways found');
      alone = nowAlone;
    } catch {
      alone = false;
    }
  };
  await check();
  const timer = setInterval(() => void check(), deps.checkMs);
  timer.unref();

  return {
    get alone() {
      return alone;
    },
    close: async () => {
      clearInterval(timer);
      await deps.subscriber.unsubscribe(channel).catch(() => undefined);
    },
  };
}
