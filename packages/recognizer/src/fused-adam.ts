/**
 * Adam with the whole update of every variable in one kernel call, for the wasm backend.
 *
 * tfjs's Adam issues ~13 small kernels per variable per step (≈180 for our model), each paying the engine's
 * dispatch cost for a few hundred to a few thousand numbers. Here one JavaScript kernel on the wasm heap
 * reads each variable, its gradient and both moments and writes the three new tensors, which are then
 * assigned. The arithmetic is tfjs's (same bias correction, epsilon outside the square root, the β powers
 * kept in float32), so training follows the same path: a test compares both over several steps.
 * `createAdam` falls back to `tf.train.adam` on backends without the kernel (e.g. tfjs-node).
 */
import * as tf from '@tensorflow/tfjs';

/** A tensor with its variable's name, as optimizers exchange them. */
type NamedTensor = { name: string; tensor: tf.Tensor };

export const FUSED_ADAM = 'InklingFusedAdam';

type TensorInfo = tf.TensorInfo;
interface WasmHeapBackend {
  makeOutput(shape: number[], dtype: tf.DataType): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

interface FusedAdamAttrs {
  count: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** 1 − β₁ᵗ and 1 − β₂ᵗ for this step. */
  correction1: number;
  correction2: number;
}

/** Inputs value{i}, grad{i}, m{i}, v{i} for i < count; outputs [value, m, v] per variable, in order. */
function fusedAdamKernel(args: { inputs: Record<string, TensorInfo>; attrs: FusedAdamAttrs; backend: unknown }): TensorInfo[] {
  const backend = args.backend as WasmHeapBackend;
  const a = args.attrs;
  const outputs: TensorInfo[] = [];
  for (let i = 0; i < a.count; i++) {
    const value = args.inputs[`value${i}`] as TensorInfo;
    outputs.push(
      backend.makeOutput(value.shape, 'float32'),
      backend.makeOutput(value.shape, 'float32'),
      backend.makeOutput(value.shape, 'float32'),
    );
  }
  const keep1 = 1 - a.beta1;
  const keep2 = 1 - a.beta2;
  const step = -a.learningRate;
  for (let i = 0; i < a.count; i++) {
    const view = (name: string) => backend.typedArrayFromHeap(args.inputs[`${name}${i}`] as TensorInfo);
    const value = view('value');
    const grad = view('grad');
    const m = view('m');
    const v = view('v');
    const newValue = backend.typedArrayFromHeap(outputs[3 * i] as TensorInfo);
    const newM = backend.typedArrayFromHeap(outputs[3 * i + 1] as TensorInfo);
    const newV = backend.typedArrayFromHeap(outputs[3 * i + 2] as TensorInfo);
    for (let j = 0; j < value.length; j++) {
      const g = grad[j] as number;
      const mj = Math.fround((m[j] as number) * a.beta1 + g * keep1);
      const vj = Math.fround((v[j] as number) * a.beta2 + g * g * keep2);
      newM[j] = mj;
      newV[j] = vj;
      newValue[j] = (value[j] as number) + step * (mj / a.correction1 / (Math.sqrt(vj / a.correction2) + a.epsilon));
    }
  }
  return outputs;
}

/** Adam whose `applyGradients` is one fused kernel call. Same hyper-parameters and defaults as tf.train.adam. */
export class FusedAdamOptimizer extends tf.Optimizer {
  private readonly moments = new Map<string, { m: tf.Variable; v: tf.Variable }>();
  /** β₁ᵗ and β₂ᵗ, in float32 as tfjs keeps them. */
  private accBeta1: number;
  private accBeta2: number;

  constructor(
    public learningRate: number,
    readonly beta1 = 0.9,
    readonly beta2 = 0.999,
    readonly epsilon = tf.backend().epsilon(),
  ) {
    super();
    this.accBeta1 = Math.fround(beta1);
    this.accBeta2 = Math.fround(beta2);
  }

  applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const pairs = Array.isArray(variableGradients)
      ? variableGradients.map((g) => [g.name, g.tensor] as const)
      : Object.entries(variableGradients);
    const inputs: Record<string, tf.Tensor> = {};
    const targets: { value: tf.Variable; m: tf.Variable; v: tf.Variable }[] = [];
    for (const [name, grad] of pairs) {
      if (grad == null) continue;
      const value = tf.engine().registeredVariables[name] as tf.Variable;
      let moments = this.moments.get(name);
      if (!moments) {
        moments = {
          m: tf.tidy(() => tf.zerosLike(value).variable(false)),
          v: tf.tidy(() => tf.zerosLike(value).variable(false)),
        };
        this.moments.set(name, moments);
      }
      const i = targets.length;
      inputs[`value${i}`] = value;
      inputs[`grad${i}`] = grad;
      inputs[`m${i}`] = moments.m;
      inputs[`v${i}`] = moments.v;
      targets.push({ value, ...moments });
    }
    const attrs: FusedAdamAttrs = {
      count: targets.length,
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      correction1: Math.fround(1 - this.accBeta1),
      correction2: Math.fround(1 - this.accBeta2),
    };
    tf.tidy(() => {
      const out = tf.engine().runKernel(FUSED_ADAM, inputs, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
      targets.forEach((t, i) => {
        t.value.assign(out[3 * i] as tf.Tensor);
        t.m.assign(out[3 * i + 1] as tf.Tensor);
        t.v.assign(out[3 * i + 2] as tf.Tensor);
      });
    });
    this.accBeta1 = Math.fround(this.accBeta1 * this.beta1);
    this.accBeta2 = Math.fround(this.accBeta2 * this.beta2);
    this.incrementIterations();
  }

  override dispose(): void {
    for (const { m, v } of this.moments.values()) tf.dispose([m, v]);
    this.moments.clear();
  }

  override async getWeights(): Promise<NamedTensor[]> {
    const moments = [...this.moments.entries()].flatMap(([name, { m, v }]) => [
      { name: `${name}/m`, tensor: m },
      { name: `${name}/v`, tensor: v },
    ]);
    return [await this.saveIterations(), ...moments];
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.learningRate, beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon };
  }
}

let registered = false;

/** Registers the fused update kernel for the wasm backend (idempotent). */
export function registerFusedAdamKernel(): void {
  if (registered) return;
  registered = true;
  tf.registerKernel({ kernelName: FUSED_ADAM, backendName: 'wasm', kernelFunc: fusedAdamKernel as unknown as tf.KernelFunc });
}

/** The fused Adam where the active backend has its kernel, else tfjs's own. */
export function createAdam(learningRate: number): tf.Optimizer & { learningRate: number } {
  if (tf.getKernel(FUSED_ADAM, tf.getBackend())) return new FusedAdamOptimizer(learningRate);
  return tf.train.adam(learningRate) as unknown as tf.Optimizer & { learningRate: number };
}
