/** Plain-text rendering of an evaluation: accuracy, per-class accuracy and the confusion matrix. */
import type { Evaluation } from './evaluate.js';

const pct = (x: number, digits = 2): string => `${(x * 100).toFixed(digits)}%`;

export function formatEvaluation(evaluation: Evaluation, title: string): string {
  const total = evaluation.confusionMatrix.reduce((sum, row) => sum + row.reduce((a, b) => a + b, 0), 0);
  const width = Math.max(5, String(Math.max(...evaluation.confusionMatrix.flat())).length + 1);
  const cell = (s: string): string => s.padStart(width);
  const lines = [
    `${title}: accuracy ${pct(evaluation.accuracy)} on ${total + evaluation.rejected} images (${Math.round((1 - evaluation.accuracy) * (total + evaluation.rejected))} errors)`,
    ...(evaluation.rejected > 0
      ? [
          `${evaluation.rejected} answered "not a digit" (counted as errors); the most likely digit alone reads ${pct(evaluation.digitAccuracy)}`,
        ]
      : []),
    '',
    'confusion matrix (rows: true digit, columns: predicted digit)',
    `${'true'.padEnd(6)}${Array.from({ length: 10 }, (_, d) => cell(String(d))).join('')}${cell('')}  per-class`,
  ];
  evaluation.confusionMatrix.forEach((row, digit) => {
    lines.push(
      `${String(digit).padEnd(6)}${row.map((n) => cell(String(n))).join('')}${cell('')}  ${pct(evaluation.perClassAccuracy[digit] ?? 0)}`,
    );
  });
  return lines.join('\n');
}
