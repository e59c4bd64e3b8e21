import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ModelMetadataSchema, testModelMetadata } from '@inkling/protocol';
import { buildModel, initBackend, saveModelFolder } from '@inkling/recognizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '../../../node_modules/.bin/tsx');

async function cli(script: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, [join(here, script), ...args], { cwd: here, maxBuffer: 1 << 24 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe('train and eval command lines', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-cli-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('npm run train writes a complete model folder that npm run eval reads back', async () => {
    const out = join(dir, 'tiny');
    const train = await cli('train-cli.ts', ['--out', out, '--epochs', '1', '--train-limit', '512', '--filters', '4,8,8', '--dense', '16']);
    // tfjs-node trains when it is installed; wasm otherwise.
    expect(train.stderr).toMatch(/backend: (tensorflow|wasm)\n/);
    expect(train.code).toBe(0);
    expect(train.stdout).toMatch(/wrote .*tiny .*MNIST test accuracy \d+\.\d+%/);
    const metadata = ModelMetadataSchema.parse(JSON.parse(await readFile(join(out, 'metadata.json'), 'utf8')));
    expect(metadata.training.command).toBe(`npm run train -- --out ${out} --epochs 1 --train-limit 512 --filters 4,8,8 --dense 16`);
    expect(metadata.dataset.mnistTrainCount).toBe(512);
    expect(metadata.metrics.confusionMatrix.flat().reduce((a, b) => a + b, 0)).toBe(10000);

    const evaluation = await cli('eval-cli.ts', [out]);
    expect(evaluation.code).toBe(0);
    expect(evaluation.stdout).toContain(`model ${metadata.version}`);
    expect(evaluation.stdout).toContain(`accuracy ${(metadata.metrics.mnistTestAccuracy * 100).toFixed(2)}% on 10000 images`);
    expect(evaluation.stdout).toContain('confusion matrix');
    // Ten matrix rows, each with ten counts and a per-class accuracy.
    expect(evaluation.stdout.split('\n').filter((l) => /^\d\s+(\d+\s+){10}\s*\d+\.\d+%$/.test(l))).toHaveLength(10);
    expect(evaluation.stdout).not.toContain('note: metadata records');
  }, 120_000);

  it('bad flags are clear usage errors (exit 2) and write nothing', async () => {
    const out = join(dir, 'never');
    const bad = await cli('train-cli.ts', ['--out', out, '--epochs', 'zero']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('invalid --epochs');
    const unknown = await cli('train-cli.ts', ['--out', out, '--colour', 'red']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('usage: npm run train');
    await expect(readFile(join(out, 'metadata.json'))).rejects.toThrow();
    const evalMissing = await cli('eval-cli.ts', [join(dir, 'missing')]);
    expect(evalMissing.code).toBe(1);
    expect(evalMissing.stderr).toContain('metadata.json is missing');
    const help = await cli('eval-cli.ts', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('usage: npm run eval');
    expect(help.stdout).toContain('--pen');
    const badNumbers = await cli('eval-cli.ts', [join(dir, 'missing'), '--pen', '--numbers', 'many']);
    expect(badNumbers.code).toBe(2);
    expect(badNumbers.stderr).toContain('invalid --numbers');
    const recordAlone = await cli('eval-cli.ts', [join(dir, 'missing'), '--record']);
    expect(recordAlone.code).toBe(2);
    expect(recordAlone.stderr).toContain('--record needs --pen');
    const badShare = await cli('train-cli.ts', ['--out', out, '--pen-share', '0.6', '--non-digit-share', '0.5']);
    expect(badShare.code).toBe(2);
    expect(badShare.stderr).toContain('invalid --pen-share: pen and non-digit shares must leave room for MNIST');
    const badWidth = await cli('train-cli.ts', ['--out', out, '--pen-width', '3,1']);
    expect(badWidth.code).toBe(2);
    expect(badWidth.stderr).toContain('invalid --pen-width');
    const badKinds = await cli('train-cli.ts', ['--out', out, '--non-digit-kinds', 'line,banana']);
    expect(badKinds.code).toBe(2);
    expect(badKinds.stderr).toContain('invalid --non-digit-kinds: expected kinds among dot,line,');
    const blendNoWeight = await cli('blend-cli.ts', [join(dir, 'missing'), '--base', join(dir, 'missing'), '--out', out]);
    expect(blendNoWeight.code).toBe(2);
    expect(blendNoWeight.stderr).toContain('invalid --weight');
    const blendBadWeight = await cli('blend-cli.ts', [join(dir, 'missing'), '--base', join(dir, 'b'), '--weight', '1.5', '--out', out]);
    expect(blendBadWeight.code).toBe(2);
    expect(blendBadWeight.stderr).toContain('invalid --weight');
    const blendBadMode = await cli('blend-cli.ts', [
      join(dir, 'missing'),
      '--base',
      join(dir, 'b'),
      '--weight',
      '0.8',
      '--mode',
      'mean',
      '--out',
      out,
    ]);
    expect(blendBadMode.code).toBe(2);
    expect(blendBadMode.stderr).toContain('invalid --mode');
    const blendMissing = await cli('blend-cli.ts', [join(dir, 'missing'), '--base', join(dir, 'b'), '--weight', '0.8', '--out', out]);
    expect(blendMissing.code).toBe(1);
    expect(blendMissing.stderr).toMatch(/^error: .*missing/m);
    // Refused flags of the re-fit: each a usage error (exit 2) naming the flag, before any model is read.
    const refitRefusals: [flags: string[], message: string][] = [
      [['--pen-share', '0.5', '--non-digit-share', '0.5'], 'invalid --pen-share: pen and non-digit shares must leave room for MNIST'],
      [['--images', '12'], 'invalid --images'],
      [['--hard-mnist', '300', '--hard-weight', '0.5'], 'invalid --hard-weight'],
      // `=`: a separate "-3" would read as a flag of its own.
      [['--hard-mnist=-3'], 'invalid --hard-mnist'],
      [['--hard-mnist', '300', '--hard-rounds', '0'], 'invalid --hard-rounds'],
    ];
    for (const [flags, message] of refitRefusals) {
      const refused = await cli('refit-cli.ts', [join(dir, 'missing'), '--out', out, ...flags]);
      expect(refused.code, flags.join(' ')).toBe(2);
      expect(refused.stderr).toContain(message);
    }
    // A digits-only model (10 classes) has no column to re-fit.
    const digitsOnly = join(dir, 'digits-only');
    await initBackend('wasm');
    await saveModelFolder(
      buildModel({ filters: [4, 4, 4], denseUnits: 16, dropout: 0, seed: 1 }),
      digitsOnly,
      testModelMetadata('digits-only'),
    );
    const refitTenClasses = await cli('refit-cli.ts', [digitsOnly, '--out', join(dir, 'refit-out')]);
    expect(refitTenClasses.code).toBe(2);
    expect(refitTenClasses.stderr).toContain('has no "not a digit" class: nothing to re-fit');
    await expect(readFile(join(dir, 'refit-out', 'metadata.json'))).rejects.toThrow();
    const calibrateNoOut = await cli('calibrate-cli.ts', [join(dir, 'missing')]);
    expect(calibrateNoOut.code).toBe(2);
    expect(calibrateNoOut.stderr).toContain('usage: npm run calibrate');
  }, 240_000);
});
