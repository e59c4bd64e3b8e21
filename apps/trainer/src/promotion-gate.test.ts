import { digitDrawing, numberDrawing } from '@inkling/protocol';
import { describe, expect, it } from 'vitest';
import { decidePromotion } from './promotion-gate.js';
import { buildUserSets, isHeldOut, mixTrainingSet } from './user-data.js';

describe('promotion gate', () => {
  const baseline = { version: 'v1', mnist: 0.994, user: 0.8 };
  it('promotes when MNIST drops at most 0.1 points and user accuracy does not drop', () => {
    expect(decidePromotion({ candidate: { mnist: 0.993, user: 0.8 }, baseline }).promoted).toBe(true);
    expect(decidePromotion({ candidate: { mnist: 0.9955, user: 0.9 }, baseline }).promoted).toBe(true);
  });
  it('rejects a bigger MNIST drop or a user-set drop, saying why', () => {
    const mnist = decidePromotion({ candidate: { mnist: 0.9929, user: 0.95 }, baseline });
    expect(mnist).toMatchObject({ promoted: false });
    expect(mnist.reason).toContain('MNIST');
    const user = decidePromotion({ candidate: { mnist: 0.999, user: 0.79 }, baseline });
    expect(user).toMatchObject({ promoted: false });
    expect(user.reason).toContain('user-drawing');
  });
  it('promotes the first model of an empty registry', () => {
    expect(decidePromotion({ candidate: { mnist: 0.5, user: null }, baseline: null }).promoted).toBe(true);
  });
});

describe('user data', () => {
  it('splits by label id, segments numbers into digits and skips labels that do not match', () => {
    const drawings = [
      { labelId: 1, text: '7', strokes: digitDrawing(7) },
      { labelId: 2, text: '42', strokes: numberDrawing('42') },
      { labelId: 5, text: '3', strokes: digitDrawing(3) },
      { labelId: 6, text: '12', strokes: digitDrawing(1) },
    ];
    const sets = buildUserSets(drawings);
    expect(isHeldOut(5)).toBe(true);
    expect(Array.from(sets.train.labels)).toEqual([7, 4, 2]);
    expect(Array.from(sets.test.labels)).toEqual([3]);
    expect(sets.testLabelIds).toEqual([5]);
    expect(sets.skipped).toBe(1);
    expect(sets.train.images.some((v) => v > 200)).toBe(true);
  });
  it('mixes user images into MNIST at the requested share', () => {
    const mnist = { images: new Uint8Array(100 * 784), labels: new Uint8Array(100), count: 100 };
    const user = { images: new Uint8Array(2 * 784).fill(9), labels: Uint8Array.from([3, 4]), count: 2 };
    const mixed = mixTrainingSet(mnist, 80, user, 0.2, () => 0.7);
    expect(mixed.count).toBe(100);
    expect(mixed.userCount).toBe(20);
    expect(mixed.labels[99]).toBe(4);
    expect(mixTrainingSet(mnist, 80, { ...user, count: 0 }, 0.2, Math.random).count).toBe(80);
  });
});
