/** Plain-text rendering of the pen evaluation (`npm run eval -- <model> --pen`) and its summary for metadata. */
import type { PenMetrics } from '@inkling/protocol';
import type { NonDigitReport, NumberReport, SegmentationReport, SingleDigitReport } from './pen-eval.js';

const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

export interface PenReport {
  writers: number[];
  single: SingleDigitReport;
  numbers: NumberReport | null;
  nonDigits: NonDigitReport | null;
  segmentation: SegmentationReport | null;
}

export function formatPenReport(r: PenReport): string {
  const s = r.single;
  const lines = [
    `held-out pen writers ${r.writers.join(', ')} (live path: segmentation, preprocessing, served graph)`,
    `single digits: accuracy ${pct(s.accuracy)} on ${s.count} digits (${Math.round((1 - s.accuracy) * s.count)} errors); ` +
      `"not a digit" for ${pct(s.rejected)}; "not sure" for ${pct(s.notSure)}, the others read right ${pct(s.sureAccuracy)}; ` +
      `expected calibration error ${pct(s.expectedCalibrationError)}`,
    '',
    'confusion matrix (rows: true digit, columns: read as; ND = not a digit, split = read as several digits)',
    `${'true'.padEnd(6)}${[...Array.from({ length: 10 }, (_, d) => String(d)), 'ND', 'split'].map((c) => c.padStart(6)).join('')}  per-class`,
  ];
  s.confusion.forEach((row, digit) => {
    const total = row.reduce((a, b) => a + b, 0);
    lines.push(
      `${String(digit).padEnd(6)}${row.map((n) => String(n).padStart(6)).join('')}  ${pct((row[digit] ?? 0) / Math.max(1, total))}`,
    );
  });
  lines.push('', `per writer: ${s.perWriter.map((w) => `${w.writer}: ${pct(w.accuracy, 1)} of ${w.count}`).join(', ')}`);
  lines.push(`worst confusions: ${s.worst.map((w) => `${w.actual} → ${w.predicted} ×${w.count}`).join(', ') || 'none'}`);
  if (r.numbers) {
    const n = r.numbers;
    lines.push(
      '',
      `numbers (2–4 digits of one writer side by side, gaps 0.15–0.6 × height, sizes ±20 %): ${pct(n.accuracy)} of ${n.count} read right as a whole; wrong digit count ${pct(n.wrongLength)}`,
    );
    if (n.examples.length > 0) lines.push(`  misread: ${n.examples.map((e) => `${e.text} → ${e.read || '""'}`).join(', ')}`);
  }
  if (r.nonDigits) {
    const nd = r.nonDigits;
    lines.push(
      '',
      `non-digits (generated, test seed): ${pct(nd.rejected, 1)} of ${nd.count} answered "not a digit"`,
      `  by kind: ${nd.perKind.map((k) => `${k.kind} ${pct(k.rejected, 0)} of ${k.count}`).join(', ')}`,
    );
  }
  if (r.segmentation) {
    const g = r.segmentation;
    lines.push(
      '',
      `segmentation: pairs of held-out digits at gap × height → false merges: ${g.pairs.map((p) => `${p.gap}: ${pct(p.falseMerges, 1)}`).join(', ')} (${g.pairs[0]?.count ?? 0} pairs per gap)`,
      `  false splits of single digits: ${pct(g.falseSplits)} of ${g.singles}`,
    );
  }
  return lines.join('\n');
}

export function toPenMetrics(r: PenReport): PenMetrics {
  return {
    accuracy: r.single.accuracy,
    count: r.single.count,
    writers: r.writers,
    numberAccuracy: r.numbers?.accuracy ?? null,
    numberCount: r.numbers?.count ?? 0,
    digitsRejected: r.single.rejected,
    nonDigitsRejected: r.nonDigits?.rejected ?? null,
    expectedCalibrationError: r.single.expectedCalibrationError,
  };
}
