/**
 * Notices a dead connection in about a second. Socket.IO's own heartbeat lets a silent network look open
 * for up to ~45 s; here anything heard from the server counts as a sign of life, a probe
 * (`connection:ping`) is sent after `probeAfterMs` of silence, the connection is *suspect* (reported as
 * reconnecting) after `suspectAfterMs`, and closed for a fresh one after `closeAfterMs`. Reporting early
 * but closing later means a gateway that is merely slow for a moment (busy CPU) costs no reconnection storm.
 */
export interface LivenessOptions {
  /** Silence before a probe is sent (and between probes while silent), in ms. */
  probeAfterMs: number;
  /** Silence after which the connection is reported as lost, in ms. */
  suspectAfterMs: number;
  /** Silence after which the connection is closed and a new one opened, in ms. */
  closeAfterMs: number;
  /** How often silence is checked, in ms. */
  tickMs: number;
}

/**
 * Reports within 1.4 s of the last sign of life (inside the 2 s issue 10 allows, with room for a busy
 * machine's late timers) while an idle client costs the gateway under two probes a second; a probe has
 * 700 ms to come back before the connection looks lost.
 */
export const DEFAULT_LIVENESS: LivenessOptions = { probeAfterMs: 600, suspectAfterMs: 1300, closeAfterMs: 4000, tickMs: 100 };

export type Vitality = 'alive' | 'suspect' | 'dead';

export class LivenessMonitor {
  private lastHeardAt: number;
  private lastProbeAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly options: LivenessOptions,
    now: number,
  ) {
    this.lastHeardAt = now;
  }

  /** Something arrived from the server. */
  heard(now: number): void {
    this.lastHeardAt = Math.max(this.lastHeardAt, now);
  }

  /** A new connection starts with a clean slate. */
  reset(now: number): void {
    this.lastHeardAt = now;
    this.lastProbeAt = Number.NEGATIVE_INFINITY;
  }

  silenceMs(now: number): number {
    return now - this.lastHeardAt;
  }

  /** The connection's state at `now`, and whether to send a probe now. */
  check(now: number): { vitality: Vitality; probe: boolean } {
    const silence = now - this.lastHeardAt;
    const vitality: Vitality = silence >= this.options.closeAfterMs ? 'dead' : silence >= this.options.suspectAfterMs ? 'suspect' : 'alive';
    const probe = vitality !== 'dead' && silence >= this.options.probeAfterMs && now - this.lastProbeAt >= this.options.probeAfterMs;
    if (probe) this.lastProbeAt = now;
    return { vitality, probe };
  }
}
