/**
 * Draws strokes on a 2D canvas: smooth curves through the points (quadratic segments between midpoints),
 * round caps, a brush width relative to the board so every screen shows the same drawing.
 */
import type { Point } from '@inkling/protocol';

/** Brush width as a share of the board's side. */
export const BRUSH = 0.035;

export interface InkStroke {
  points: readonly Point[];
  color: string;
  alpha?: number;
}

export function drawStroke(ctx: CanvasRenderingContext2D, stroke: InkStroke, sizePx: number): void {
  const pts = stroke.points;
  const first = pts[0];
  if (!first) return;
  ctx.save();
  ctx.globalAlpha = stroke.alpha ?? 1;
  ctx.strokeStyle = stroke.color;
  ctx.fillStyle = stroke.color;
  ctx.lineWidth = BRUSH * sizePx;
  ctx.lineCap = 'round';
  ctx.lineJoin = 'round';
  if (pts.length === 1) {
    ctx.beginPath();
    ctx.arc(first[0] * sizePx, first[1] * sizePx, (BRUSH * sizePx) / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.beginPath();
    ctx.moveTo(first[0] * sizePx, first[1] * sizePx);
    for (let i = 1; i < pts.length - 1; i++) {
      const p = pts[i] as Point;
      const q = pts[i + 1] as Point;
      ctx.quadraticCurveTo(p[0] * sizePx, p[1] * sizePx, ((p[0] + q[0]) / 2) * sizePx, ((p[1] + q[1]) / 2) * sizePx);
    }
    const last = pts[pts.length - 1] as Point;
    ctx.lineTo(last[0] * sizePx, last[1] * sizePx);
    ctx.stroke();
  }
  ctx.restore();
}

export function drawStrokes(ctx: CanvasRenderingContext2D, strokes: readonly InkStroke[], sizePx: number, background: string | null): void {
  if (background) {
    ctx.fillStyle = background;
    ctx.fillRect(0, 0, sizePx, sizePx);
  } else ctx.clearRect(0, 0, sizePx, sizePx);
  for (const s of strokes) drawStroke(ctx, s, sizePx);
}
