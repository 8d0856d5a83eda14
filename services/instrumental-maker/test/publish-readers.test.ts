import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readJobOutput, readOutputManifest, type Manifest } from '@imk/protocol';
import { minimalManifest } from '@imk/protocol/testing';
import { publishOutputs } from '../src/publish-outputs.ts';
import { makeRoot, removeRoot } from './helpers.ts';

// A job's outputs published again (a saved mix, a re-run) while the dashboard reads them: publishOutputs
// moves outputs/<id>/ aside and then renames the partial folder into its place, and a reader that came in
// between found no outputs (the mixer said "cannot mix" until the page was reloaded). Real publishes, real
// readers in the same process (as `imk up` runs them): the plain read of the folder misses in that moment,
// readJobOutput never does.
let root: string;
beforeAll(async () => {
  root = await makeRoot({});
});
afterAll(() => removeRoot(root));

async function publish(outputsDir: string, jobId: string, title: string): Promise<void> {
  const partialDir = join(outputsDir, `.${jobId}.partial-test`);
  await mkdir(partialDir, { recursive: true });
  await publishOutputs({
    outputsDir,
    jobId,
    partialDir,
    manifest: minimalManifest(jobId, { title }),
    stillHeld: () => Promise.resolve(true),
  });
}

describe('readers of a job whose outputs are published again', () => {
  it('readJobOutput finds outputs (earlier or new) in every read, where the plain read misses', async () => {
    const outputsDir = join(root, 'outputs');
    const jobId = 'republished_1';
    await publish(outputsDir, jobId, 'take 0');
    let publishing = true;
    const misses = { plain: 0, throughReplace: 0 };
    const reads = { plain: 0, throughReplace: 0 };
    const reader = async (kind: keyof typeof misses) => {
      while (publishing) {
        const found =
          kind === 'plain'
            ? await readOutputManifest(join(outputsDir, jobId))
            : await readJobOutput(outputsDir, jobId);
        reads[kind]++;
        if (found?.ok !== true) misses[kind]++;
      }
    };
    const readers = [reader('plain'), reader('plain'), reader('throughReplace'), reader('throughReplace')];
    // 20 publishes, and more until the plain reader has come in between the two renames a few times (it
    // does within a few publishes here), at most 300.
    for (let take = 1; take <= 20 || (take <= 300 && misses.plain < 3); take++)
      await publish(outputsDir, jobId, `take ${take}`);
    publishing = false;
    await Promise.all(readers);
    expect(misses.plain, 'the plain read came in between the renames').toBeGreaterThan(0);
    expect(reads.throughReplace).toBeGreaterThan(10);
    expect(misses.throughReplace).toBe(0);
    const last = JSON.parse(await readFile(join(outputsDir, jobId, 'manifest.json'), 'utf8')) as Manifest;
    expect(last.title).toMatch(/^take \d+$/);
  }, 120_000);
});
