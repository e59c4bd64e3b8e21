/**
 * Picks the TensorFlow.js backend per role, by measurement. Training: the native `tensorflow` backend when the
 * optional `@tensorflow/tfjs-node` package is installed (1.1–1.3× wasm here), else `wasm` (with fast convolution
 * gradients, the fused BatchNorm → ReLU → max-pool kernels and a fused Adam update registered so it can
 * train). Serving: `wasm`, whose folded graph reads one drawing in ~0.3 ms against 1.4–1.9 ms on tfjs-node,
 * unless told otherwise. The pure-JS `cpu` backend is only used when asked for.
 */
import * as tf from '@tensorflow/tfjs';
import { registerBatchNormGradient } from './batchnorm-gradient.js';
import { registerBatchNormReluPoolKernels } from './batchnorm-relu-pool.js';
import { registerFusedAdamKernel } from './fused-adam.js';
import { registerWasmConvGradients } from './wasm-conv-gradients.js';
import { registerWasmSharedIdentity } from './wasm-shared-identity.js';

export type BackendName = 'tensorflow' | 'wasm' | 'cpu';
/** What the process does with the backend: batched training steps, or single-drawing inference. */
export type BackendRole = 'training' | 'serving';

let active: Promise<BackendName> | undefined;

async function tryNative(): Promise<boolean> {
  try {
    // Optional dependency: absent wherever its install script could not download libtensorflow.
    const nativeModule = '@tensorflow/tfjs-node';
    await import(/* @vite-ignore */ nativeModule);
    return tf.findBackend('tensorflow') !== null && (await tf.setBackend('tensorflow'));
  } catch {
    return false;
  }
}

async function useWasm(): Promise<boolean> {
  await import('@tensorflow/tfjs-backend-wasm');
  registerWasmConvGradients();
  registerBatchNormGradient();
  registerBatchNormReluPoolKernels();
  registerFusedAdamKernel();
  registerWasmSharedIdentity();
  return tf.setBackend('wasm');
}

async function select(prefer: BackendName | undefined): Promise<BackendName> {
  if (prefer === 'cpu') {
    await tf.setBackend('cpu');
    return 'cpu';
  }
  if (prefer !== 'wasm' && (await tryNative())) return 'tensorflow';
  if (await useWasm()) return 'wasm';
  throw new Error('no usable TensorFlow.js backend: neither tfjs-node nor tfjs-backend-wasm could start');
}

/**
 * Initialises the backend once per process; later calls return the same choice.
 * `prefer` (or env `INKLING_TF_BACKEND`) forces `tensorflow`, `wasm` or `cpu`; otherwise the role decides.
 */
export function initBackend(prefer?: BackendName, role: BackendRole = 'training'): Promise<BackendName> {
  const wanted = prefer ?? (process.env.INKLING_TF_BACKEND as BackendName | undefined) ?? (role === 'serving' ? 'wasm' : undefined);
  active ??= select(wanted).then(async (name) => {
    await tf.ready();
    return name;
  });
  return active;
}
