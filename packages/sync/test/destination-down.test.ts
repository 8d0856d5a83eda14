import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReceiptStore, createSyncEngine } from '../src/index.ts';
import { audioJob, writeJob } from './fixtures.ts';
import { capturingLogger, tempDir } from './helpers.ts';

// A destination that cannot work at all (its secret, its program, its settings) fails every transfer of a
// pass the same way: it is said once, and its other transfers are recorded without being tried. Which
// codes mean "the whole destination" is the error catalogue's word (SYNC_ERRORS), not a list kept beside
// the retry loop: a list missed SECRET_INVALID when the secret reader learnt it, and a password with a line
// break inside it then gave one error line (and one try) per file.

let dir: { path: string; remove(): Promise<void> };
let receipts: ReceiptStore;

beforeEach(async () => {
  dir = await tempDir('imk-dest-down-');
  receipts = ReceiptStore.open({ file: join(dir.path, 'state', 'nas-sync.sqlite') })!;
});
afterEach(async () => {
  receipts.close();
  await dir.remove();
});

async function passWithPassword(env: NodeJS.ProcessEnv) {
  const outputs = join(dir.path, 'outputs');
  await writeJob(outputs, audioJob('job1', ['instrumental', 'no_drums', 'drums_only']));
  const { logger, lines } = capturingLogger();
  const engine = createSyncEngine({
    outputsDir: outputs,
    receipts,
    remoteRoots: {},
    env,
    backends: {
      // Nothing is ever reached: the backend cannot be made (its password variable is wrong).
      nas: { type: 'sftp', host: '127.0.0.1', port: 1, password: { env: 'NAS_PASS' }, hostKeyCheck: 'off' },
    },
    routes: [
      {
        name: undefined,
        match: { kind: 'audio', variant: undefined, source_type: undefined },
        to: '/srv/{title} ({variant}).{ext}',
        backend: 'nas',
      },
    ],
    logger,
    retry: { attemptsPerPass: 3, initialDelaySec: 60, maxDelaySec: 600 },
  });
  try {
    const summary = await engine.runPass();
    return { summary, errors: lines().filter((line) => Number(line.level) >= 50) };
  } finally {
    await engine.close();
  }
}

describe('a destination that cannot work at all', () => {
  it.each([
    ['unset (SECRET_MISSING)', {}, 'SECRET_MISSING'],
    ['with a line break inside (SECRET_INVALID)', { NAS_PASS: 'part-one\npart-two' }, 'SECRET_INVALID'],
  ])(
    'a password variable %s: said once, every transfer recorded as failed for good',
    async (_, env, code) => {
      const { summary, errors } = await passWithPassword({ ...env });
      expect(summary).toMatchObject({ transfers: 3, delivered: 0, failed: 3 });
      expect(summary.outcomes.map((o) => [o.errorCode, o.final])).toEqual([
        [code, true],
        [code, true],
        [code, true],
      ]);
      expect(errors).toHaveLength(1);
      expect(String(errors[0]?.msg)).toMatch(/^destination failed for good: password: .*NAS_PASS/);
      expect(String(errors[0]?.msg)).not.toContain('part-one');
    },
  );
});
