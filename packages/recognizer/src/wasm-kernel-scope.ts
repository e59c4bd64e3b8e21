/**
 * Calling wasm kernels from inside another wasm kernel: each intermediate is tracked and freed when the outer
 * kernel finishes, and JavaScript can read and write a tensor's memory on the wasm heap directly. Used by the
 * fast convolution gradients and the fused BatchNorm kernels.
 */
import * as tf from '@tensorflow/tfjs';

type TensorInfo = tf.TensorInfo;
/** What the kernels use of tfjs-backend-wasm's BackendWasm. */
export type WasmBackend = tf.KernelBackend & {
  disposeData(dataId: object, force?: boolean): boolean;
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
};

/** Calls another wasm kernel directly; intermediates are tracked so they can be freed together. */
export class KernelScope {
  private readonly owned: TensorInfo[] = [];
  constructor(private readonly backend: WasmBackend) {}

  run(name: string, inputs: Record<string, TensorInfo> | TensorInfo[], attrs: Record<string, unknown>): TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`wasm kernel ${name} is not registered`);
    const out = kernel.kernelFunc({
      // Concat takes its inputs as an array; every other kernel as a name → tensor map.
      inputs: inputs as unknown as tf.NamedTensorInfoMap,
      attrs: attrs as tf.NamedAttrMap,
      backend: this.backend,
    }) as TensorInfo;
    this.owned.push(out);
    return out;
  }

  /** A new float32 tensor on the wasm heap (contents undefined), freed with the other intermediates. */
  alloc(shape: number[]): TensorInfo {
    const out = this.backend.makeOutput(shape, 'float32');
    this.owned.push(out);
    return out;
  }

  /** A view of a tensor's heap memory; take it after the last allocation (allocating can move the heap). */
  view(info: TensorInfo): Float32Array {
    return this.backend.typedArrayFromHeap(info) as Float32Array;
  }

  /** Frees every intermediate except `keep`, which the engine takes ownership of. */
  finish(keep: TensorInfo): TensorInfo {
    this.finishAll([keep]);
    return keep;
  }

  /** Frees every intermediate except those in `keep` (a kernel's several outputs). */
  finishAll(keep: TensorInfo[]): TensorInfo[] {
    for (const info of this.owned) if (!keep.includes(info)) this.backend.disposeData(info.dataId);
    return keep;
  }

  transpose(x: TensorInfo, perm: number[]): TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  reshape(x: TensorInfo, shape: number[]): TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  /** Pads (positive amounts) and crops (negative amounts) the two spatial axes of an NHWC tensor. */
  padOrCrop(x: TensorInfo, top: number, bottom: number, left: number, right: number): TensorInfo {
    let out = x;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) {
      const [n, h, w, c] = out.shape as [number, number, number, number];
      const t = Math.max(0, -top);
      const l = Math.max(0, -left);
      const size = [n, h - t - Math.max(0, -bottom), w - l - Math.max(0, -right), c];
      out = this.run('Slice', { x: out }, { begin: [0, t, l, 0], size });
    }
    if (top > 0 || bottom > 0 || left > 0 || right > 0) {
      const paddings = [
        [0, 0],
        [Math.max(0, top), Math.max(0, bottom)],
        [Math.max(0, left), Math.max(0, right)],
        [0, 0],
      ];
      out = this.run('PadV2', { x: out }, { paddings, constantValue: 0 });
    }
    return out;
  }
}
