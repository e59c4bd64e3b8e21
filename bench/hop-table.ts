/**
 * Aggregates pipeline traces (see packages/protocol/src/pipeline-trace.ts) into one row per hop: from each
 * recorded hop to the next recorded one, p50 / p99 / mean in ms over the traced predictions. A request a
 * worker made again itself (a change that came while the room's job ran) has no commit hop, so its wait
 * shows as its own row (accepted → enqueued).
 */
import { type PipelineTrace, TRACE_HOPS } from '@inkling/protocol';
import { percentile } from './table.js';

export function hopRows(traces: readonly PipelineTrace[]): Record<string, string | number>[] {
  const byHop = new Map<string, { order: number; values: number[] }>();
  const add = (label: string, order: number, ms: number) => {
    const entry = byHop.get(label) ?? { order, values: [] };
    entry.values.push(ms);
    byHop.set(label, entry);
  };
  for (const trace of traces) {
    let previous = -1;
    for (let i = 0; i < trace.length; i++) {
      const at = trace[i];
      if (at === null || at === undefined) continue;
      const from = previous >= 0 ? trace[previous] : null;
      if (from !== null && from !== undefined) add(`${TRACE_HOPS[previous]} → ${TRACE_HOPS[i]}`, previous * 100 + i, at - from);
      previous = i;
    }
    const first = trace[0];
    const last = trace[TRACE_HOPS.length - 1];
    if (typeof first === 'number' && typeof last === 'number') add('accepted → received (total)', 10_000, last - first);
  }
  return [...byHop.entries()]
    .sort((a, b) => a[1].order - b[1].order)
    .map(([hop, { values }]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return {
        hop,
        count: values.length,
        'p50 ms': percentile(sorted, 50).toFixed(2),
        'p99 ms': percentile(sorted, 99).toFixed(2),
        'mean ms': (values.reduce((s, v) => s + v, 0) / values.length).toFixed(2),
      };
    });
}
