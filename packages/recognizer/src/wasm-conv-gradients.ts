/**
 * Fast convolution gradients for the wasm backend.
 *
 * tfjs-backend-wasm ships no `Conv2DBackpropFilter` kernel and a scalar-loop `Conv2DBackpropInput`, which
 * makes training a convnet there impractically slow. Both gradients are ordinary convolutions on
 * rearranged tensors, and the wasm `Conv2D` kernel (XNNPACK) is fast, so these kernels compose the
 * backend's own `Conv2D`, `Transpose`, `PadV2`, `Slice`, `Reshape` and `BatchMatMul` kernels, with small
 * rearrangements done in JavaScript on the wasm heap. They run at the backend level (no engine ops), so
 * nothing is recorded on a gradient tape and every intermediate is freed.
 */
import * as tf from '@tensorflow/tfjs';
import { KernelScope, type WasmBackend } from './wasm-kernel-scope.js';

type TensorInfo = tf.TensorInfo;
type ExplicitPad = [[number, number], [number, number], [number, number], [number, number]];

interface Conv2DGradAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | ExplicitPad;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

/** Zero padding of the two spatial axes, as the convolution's own `pad` (NHWC). */
function explicitPad(top: number, bottom: number, left: number, right: number): ExplicitPad {
  return [
    [0, 0],
    [top, bottom],
    [left, right],
    [0, 0],
  ];
}

function convInfoFor(xShape: number[], filterShape: number[], attrs: Conv2DGradAttrs) {
  if (attrs.dataFormat !== 'NHWC') throw new Error('wasm conv gradients support NHWC only');
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  );
}

type FilterGradArgs = {
  inputs: { x: TensorInfo; dy: TensorInfo };
  attrs: Conv2DGradAttrs & { filterShape: [number, number, number, number] };
  backend: WasmBackend;
};

/**
 * Up to this many input channels the filter gradient is one matrix product of transposed patches (below);
 * above it, the convolution form. Measured on our model's layers: with Ci = 1 (28×28×1 → 16, batch 128) the
 * product takes ~4 ms against ~14 ms for the convolution; with Ci = 16 and 32 the patch copy costs what the
 * product saves.
 */
const PATCH_PRODUCT_MAX_CHANNELS = 1;

type ConvInfo = ReturnType<typeof convInfoFor>;

/**
 * Patches of x transposed: row (kh, kw, ci), column (n, oh, ow), holding x[n, oh·s+kh−top, ow·s+kw−left, ci]
 * (0 outside the image). Plain JavaScript on the wasm heap.
 */
function fillPatchesTransposed(x: Float32Array, out: Float32Array, info: ConvInfo): void {
  const { batchSize: n, inHeight: h, inWidth: w, inChannels: ci, outHeight: oh, outWidth: ow } = info;
  const { strideHeight: sh, strideWidth: sw, filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;
  let o = 0;
  for (let a = 0; a < kh; a++) {
    for (let d = 0; d < kw; d++) {
      for (let k = 0; k < ci; k++) {
        for (let b = 0; b < n; b++) {
          for (let r = 0; r < oh; r++) {
            const row = r * sh + a - top;
            if (row < 0 || row >= h) {
              out.fill(0, o, o + ow);
              o += ow;
              continue;
            }
            const rowBase = (b * h + row) * w;
            for (let q = 0; q < ow; q++, o++) {
              const col = q * sw + d - left;
              out[o] = col >= 0 && col < w ? (x[(rowBase + col) * ci + k] as number) : 0;
            }
          }
        }
      }
    }
  }
}

/** dW as [KH·KW·Ci, N·OH·OW] patches × dy as [N·OH·OW, Co]; both operands untransposed (XNNPACK's path). */
function filterGradByPatchProduct(s: KernelScope, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo {
  const rows = info.filterHeight * info.filterWidth * info.inChannels;
  const cols = info.batchSize * info.outHeight * info.outWidth;
  const patches = s.alloc([rows, cols]);
  fillPatchesTransposed(s.view(x), s.view(patches), info);
  const dy2 = s.reshape(dy, [cols, info.outChannels]);
  const product = s.run('BatchMatMul', { a: patches, b: dy2 }, { transposeA: false, transposeB: false });
  return s.reshape(product, [info.filterHeight, info.filterWidth, info.inChannels, info.outChannels]);
}

/**
 * The filter gradient (stride 1) as a convolution of dy (batch and channels swapped) with x as the filter:
 * out[co, a, b, ci] = Σ_{n,i,j} dy[n, i+a−(KH−1−top), j+b−(KW−1−left), co] · x[n,i,j,ci] = dW[KH−1−a, KW−1−b,
 * ci, co]. XNNPACK repacks a convolution's filter on every call, and the repacking grows with the filter, so
 * this form wins when x is smaller than dy (more output than input channels): measured 15 → 11 ms for our
 * 14×14×16 → 32 layer and 11 → 9.5 ms for 7×7×32 → 64, batch 128. Null when it does not apply.
 */
function filterGradWithInputAsFilter(s: KernelScope, x: TensorInfo, dy: TensorInfo, info: ConvInfo): TensorInfo | null {
  const { filterHeight: kh, filterWidth: kw, inChannels: ci, outChannels: co } = info;
  const { top, bottom, left, right } = info.padInfo;
  const pads = [kh - 1 - top, kh - 1 - bottom, kw - 1 - left, kw - 1 - right];
  if (info.strideHeight !== 1 || info.strideWidth !== 1 || pads.some((p) => p < 0)) return null;
  if (info.inHeight * info.inWidth * ci >= info.outHeight * info.outWidth * co) return null;
  const dyT = s.transpose(dy, [3, 1, 2, 0]); // [Co, OH, OW, N]
  const xT = s.transpose(x, [1, 2, 0, 3]); // [H, W, N, Ci]
  const conv = s.run(
    'Conv2D',
    { x: dyT, filter: xT },
    {
      strides: [1, 1],
      pad: explicitPad(pads[0] as number, pads[1] as number, pads[2] as number, pads[3] as number),
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  ); // [Co, KH, KW, Ci], spatially reversed
  const dw = s.alloc([kh, kw, ci, co]);
  const out = s.view(conv);
  const target = s.view(dw);
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      for (let i = 0; i < ci; i++) {
        for (let o = 0; o < co; o++) {
          target[((a * kw + b) * ci + i) * co + o] = out[((o * kh + (kh - 1 - a)) * kw + (kw - 1 - b)) * ci + i] as number;
        }
      }
    }
  }
  return dw;
}

/**
 * dW[kh,kw,ci,co] = Σ_{n,oh,ow} x[n, oh·s+kh−top, ow·s+kw−left, ci] · dy[n,oh,ow,co]: for few input
 * channels a product of transposed patches with dy, for more output than input channels a convolution of dy
 * with x as the filter (above), otherwise a convolution of x (batch and channels swapped) with dy as the
 * filter, dilated by the stride.
 */
export function conv2dBackpropFilterWasm(args: FilterGradArgs): TensorInfo {
  const { x, dy } = args.inputs;
  const info = convInfoFor(x.shape, args.attrs.filterShape, args.attrs);
  const s = new KernelScope(args.backend);
  if (info.inChannels <= PATCH_PRODUCT_MAX_CHANNELS) return s.finish(filterGradByPatchProduct(s, x, dy, info));
  const swapped = filterGradWithInputAsFilter(s, x, dy, info);
  if (swapped) return s.finish(swapped);
  const { top, bottom, left, right } = info.padInfo;
  // Zero padding is left to the convolution itself (no padded copy of x); cropping needs a slice.
  const crop = top < 0 || bottom < 0 || left < 0 || right < 0;
  const xT = s.transpose(crop ? s.padOrCrop(x, top, bottom, left, right) : x, [3, 1, 2, 0]); // [Ci, H(p), W(p), N]
  const dyT = s.transpose(dy, [1, 2, 0, 3]); // [OH, OW, N, Co]
  const conv = s.run(
    'Conv2D',
    { x: xT, filter: dyT },
    {
      strides: [1, 1],
      pad: crop ? 'valid' : explicitPad(top, bottom, left, right),
      dataFormat: 'NHWC',
      dilations: [info.strideHeight, info.strideWidth],
      dimRoundingMode: undefined,
    },
  ); // [Ci, >=KH, >=KW, Co]
  const [ci, ch, cw, co] = conv.shape as [number, number, number, number];
  const cropped =
    ch === info.filterHeight && cw === info.filterWidth
      ? conv
      : s.run('Slice', { x: conv }, { begin: [0, 0, 0, 0], size: [ci, info.filterHeight, info.filterWidth, co] });
  return s.finish(s.transpose(cropped, [1, 2, 0, 3]));
}

/**
 * out[kh, kw, co, ci] = filter[KH−1−kh, KW−1−kw, ci, co]: the filter rotated 180° with its channels swapped,
 * in one JavaScript pass (filters are small; the wasm Reverse + Transpose kernels cost ~0.4 ms each here).
 */
function rotateAndSwap(filter: Float32Array, out: Float32Array, [kh, kw, ci, co]: [number, number, number, number]): void {
  let o = 0;
  for (let a = 0; a < kh; a++) {
    for (let b = 0; b < kw; b++) {
      const src = ((kh - 1 - a) * kw + (kw - 1 - b)) * ci * co;
      for (let j = 0; j < co; j++) {
        for (let i = 0; i < ci; i++, o++) out[o] = filter[src + i * co + j] as number;
      }
    }
  }
}

/**
 * dx = the full convolution of dy (zeros inserted between rows/columns for strides > 1) with the filter
 * rotated 180° and its in/out channels swapped, cropped or padded to the forward padding.
 */
export function conv2dBackpropInputWasm(args: {
  inputs: { dy: TensorInfo; filter: TensorInfo };
  attrs: Conv2DGradAttrs & { inputShape: [number, number, number, number] };
  backend: WasmBackend;
}): TensorInfo {
  const { dy, filter } = args.inputs;
  const info = convInfoFor(args.attrs.inputShape, filter.shape, args.attrs);
  const s = new KernelScope(args.backend);
  const [n, oh, ow, co] = dy.shape as [number, number, number, number];
  const sh = info.strideHeight;
  const sw = info.strideWidth;
  let dilated = dy;
  if (sh > 1 || sw > 1) {
    const expanded = s.reshape(dy, [n, oh, 1, ow, 1, co]);
    const padded = s.run(
      'PadV2',
      { x: expanded },
      {
        paddings: [
          [0, 0],
          [0, 0],
          [0, sh - 1],
          [0, 0],
          [0, sw - 1],
          [0, 0],
        ],
        constantValue: 0,
      },
    );
    const flat = s.reshape(padded, [n, oh * sh, ow * sw, co]);
    dilated = s.run('Slice', { x: flat }, { begin: [0, 0, 0, 0], size: [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, co] });
  }
  const kh = info.filterHeight;
  const kw = info.filterWidth;
  const { top, left } = info.padInfo;
  const [, h, w] = args.attrs.inputShape;
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  const padBottom = h - 1 + top - (oh - 1) * sh;
  const padRight = w - 1 + left - (ow - 1) * sw;
  const crop = padTop < 0 || padBottom < 0 || padLeft < 0 || padRight < 0;
  const framed = crop ? s.padOrCrop(dilated, padTop, padBottom, padLeft, padRight) : dilated;
  const swapped = s.alloc([kh, kw, filter.shape[3] as number, filter.shape[2] as number]); // [KH, KW, Co, Ci]
  rotateAndSwap(s.view(filter), s.view(swapped), filter.shape as [number, number, number, number]);
  const dx = s.run(
    'Conv2D',
    { x: framed, filter: swapped },
    {
      strides: [1, 1],
      pad: crop ? 'valid' : explicitPad(padTop, padBottom, padLeft, padRight),
      dataFormat: 'NHWC',
      dilations: [1, 1],
      dimRoundingMode: undefined,
    },
  );
  return s.finish(dx);
}

let registered = false;

/** Registers the fast gradient kernels for the wasm backend (idempotent). */
export function registerWasmConvGradients(): void {
  if (registered) return;
  registered = true;
  for (const name of ['Conv2DBackpropFilter', 'Conv2DBackpropInput'] as const) {
    if (tf.getKernel(name, 'wasm')) tf.unregisterKernel(name, 'wasm');
  }
  tf.registerKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropFilterWasm as unknown as tf.KernelFunc,
  });
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: conv2dBackpropInputWasm as unknown as tf.KernelFunc,
  });
}
