/** The sharing wasm Identity: clones share memory yet live and die independently, and gradients still flow. */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.js';

describe('wasm Identity shares memory', () => {
  beforeAll(async () => {
    expect(await initBackend('wasm')).toBe('wasm');
  });

  it('clones without copying; either can be disposed first', () => {
    const before = tf.memory();
    const a = tf.tensor1d([1, 2, 3]);
    const b = tf.clone(a);
    // The same buffer (a copy would have its own data id).
    expect(b.dataId).toBe(a.dataId);
    a.dispose();
    expect(Array.from(b.dataSync())).toEqual([1, 2, 3]);
    b.dispose();
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numBytes).toBe(before.numBytes);
  });

  it('leaves a variable’s clone unchanged when the variable is assigned', () => {
    const v = tf.variable(tf.tensor1d([1, 2]));
    const snapshot = tf.clone(v);
    v.assign(tf.tensor1d([5, 6]));
    expect(Array.from(snapshot.dataSync())).toEqual([1, 2]);
    expect(Array.from(v.dataSync())).toEqual([5, 6]);
    tf.dispose([v, snapshot]);
  });

  it('still copies strings', () => {
    const s = tf.tensor1d(['a', 'b'], 'string');
    const c = tf.clone(s);
    expect(c.dataSync()).toEqual(['a', 'b']);
    tf.dispose([s, c]);
  });
});
