/**
 * Worker-thread entry of the PNG renderer (png-renderer.ts): parses and renders one drawing off the
 * gateway's event loop. The strokes arrive as the database's JSON text, so even parsing happens here.
 */
import { Piscina } from 'piscina';
import { renderDrawingPng } from './png.js';

export interface PngTask {
  /** JSON array of the strokes' point arrays (`[[[x, y, t], …], …]`), in drawing order. */
  pointsJson: string;
  sizePx: number;
}

export default function render({ pointsJson, sizePx }: PngTask): Uint8Array {
  const points = JSON.parse(pointsJson) as [number, number, number][][];
  const png = new Uint8Array(
    renderDrawingPng(
      points.map((p) => ({ points: p })),
      sizePx,
    ),
  );
  return Piscina.move(png) as Uint8Array;
}
