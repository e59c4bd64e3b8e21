/**
 * Terminal progress for training: a live bar on a TTY (epoch, batch, loss, accuracy, images/s, ETA), one
 * line per epoch otherwise (CI logs).
 */

import type { TrainingProgress } from '@inkling/protocol';
import cliProgress from 'cli-progress';

export function formatEta(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const s = Math.round(seconds);
  const m = Math.floor(s / 60);
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`;
}

export function createProgressReporter(stream: NodeJS.WriteStream = process.stderr): {
  onProgress: (p: TrainingProgress) => void;
  stop: () => void;
} {
  const tty = Boolean(stream.isTTY);
  const bar = tty
    ? new cliProgress.SingleBar(
        {
          stream,
          format: 'epoch {epoch}/{epochs} [{bar}] {value}/{total} batches | loss {loss} | acc {acc} | {ips} img/s | ETA {eta}',
          hideCursor: true,
          barsize: 24,
        },
        cliProgress.Presets.shades_classic,
      )
    : null;
  let barEpoch = 0;
  return {
    onProgress(p) {
      switch (p.type) {
        case 'batch': {
          const payload = {
            epoch: p.epoch,
            epochs: p.epochs,
            loss: p.loss.toFixed(4),
            acc: `${(p.accuracy * 100).toFixed(2)}%`,
            ips: Math.round(p.imagesPerSec),
            eta: formatEta(p.etaSec),
          };
          if (!bar) {
            // Logs (nohup, CI): a line every 100 batches so a long epoch still shows it is alive.
            if (p.batch % 100 === 0)
              stream.write(
                `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} | loss ${payload.loss} | acc ${payload.acc} | ${payload.ips} img/s | ETA ${payload.eta}\n`,
              );
            return;
          }
          if (barEpoch !== p.epoch) {
            if (barEpoch !== 0) bar.stop();
            bar.start(p.batches, p.batch, payload);
            barEpoch = p.epoch;
          } else bar.update(p.batch, payload);
          return;
        }
        case 'epoch': {
          if (bar) {
            bar.stop();
            barEpoch = 0;
          }
          const val = p.validationAccuracy === null ? '' : ` | test acc ${(p.validationAccuracy * 100).toFixed(2)}%`;
          stream.write(
            `epoch ${p.epoch}/${p.epochs} done | loss ${p.loss.toFixed(4)} | train acc ${(p.accuracy * 100).toFixed(2)}%${val} | ${Math.round(p.imagesPerSec)} img/s | ETA ${formatEta(p.etaSec)}\n`,
          );
          return;
        }
        default: {
          const never: never = p;
          throw new Error(`unknown progress ${JSON.stringify(never)}`);
        }
      }
    },
    stop() {
      bar?.stop();
    },
  };
}
