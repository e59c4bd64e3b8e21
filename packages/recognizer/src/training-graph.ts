/**
 * A training-mode forward pass for a chain-shaped LayersModel that computes what `model.apply(x, {training:
 * true})` computes, with each BatchNorm → ReLU (→ 2×2 max-pool) run as one fused op
 * (batchnorm-relu-pool.ts), plain convolutions (whose gradient skips the input when nothing needs it) and
 * dense products whose gradients stay on wasm's fast matrix-product path (dense-matmul.ts).
 * It reads and updates the model's own variables (weights, BatchNorm moving averages with the layer's
 * momentum), so the model is trained, saved and loaded exactly as before; only the arithmetic path differs.
 *
 * `compileTrainingGraph` returns null (train through the Layers API) when the backend has no fused kernel
 * (e.g. tfjs-node) or the model has a layer or option this graph does not know.
 */
import * as tf from '@tensorflow/tfjs';
import { batchNormReluPool, batchNormReluPoolAvailable } from './batchnorm-relu-pool.js';
import { denseMatMul } from './dense-matmul.js';
import { type LayerConfig, pair } from './layer-config.js';

/** What the fused path needs of a layer variable (tfjs-layers' LayerVariable). */
interface LayerVar {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

type Step =
  | { type: 'conv'; kernel: LayerVar; bias: LayerVar | null; strides: [number, number]; padding: 'same' | 'valid' }
  | { type: 'dense'; kernel: LayerVar; bias: LayerVar | null; softmax: boolean }
  | {
      type: 'bnRelu';
      gamma: LayerVar;
      beta: LayerVar;
      movingMean: LayerVar;
      movingVariance: LayerVar;
      epsilon: number;
      momentum: number;
      pool: boolean;
    }
  | { type: 'flatten' }
  | { type: 'dropout'; rate: number; seed: number | undefined };

export interface TrainingGraph {
  /** Model output for a training step (dropout on, batch statistics, moving averages updated). */
  apply(x: tf.Tensor): tf.Tensor;
}

type Layer = tf.layers.Layer;

/** True when every layer takes exactly the previous layer's single output. */
function isChain(model: tf.LayersModel): boolean {
  if (model.inputs.length !== 1 || model.outputs.length !== 1) return false;
  const layers = model.layers;
  for (let i = 1; i < layers.length; i++) {
    const nodes = (layers[i] as Layer).inboundNodes;
    if (nodes.length !== 1) return false;
    const inbound = nodes[0]?.inboundLayers ?? [];
    if (inbound.length !== 1 || inbound[0] !== layers[i - 1]) return false;
  }
  return true;
}

function variables(layer: Layer): LayerVar[] {
  return layer.weights as unknown as LayerVar[];
}

function noConstraints(config: LayerConfig): boolean {
  return !config.kernelConstraint && !config.biasConstraint && !config.betaConstraint && !config.gammaConstraint;
}

/** Parses the layers into steps; null when a layer or option is not supported. */
function planSteps(model: tf.LayersModel): Step[] | null {
  const layers = model.layers;
  const steps: Step[] = [];
  for (let i = 0; i < layers.length; i++) {
    const layer = layers[i] as Layer;
    const config = layer.getConfig() as LayerConfig;
    if (!noConstraints(config)) return null;
    const weights = variables(layer);
    switch (layer.getClassName()) {
      case 'InputLayer':
        break;
      case 'Conv2D': {
        if ((config.activation ?? 'linear') !== 'linear' || config.dataFormat === 'channelsFirst') return null;
        if (pair(config.dilationRate, 1).some((d) => d !== 1)) return null;
        if (config.padding !== 'same' && config.padding !== 'valid') return null;
        const [kernel, bias] = weights;
        if (!kernel || (config.useBias !== false) !== (bias !== undefined)) return null;
        steps.push({ type: 'conv', kernel, bias: bias ?? null, strides: pair(config.strides, 1), padding: config.padding });
        break;
      }
      case 'Dense': {
        const activation = config.activation ?? 'linear';
        if (activation !== 'linear' && activation !== 'softmax') return null;
        const [kernel, bias] = weights;
        if (kernel?.read().rank !== 2 || (config.useBias !== false) !== (bias !== undefined)) return null;
        steps.push({ type: 'dense', kernel, bias: bias ?? null, softmax: activation === 'softmax' });
        break;
      }
      case 'BatchNormalization': {
        // Only as BatchNorm → ReLU, optionally → MaxPooling2D(2, stride 2, valid): the fused op's shapes.
        const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : (config.axis ?? -1);
        if (axis !== -1 || config.center === false || config.scale === false) return null;
        const [gamma, beta, movingMean, movingVariance] = weights;
        if (!gamma || !beta || !movingMean || !movingVariance || weights.length !== 4) return null;
        const relu = layers[i + 1];
        if (relu?.getClassName() !== 'ReLU' || (relu.getConfig() as LayerConfig).maxValue != null) return null;
        i++;
        const next = layers[i + 1];
        let pool = false;
        if (next && next.getClassName() === 'MaxPooling2D') {
          const pc = next.getConfig() as LayerConfig;
          const size = pair(pc.poolSize, 2);
          const strides = pair(pc.strides, size[0]);
          if (pc.dataFormat === 'channelsFirst' || pc.padding === 'same') return null;
          if (size.some((s) => s !== 2) || strides.some((s) => s !== 2)) return null;
          pool = true;
          i++;
        }
        steps.push({
          type: 'bnRelu',
          gamma,
          beta,
          movingMean,
          movingVariance,
          epsilon: config.epsilon ?? 1e-3,
          momentum: config.momentum ?? 0.99,
          pool,
        });
        break;
      }
      case 'Flatten':
        steps.push({ type: 'flatten' });
        break;
      case 'Dropout':
        if (config.noiseShape != null) return null;
        steps.push({ type: 'dropout', rate: config.rate ?? 0, seed: config.seed });
        break;
      default:
        return null;
    }
  }
  return steps;
}

/** As tfjs-layers updates a moving statistic: v ← v − (v − batch)·(1 − momentum). */
function updateMoving(variable: LayerVar, batch: tf.Tensor, momentum: number): void {
  tf.tidy(() => {
    const value = variable.read();
    variable.write(tf.sub(value, tf.mul(tf.sub(value, batch), 1 - momentum)));
  });
}

function run(steps: Step[], input: tf.Tensor): tf.Tensor {
  let y = input;
  for (const step of steps) {
    switch (step.type) {
      case 'conv':
        y = tf.conv2d(y as tf.Tensor4D, step.kernel.read() as tf.Tensor4D, step.strides, step.padding);
        if (step.bias) y = tf.add(y, step.bias.read());
        break;
      case 'dense':
        y = denseMatMul(y as tf.Tensor2D, step.kernel.read() as tf.Tensor2D);
        if (step.bias) y = tf.add(y, step.bias.read());
        if (step.softmax) y = tf.softmax(y);
        break;
      case 'bnRelu': {
        const out = batchNormReluPool(y, step.gamma.read() as tf.Tensor1D, step.beta.read() as tf.Tensor1D, {
          epsilon: step.epsilon,
          pool: step.pool,
        });
        updateMoving(step.movingMean, out.mean, step.momentum);
        updateMoving(step.movingVariance, out.variance, step.momentum);
        out.mean.dispose();
        out.variance.dispose();
        y = out.y;
        break;
      }
      case 'flatten':
        y = y.reshape([y.shape[0] as number, -1]);
        break;
      case 'dropout':
        if (step.rate > 0 && step.rate < 1) y = tf.dropout(y, step.rate, undefined, step.seed);
        break;
      default: {
        const never: never = step;
        throw new Error(`unknown training step ${JSON.stringify(never)}`);
      }
    }
  }
  return y;
}

/** The fused training pass for `model`, or null when it cannot be used here (see the header). */
export function compileTrainingGraph(model: tf.LayersModel): TrainingGraph | null {
  if (!batchNormReluPoolAvailable() || !isChain(model)) return null;
  const steps = planSteps(model);
  if (!steps) return null;
  return { apply: (x) => run(steps, x) };
}
