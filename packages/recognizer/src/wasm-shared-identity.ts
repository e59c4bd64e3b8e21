/**
 * `Identity` on the wasm backend as the cpu backend has it: the output shares the input's memory (one more
 * reference) instead of being a copy. TensorFlow.js never writes into a tensor's memory after creating it
 * (variables take new memory on `assign`), so sharing is safe. It matters for training: the engine clones
 * every tensor a gradient keeps for the backward pass, which on wasm copied every saved activation and
 * weight once per step (≈2 ms per step for our model).
 */
import * as tf from '@tensorflow/tfjs';

interface RefCountingBackend {
  incRef(dataId: object): void;
}

let registered = false;

/** Replaces the wasm `Identity` kernel (idempotent); strings still go through the original kernel. */
export function registerWasmSharedIdentity(): void {
  if (registered) return;
  registered = true;
  const original = tf.getKernel('Identity', 'wasm');
  if (!original) return;
  tf.unregisterKernel('Identity', 'wasm');
  tf.registerKernel({
    kernelName: 'Identity',
    backendName: 'wasm',
    kernelFunc: (args) => {
      const x = args.inputs.x as tf.TensorInfo;
      if (x.dtype === 'string') return original.kernelFunc(args);
      (args.backend as unknown as RefCountingBackend).incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    },
  });
}
