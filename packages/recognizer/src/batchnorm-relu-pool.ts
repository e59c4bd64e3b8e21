/**
 * Training-mode BatchNorm → ReLU (→ 2×2 max-pool, stride 2, 'valid') as one op with one gradient, for the
 * wasm backend.
 *
 * Through the Layers API a conv block's BatchNorm and ReLU cost ~40 kernel calls per training step
 * (moments by transpose + mean, the normalisation, the moving averages, the ReLU mask by step + cast + mul,
 * then MaxPoolGrad and the BatchNorm gradient's full-size reductions), most of them full passes over the
 * largest activations of the network. Here the forward pass is one JavaScript pass over the input for the
 * per-channel statistics (in doubles), normalise + ReLU as a 1×1 depthwise convolution with a fused bias and
 * ReLU (an XNNPACK kernel of the wasm backend), then one branch-free JavaScript pass that pools and remembers
 * which input won each window. The backward pass sums over the pooled gradient in JavaScript, computes the
 * per-channel affine part of dx with the same depthwise kernel and adds the pooled gradient at the winners.
 * The JavaScript runs directly on the wasm heap (channels are the innermost axis, so loops walk memory in
 * order).
 *
 * The gradient is the full training-mode one (through the batch mean and variance), identical in value to
 * the unfused path: tests compare both on random inputs. Only registered for the wasm backend; elsewhere
 * the training graph is not used and the layers run as usual.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelScope, type WasmBackend } from './wasm-kernel-scope.js';

export const BN_RELU_POOL = 'InklingBatchNormReluPool';
export const BN_RELU_POOL_GRAD = 'InklingBatchNormReluPoolGrad';

type TensorInfo = tf.TensorInfo;

export interface BatchNormReluPoolAttrs {
  epsilon: number;
  /** true: 2×2 max-pool with stride 2 over the two spatial axes of an NHWC input (odd edges dropped). */
  pool: boolean;
}

/** The op was given shapes it does not handle (a programming error in the caller, not bad data). */
export class FusedKernelError extends Error {
  readonly code = 'FUSED_KERNEL_SHAPE';
  constructor(
    readonly kernel: string,
    readonly reason: string,
  ) {
    super(`${kernel}: ${reason}`);
    this.name = 'FusedKernelError';
  }
}

const f32 = (backend: WasmBackend, info: TensorInfo) => backend.typedArrayFromHeap(info) as Float32Array;
const i32 = (backend: WasmBackend, info: TensorInfo) => backend.typedArrayFromHeap(info) as Int32Array;
/** The same memory as int32 bit patterns. */
const bits = (values: Float32Array) => new Int32Array(values.buffer, values.byteOffset, values.length);

function channelsOf(x: TensorInfo, pool: boolean, kernel: string): number {
  if (pool ? x.shape.length !== 4 : x.shape.length < 2) {
    throw new FusedKernelError(kernel, `input of shape [${x.shape}] (pool ${pool})`);
  }
  return x.shape[x.shape.length - 1] as number;
}

function pooledShape(shape: number[]): [number, number, number, number] {
  const [n, h, w, c] = shape as [number, number, number, number];
  return [n, Math.floor(h / 2), Math.floor(w / 2), c];
}

/**
 * Rows per block when a loop walks one channel at a time through a block (per-channel sums and factors stay in
 * registers; ≈2× faster in V8 than indexing per-channel arrays for every element).
 */
const STATS_BLOCK_ROWS = 256;

/** Per-channel Σx and Σx² (in doubles) of an array whose last axis has `c` channels. */
function channelSums(x: Float32Array, c: number): { sum: Float64Array; sumSq: Float64Array } {
  const sum = new Float64Array(c);
  const sumSq = new Float64Array(c);
  const rows = x.length / c;
  for (let r0 = 0; r0 < rows; r0 += STATS_BLOCK_ROWS) {
    const end = Math.min(rows, r0 + STATS_BLOCK_ROWS) * c;
    for (let k = 0; k < c; k++) {
      let s = 0;
      let q = 0;
      for (let i = r0 * c + k; i < end; i += c) {
        const v = x[i] as number;
        s += v;
        q += v * v;
      }
      sum[k] = (sum[k] as number) + s;
      sumSq[k] = (sumSq[k] as number) + q;
    }
  }
  return { sum, sumSq };
}

/**
 * 2×2 / stride 2 max-pool of `z` (ReLU output, so ≥ 0) into `y`, and for each output the flat index of the
 * first (row-major) maximum of its window, or −1 where the output is 0 (it passes no gradient). Non-negative floats order like their
 * int32 bit patterns, so this works on int32 views without branches (≈2.4× faster in V8 than comparing floats,
 * whose branches the data makes unpredictable). −0 counts as 0.
 */
function poolWinners(z: Int32Array, y: Int32Array, switches: Int32Array, shape: number[]): void {
  const [n, h, w, c] = shape as [number, number, number, number];
  const oh = Math.floor(h / 2);
  const ow = Math.floor(w / 2);
  const rowStride = w * c;
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < oh; r++) {
      const inRow = (b * h + 2 * r) * rowStride;
      const outRow = (b * oh + r) * ow * c;
      for (let k = 0; k < c; k++) {
        for (let q = 0; q < ow; q++) {
          const p00 = inRow + 2 * q * c + k;
          const p10 = p00 + rowStride;
          let a0 = z[p00] as number;
          let a1 = z[p00 + c] as number;
          let a2 = z[p10] as number;
          let a3 = z[p10 + c] as number;
          a0 &= ~(a0 >> 31);
          a1 &= ~(a1 >> 31);
          a2 &= ~(a2 >> 31);
          a3 &= ~(a3 >> 31);
          // s = 1 when the later element is strictly greater (the first maximum wins ties).
          const s01 = (a0 - a1) >>> 31;
          const m01 = a0 + ((a1 - a0) & -s01);
          const i01 = p00 + (c & -s01);
          const s23 = (a2 - a3) >>> 31;
          const m23 = a2 + ((a3 - a2) & -s23);
          const i23 = p10 + (c & -s23);
          const s = (m01 - m23) >>> 31;
          const m = m01 + ((m23 - m01) & -s);
          const at = i01 + ((i23 - i01) & -s);
          const positive = -((0 - m) >>> 31); // −1 when m > 0, else 0
          const o = outRow + q * c + k;
          y[o] = m & positive;
          switches[o] = (at & positive) | ~positive;
        }
      }
    }
  }
}

/**
 * Outputs: y (normalised, ReLU'd, pooled when asked), the batch mean and (biased) variance per channel, and
 * `switches`: for each element of y the flat index of the input element it came from, or −1 when its value
 * is 0 (so it passes no gradient). Without pooling, `switches` is y's ReLU mask as 1/0.
 */
function forwardKernel(args: {
  inputs: { x: TensorInfo; gamma: TensorInfo; beta: TensorInfo };
  attrs: BatchNormReluPoolAttrs;
  backend: unknown;
}) {
  const backend = args.backend as WasmBackend;
  const { x: xInfo, gamma: gammaInfo, beta: betaInfo } = args.inputs;
  const { epsilon, pool } = args.attrs;
  const c = channelsOf(xInfo, pool, BN_RELU_POOL);
  const outShape = pool ? pooledShape(xInfo.shape) : xInfo.shape;
  const yInfo = backend.makeOutput(outShape, 'float32');
  const meanInfo = backend.makeOutput([c], 'float32');
  const varInfo = backend.makeOutput([c], 'float32');
  const switchInfo = backend.makeOutput(outShape, 'int32');
  // Views only after every allocation: growing the heap detaches earlier views.
  const x = f32(backend, xInfo);
  const gamma = f32(backend, gammaInfo);
  const beta = f32(backend, betaInfo);
  const y = f32(backend, yInfo);
  const meanOut = f32(backend, meanInfo);
  const varOut = f32(backend, varInfo);
  const switches = i32(backend, switchInfo);

  const count = x.length / c;
  const { sum, sumSq } = channelSums(x, c);
  const scale = new Float64Array(c);
  const shift = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const mean = (sum[k] as number) / count;
    const variance = Math.max(0, (sumSq[k] as number) / count - mean * mean);
    meanOut[k] = mean;
    varOut[k] = variance;
    scale[k] = (gamma[k] as number) / Math.sqrt(variance + epsilon);
    shift[k] = (beta[k] as number) - mean * (scale[k] as number);
  }

  if (!pool) {
    for (let i = 0; i < x.length; i += c) {
      for (let k = 0; k < c; k++) {
        const z = (x[i + k] as number) * (scale[k] as number) + (shift[k] as number);
        const positive = z > 0;
        y[i + k] = positive ? z : 0;
        switches[i + k] = positive ? 1 : 0;
      }
    }
    return [yInfo, meanInfo, varInfo, switchInfo];
  }

  // Normalise + ReLU as a 1×1 depthwise convolution with bias (XNNPACK), then each window's winner in JS.
  const s = new KernelScope(backend);
  const filter = s.alloc([1, 1, c, 1]);
  const bias = s.alloc([c]);
  f32(backend, filter).set(scale);
  f32(backend, bias).set(shift);
  const normalised = s.run(
    'FusedDepthwiseConv2D',
    { x: xInfo, filter, bias },
    {
      strides: [1, 1],
      pad: 'valid',
      dilations: [1, 1],
      dataFormat: 'NHWC',
      dimRoundingMode: undefined,
      activation: 'relu',
      leakyreluAlpha: 0,
    },
  );
  poolWinners(bits(f32(backend, normalised)), bits(f32(backend, yInfo)), i32(backend, switchInfo), xInfo.shape);
  s.finishAll([]);
  return [yInfo, meanInfo, varInfo, switchInfo];
}

/**
 * dz is dy routed through the pooling switches (or the ReLU mask); then with x̂ = (x − μ)·r, r = 1/√(σ² + ε)
 * and M elements per channel: dβ = Σdz, dγ = Σ dz·x̂, dx = γr·(dz − dβ/M − x̂·dγ/M).
 */
function backwardKernel(args: {
  inputs: { dy: TensorInfo; x: TensorInfo; gamma: TensorInfo; mean: TensorInfo; variance: TensorInfo; switches: TensorInfo };
  attrs: BatchNormReluPoolAttrs;
  backend: unknown;
}) {
  const backend = args.backend as WasmBackend;
  const { epsilon, pool } = args.attrs;
  const inputs = args.inputs;
  const c = channelsOf(inputs.x, pool, BN_RELU_POOL_GRAD);
  // Views are taken again after each allocation (allocating can move the heap).
  let dy = f32(backend, inputs.dy);
  let x = f32(backend, inputs.x);
  let switches = i32(backend, inputs.switches);
  const gamma = f32(backend, inputs.gamma);
  const meanIn = f32(backend, inputs.mean);
  const varIn = f32(backend, inputs.variance);

  // Σdz and Σdz·x per channel (dz is nonzero only where a switch points). Blocks of rows, one channel at
  // a time, as in channelSums.
  const sumDz = new Float64Array(c);
  const sumDzX = new Float64Array(c);
  const rows = dy.length / c;
  for (let r0 = 0; r0 < rows; r0 += STATS_BLOCK_ROWS) {
    const end = Math.min(rows, r0 + STATS_BLOCK_ROWS) * c;
    for (let k = 0; k < c; k++) {
      let sg = 0;
      let sgx = 0;
      for (let o = r0 * c + k; o < end; o += c) {
        const sw = switches[o] as number;
        if (pool ? sw < 0 : sw === 0) continue;
        const g = dy[o] as number;
        sg += g;
        sgx += g * (x[pool ? sw : o] as number);
      }
      sumDz[k] = (sumDz[k] as number) + sg;
      sumDzX[k] = (sumDzX[k] as number) + sgx;
    }
  }

  const count = x.length / c;
  // dx = a·dz + b + cx·x per channel.
  const a = new Float64Array(c);
  const b = new Float64Array(c);
  const cx = new Float64Array(c);
  const dGamma = new Float64Array(c);
  for (let k = 0; k < c; k++) {
    const mean = meanIn[k] as number;
    const r = 1 / Math.sqrt((varIn[k] as number) + epsilon);
    const dBeta = sumDz[k] as number;
    dGamma[k] = r * ((sumDzX[k] as number) - mean * dBeta);
    const g = (gamma[k] as number) * r;
    a[k] = g;
    cx[k] = (-g * r * (dGamma[k] as number)) / count;
    b[k] = (-g * dBeta) / count - mean * (cx[k] as number);
  }
  const dGammaInfo = backend.makeOutput([c], 'float32');
  const dBetaInfo = backend.makeOutput([c], 'float32');

  let dxInfo: TensorInfo;
  if (pool) {
    // b + cx·x everywhere as a 1×1 depthwise convolution with bias (XNNPACK), then a·dy at each winner.
    const s = new KernelScope(backend);
    const filter = s.alloc([1, 1, c, 1]);
    const bias = s.alloc([c]);
    f32(backend, filter).set(cx);
    f32(backend, bias).set(b);
    dxInfo = s.run(
      'FusedDepthwiseConv2D',
      { x: inputs.x, filter, bias },
      {
        strides: [1, 1],
        pad: 'valid',
        dilations: [1, 1],
        dataFormat: 'NHWC',
        dimRoundingMode: undefined,
        activation: 'linear',
        leakyreluAlpha: 0,
      },
    );
    s.finishAll([dxInfo]);
    const dx = f32(backend, dxInfo);
    dy = f32(backend, inputs.dy);
    switches = i32(backend, inputs.switches);
    for (let r0 = 0; r0 < rows; r0 += STATS_BLOCK_ROWS) {
      const end = Math.min(rows, r0 + STATS_BLOCK_ROWS) * c;
      for (let k = 0; k < c; k++) {
        const ak = a[k] as number;
        for (let o = r0 * c + k; o < end; o += c) {
          const at = switches[o] as number;
          if (at >= 0) dx[at] = (dx[at] as number) + ak * (dy[o] as number);
        }
      }
    }
  } else {
    dxInfo = backend.makeOutput(inputs.x.shape, 'float32');
    const dx = f32(backend, dxInfo);
    dy = f32(backend, inputs.dy);
    x = f32(backend, inputs.x);
    switches = i32(backend, inputs.switches);
    for (let r0 = 0; r0 < rows; r0 += STATS_BLOCK_ROWS) {
      const end = Math.min(rows, r0 + STATS_BLOCK_ROWS) * c;
      for (let k = 0; k < c; k++) {
        const ak = a[k] as number;
        const bk = b[k] as number;
        const ck = cx[k] as number;
        for (let i = r0 * c + k; i < end; i += c) dx[i] = (switches[i] === 0 ? 0 : ak * (dy[i] as number)) + bk + ck * (x[i] as number);
      }
    }
  }
  f32(backend, dGammaInfo).set(dGamma);
  f32(backend, dBetaInfo).set(sumDz);
  return [dxInfo, dGammaInfo, dBetaInfo];
}

let registered = false;

/** Registers both kernels for the wasm backend (idempotent). */
export function registerBatchNormReluPoolKernels(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: BN_RELU_POOL, backendName: 'wasm', kernelFunc: forwardKernel as unknown as tf.KernelFunc });
  tf.registerKernel({ kernelName: BN_RELU_POOL_GRAD, backendName: 'wasm', kernelFunc: backwardKernel as unknown as tf.KernelFunc });
}

/** True when the active backend can run the fused op. */
export function batchNormReluPoolAvailable(): boolean {
  return tf.getKernel(BN_RELU_POOL, tf.getBackend()) !== undefined && tf.getKernel(BN_RELU_POOL_GRAD, tf.getBackend()) !== undefined;
}

export interface BatchNormReluPoolResult {
  y: tf.Tensor;
  /** The batch statistics (for the moving averages); not differentiable. */
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * relu(batchNorm(x)) with batch statistics over every axis but the last, then (with `pool`) 2×2 max-pool.
 * Differentiable with respect to x, gamma and beta. The returned mean and variance belong to the caller.
 */
export function batchNormReluPool(
  x: tf.Tensor,
  gamma: tf.Tensor1D,
  beta: tf.Tensor1D,
  attrs: BatchNormReluPoolAttrs,
): BatchNormReluPoolResult {
  let stats: [tf.Tensor1D, tf.Tensor1D] | undefined;
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xIn, gammaIn, betaIn, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc];
    const [y, mean, variance, switches] = tf
      .engine()
      .runKernel(BN_RELU_POOL, { x: xIn, gamma: gammaIn, beta: betaIn }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
    stats = [tf.keep(mean as tf.Tensor1D), tf.keep(variance as tf.Tensor1D)];
    save([xIn, gammaIn, mean as tf.Tensor, variance as tf.Tensor, switches as tf.Tensor]);
    return {
      value: y as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, gs, ms, vs, ss] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return tf
          .engine()
          .runKernel(
            BN_RELU_POOL_GRAD,
            { dy, x: xs, gamma: gs, mean: ms, variance: vs, switches: ss },
            attrs as unknown as tf.NamedAttrMap,
          ) as tf.Tensor[];
      },
    };
  });
  const y = op(x, gamma, beta);
  if (!stats) throw new FusedKernelError(BN_RELU_POOL, 'the forward pass produced no statistics');
  return { y, mean: stats[0], variance: stats[1] };
}
