/**
 * The Grafana dashboard and the alert rules in infra/grafana only use metrics the services define, with the
 * labels they have (a renamed metric would otherwise leave a silent, empty panel or an alert that never fires).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');

/** Metric names (and label names) declared in the apps' sources: `name: 'inkling_…'`, `labelNames: [...]`. */
function declaredMetrics(): Map<string, string[]> {
  const metrics = new Map<string, string[]>();
  for (const app of ['gateway', 'worker']) {
    const dir = join(ROOT, 'apps', app, 'src');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))) {
      const source = readFileSync(join(dir, file), 'utf8');
      for (const m of source.matchAll(/name: '(inkling_\w+)',[\s\S]*?registers/g)) {
        const labels = /labelNames: \[([^\]]*)\]/.exec(m[0])?.[1] ?? '';
        metrics.set(
          m[1] as string,
          [...labels.matchAll(/'(\w+)'/g)].map((l) => l[1] as string),
        );
      }
    }
  }
  return metrics;
}

function queries(): string[] {
  const dashboard = JSON.parse(readFileSync(join(ROOT, 'infra', 'grafana', 'inkling-dashboard.json'), 'utf8')) as {
    panels: { targets?: { expr: string }[] }[];
  };
  const alerts = readFileSync(join(ROOT, 'infra', 'grafana', 'alerts.yml'), 'utf8');
  const alertExprs = [...alerts.matchAll(/expr: (?:>-\n)?([\s\S]*?)\n\s+(?:for|labels):/g)].map((m) => m[1] as string);
  return [...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)), ...alertExprs];
}

describe('dashboard and alerts', () => {
  it('use only metrics and labels the gateway and workers export', () => {
    const declared = declaredMetrics();
    const exprs = queries();
    expect(exprs.length).toBeGreaterThan(15);
    for (const expr of exprs) {
      for (const [, metric, selector] of expr.matchAll(/(inkling_\w+?)(?:_bucket|_sum|_count)?(?:\{([^}]*)\}|\b)/g)) {
        const name = metric as string;
        // Default Node.js metrics, prefixed per service.
        if (/^inkling_(gateway|worker)_nodejs_/.test(name)) continue;
        const base = declared.has(name) ? name : name.replace(/_(bucket|sum|count)$/, '');
        expect(declared.has(base), `${name} in: ${expr}`).toBe(true);
        for (const [, label] of (selector ?? '').matchAll(/(\w+)\s*[!=]~?/g))
          expect(declared.get(base), `label ${label} of ${base}`).toContain(label);
      }
    }
  });
});
