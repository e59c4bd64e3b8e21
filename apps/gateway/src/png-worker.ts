/**
 * Worker-thread entry of the PNG renderer (png-renderer.ts): renders one drawing off the gateway's event
 * loop. Strokes arrive flattened (x, y pairs and per-stroke lengths) so they cross threads without copying.
 */
import { Piscina } from 'piscina';
import { renderDrawingPng } from './png.js';

export interface PngTask {
  /** x0, y0, x1, y1, … of every stroke, one after another. */
  xy: Float64Array;
  /** Points per stroke. */
  lengths: Uint32Array;
  sizePx: number;
}

export default function render({ xy, lengths, sizePx }: PngTask): Uint8Array {
  const strokes: { points: [number, number, number][] }[] = [];
  let at = 0;
  for (const n of lengths) {
    const points: [number, number, number][] = [];
    for (let i = 0; i < n; i++, at += 2) points.push([xy[at] as number, xy[at + 1] as number, 0]);
    strokes.push({ points });
  }
  const png = new Uint8Array(renderDrawingPng(strokes, sizePx));
  return Piscina.move(png) as Uint8Array;
}
