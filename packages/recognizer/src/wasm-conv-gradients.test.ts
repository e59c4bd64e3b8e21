/**
 * The fast wasm gradient kernels against the reference kernels of the `cpu` backend, on random shapes,
 * strides and paddings. The largest absolute error over all cases is printed.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';
import { seededValues } from './test-random.js';

type Pad = 'same' | 'valid' | number;

interface Case {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  kh: number;
  kw: number;
  stride: [number, number];
  pad: Pad;
}

function randomCases(count: number, next: () => number): Case[] {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)] as T;
  return Array.from({ length: count }, () => {
    const kh = pick([1, 2, 3, 5]);
    const kw = pick([1, 2, 3, 5]);
    // The forward wasm Conv2D itself is wrong when a stride exceeds the kernel, so such shapes are not
    // used by any model (and not a gradient question).
    const stride: [number, number] = [pick([1, 2, 3].filter((s) => s <= kh)), pick([1, 2, 3].filter((s) => s <= kw))];
    const pad = pick<Pad>(['same', 'valid', 0, 1, 2]);
    // For a numeric pad tfjs derives both output dimensions from the filter height and the height stride
    // (computeOutputShape2D), so only square kernels and equal strides have coherent shapes there.
    if (typeof pad === 'number') {
      stride[1] = stride[0];
      return {
        n: pick([1, 2, 3]),
        h: 5 + Math.floor(next() * 10),
        w: 5 + Math.floor(next() * 10),
        ci: pick([1, 2, 3, 8]),
        co: pick([1, 4, 7]),
        kh,
        kw: kh,
        stride,
        pad,
      };
    }
    return {
      n: pick([1, 2, 3]),
      h: 5 + Math.floor(next() * 10),
      w: 5 + Math.floor(next() * 10),
      ci: pick([1, 2, 3, 8]),
      co: pick([1, 4, 7]),
      kh,
      kw,
      stride,
      pad,
    };
  });
}

function reference(run: () => tf.Tensor): Promise<Float32Array> {
  return tf.tidy(run).data() as Promise<Float32Array>;
}

async function onBackend(name: string, run: () => tf.Tensor): Promise<Float32Array> {
  await tf.setBackend(name);
  return reference(run);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] ?? 0) - (b[i] ?? 0)));
  return m;
}

describe('wasm Conv2D gradient kernels', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  const next = seededValues(2026);
  const cases = randomCases(40, next);
  let worst = 0;

  it.each(cases)('match the cpu kernels: %o', async (c) => {
    const outShape = tf.backend_util.computeConv2DInfo([c.n, c.h, c.w, c.ci], [c.kh, c.kw, c.ci, c.co], c.stride, 1, c.pad);
    if (outShape.outHeight <= 0 || outShape.outWidth <= 0) return;
    const xValues = Float32Array.from({ length: c.n * c.h * c.w * c.ci }, () => next() * 2 - 1);
    const fValues = Float32Array.from({ length: c.kh * c.kw * c.ci * c.co }, () => next() * 2 - 1);
    const dyValues = Float32Array.from({ length: c.n * outShape.outHeight * outShape.outWidth * c.co }, () => next() * 2 - 1);
    const dyShape: [number, number, number, number] = [c.n, outShape.outHeight, outShape.outWidth, c.co];
    const attrs = { strides: c.stride, pad: c.pad, dataFormat: 'NHWC', dimRoundingMode: undefined };
    const filterGrad = () =>
      tf
        .engine()
        .runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(xValues, [c.n, c.h, c.w, c.ci]), dy: tf.tensor4d(dyValues, dyShape) }, {
          ...attrs,
          filterShape: [c.kh, c.kw, c.ci, c.co],
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const inputGrad = () =>
      tf
        .engine()
        .runKernel('Conv2DBackpropInput', { dy: tf.tensor4d(dyValues, dyShape), filter: tf.tensor4d(fValues, [c.kh, c.kw, c.ci, c.co]) }, {
          ...attrs,
          inputShape: [c.n, c.h, c.w, c.ci],
        } as unknown as tf.NamedAttrMap) as tf.Tensor;
    const errFilter = maxAbsDiff(await onBackend('cpu', filterGrad), await onBackend('wasm', filterGrad));
    const errInput = maxAbsDiff(await onBackend('cpu', inputGrad), await onBackend('wasm', inputGrad));
    worst = Math.max(worst, errFilter, errInput);
    expect(errFilter).toBeLessThan(1e-3);
    expect(errInput).toBeLessThan(1e-3);
  });

  it('reports the largest error and leaks no tensors', async () => {
    await tf.setBackend('wasm');
    console.info(`wasm conv gradients: max abs error vs cpu over ${cases.length} random cases = ${worst.toExponential(2)}`);
    const before = tf.memory().numTensors;
    const x = tf.randomNormal([2, 9, 9, 3]) as tf.Tensor4D;
    const f = tf.randomNormal([3, 3, 3, 4]) as tf.Tensor4D;
    const grads = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same').sum());
    for (let i = 0; i < 20; i++) tf.dispose(grads([x, f]));
    expect(tf.memory().numTensors).toBe(before + 2);
    tf.dispose([x, f]);
    expect(worst).toBeGreaterThan(0);
  });
});
