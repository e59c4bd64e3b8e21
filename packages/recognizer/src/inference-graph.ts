/**
 * An inference-only form of a trained Sequential-shaped LayersModel: every BatchNormalization is folded into
 * the convolution or dense layer before it (scaled kernel + bias), and each conv/dense runs as one fused
 * kernel with its bias and ReLU. The shipped CNN then takes 9 kernel calls instead of ~20 layer calls, and
 * none of the Layers API's per-call bookkeeping. Models with a layer this does not know are left to
 * `model.predict` (`compileInferenceGraph` returns null).
 */
import * as tf from '@tensorflow/tfjs';
import { type LayerConfig, pair } from './layer-config.js';

type Step =
  | { type: 'conv'; filter: tf.Tensor4D; bias: tf.Tensor1D; relu: boolean; padding: 'same' | 'valid'; strides: [number, number] }
  | { type: 'dense'; kernel: tf.Tensor2D; bias: tf.Tensor1D; relu: boolean }
  | { type: 'maxPool'; size: [number, number]; strides: [number, number]; padding: 'same' | 'valid' }
  | { type: 'flatten' }
  | { type: 'relu' }
  | { type: 'softmax' };

export interface InferenceGraph {
  /** Class probabilities for a batch of inputs shaped like the model's input. Call inside `tf.tidy`. */
  predict(x: tf.Tensor4D): tf.Tensor2D;
  dispose(): void;
}

/** A conv or dense kernel with its (possibly zero) bias, waiting for a following BatchNorm / activation. */
interface Linear {
  kind: 'conv' | 'dense';
  kernel: tf.Tensor;
  bias: tf.Tensor1D;
  relu: boolean;
  softmax: boolean;
  config: LayerConfig;
}

function activationOf(config: LayerConfig): 'linear' | 'relu' | 'softmax' | null {
  const a = config.activation ?? 'linear';
  return a === 'linear' || a === 'relu' || a === 'softmax' ? a : null;
}

/** Builds the folded graph, or null when the model has a layer or option this graph does not support. */
export function compileInferenceGraph(model: tf.LayersModel): InferenceGraph | null {
  const owned: tf.Tensor[] = [];
  /** Clones are kept, never the model's own weights: disposing the graph leaves the model intact. */
  const keep = <T extends tf.Tensor>(t: T): T => {
    owned.push(t);
    return tf.keep(t);
  };
  const steps: Step[] = [];
  let pending: Linear | null = null;

  const flush = () => {
    if (!pending) return;
    const p = pending;
    pending = null;
    if (p.kind === 'conv') {
      steps.push({
        type: 'conv',
        filter: keep(p.kernel.clone() as tf.Tensor4D),
        bias: keep(p.bias.clone()),
        relu: p.relu,
        padding: p.config.padding === 'same' ? 'same' : 'valid',
        strides: pair(p.config.strides, 1),
      });
    } else {
      steps.push({ type: 'dense', kernel: keep(p.kernel.clone() as tf.Tensor2D), bias: keep(p.bias.clone()), relu: p.relu });
    }
    if (p.softmax) steps.push({ type: 'softmax' });
  };

  const supported = tf.tidy(() => {
    for (const layer of model.layers) {
      const className = layer.getClassName();
      const config = layer.getConfig() as LayerConfig;
      const weights = layer.getWeights();
      switch (className) {
        case 'InputLayer':
        case 'Dropout':
          break;
        case 'Conv2D':
        case 'Dense': {
          flush();
          const activation = activationOf(config);
          if (activation === null) return false;
          if (className === 'Conv2D') {
            if (config.dataFormat === 'channelsFirst' || pair(config.dilationRate, 1).some((d) => d !== 1)) return false;
            if (config.padding !== 'same' && config.padding !== 'valid') return false;
          }
          const kernel = weights[0];
          if (!kernel) return false;
          const units = kernel.shape[kernel.shape.length - 1] as number;
          const bias = (config.useBias !== false && weights[1] ? weights[1] : tf.zeros([units])) as tf.Tensor1D;
          pending = {
            kind: className === 'Conv2D' ? 'conv' : 'dense',
            kernel,
            bias,
            relu: activation === 'relu',
            softmax: activation === 'softmax',
            config,
          };
          break;
        }
        case 'BatchNormalization': {
          // Folds into the linear layer right before it (only valid when nothing ran in between).
          const p = pending as Linear | null;
          if (!p || p.relu || p.softmax) return false;
          const axis = Array.isArray(config.axis) && config.axis.length === 1 ? config.axis[0] : (config.axis ?? -1);
          if (axis !== -1 && axis !== (p.kind === 'conv' ? 3 : 1)) return false;
          let i = 0;
          const units = p.bias.shape[0];
          const gamma = config.scale === false ? tf.ones([units]) : (weights[i++] as tf.Tensor1D);
          const beta = config.center === false ? tf.zeros([units]) : (weights[i++] as tf.Tensor1D);
          const mean = weights[i++] as tf.Tensor1D;
          const variance = weights[i++] as tf.Tensor1D;
          if (!gamma || !beta || !mean || !variance) return false;
          const scale = gamma.div(variance.add(config.epsilon ?? 1e-3).sqrt());
          p.kernel = p.kernel.mul(scale);
          p.bias = p.bias.sub(mean).mul(scale).add(beta) as tf.Tensor1D;
          break;
        }
        case 'ReLU':
        case 'Activation': {
          const activation = className === 'ReLU' ? 'relu' : activationOf(config);
          if (activation === null) return false;
          if (className === 'ReLU' && (config as { maxValue?: number | null }).maxValue != null) return false;
          const p = pending as Linear | null;
          if (activation === 'linear') break;
          if (p && !p.relu && !p.softmax) {
            if (activation === 'relu') p.relu = true;
            else p.softmax = true;
            break;
          }
          flush();
          steps.push({ type: activation });
          break;
        }
        case 'MaxPooling2D': {
          flush();
          if (config.dataFormat === 'channelsFirst') return false;
          const size = pair(config.poolSize, 2);
          steps.push({
            type: 'maxPool',
            size,
            strides: config.strides === undefined || config.strides === null ? size : pair(config.strides, 1),
            padding: config.padding === 'same' ? 'same' : 'valid',
          });
          break;
        }
        case 'Flatten':
          flush();
          steps.push({ type: 'flatten' });
          break;
        default:
          return false;
      }
    }
    flush();
    return true;
  });

  if (!supported) {
    for (const t of owned) t.dispose();
    return null;
  }

  return {
    predict: (x: tf.Tensor4D): tf.Tensor2D => {
      let y: tf.Tensor = x;
      for (const step of steps) {
        switch (step.type) {
          case 'conv':
            y = tf.fused.conv2d({
              x: y as tf.Tensor4D,
              filter: step.filter,
              strides: step.strides,
              pad: step.padding,
              bias: step.bias,
              activation: step.relu ? 'relu' : 'linear',
            });
            break;
          case 'dense':
            y = tf.fused.matMul({ a: y as tf.Tensor2D, b: step.kernel, bias: step.bias, activation: step.relu ? 'relu' : 'linear' });
            break;
          case 'maxPool':
            y = tf.maxPool(y as tf.Tensor4D, step.size, step.strides, step.padding);
            break;
          case 'flatten':
            y = y.reshape([y.shape[0] as number, -1]);
            break;
          case 'relu':
            y = tf.relu(y);
            break;
          case 'softmax':
            y = tf.softmax(y);
            break;
          default: {
            const never: never = step;
            throw new Error(`unknown inference step ${JSON.stringify(never)}`);
          }
        }
      }
      return y as tf.Tensor2D;
    },
    dispose: () => {
      for (const t of owned) t.dispose();
    },
  };
}
