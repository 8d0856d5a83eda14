// A bundle folder whose name is not UTF-8 (a script on an old Windows share, a zip, made `job_caf\xe9`) is
// listed with U+FFFD in place of its odd bytes, a name that opens nothing: it sat in the queue for ever,
// neither claimed nor rejected, and nothing said so. It is now renamed to its Windows-1252 reading, as the
// drop folders do (fs-safe renameNamesNotUtf8), then claimed or rejected with a reason like any bundle.
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createQueue, listRejected, readRejection, type Queue } from '../src/index.ts';
import { publishTiny, tempRoot } from './helpers.ts';

let cleanup: () => Promise<void>;
let queueDir: string;
let queue: Queue | undefined;

beforeEach(async () => {
  const made = await tempRoot('imk-fsqueue-names-');
  cleanup = made.cleanup;
  queueDir = join(made.root, 'queues', 'other');
});
afterEach(async () => {
  await queue?.close();
  queue = undefined;
  await cleanup();
});

/** `name` with its last character (é, U+00E9) written as the one byte 0xE9 (Windows-1252), not UTF-8. */
const latin1 = (dir: string, name: string): Buffer => Buffer.from(`${dir}/${name}`, 'latin1');

/** The names at the top of the queue folder, their bytes read as Latin-1 (so a byte 0xE9 shows as é). */
const topNames = async (): Promise<string[]> =>
  (await readdir(queueDir, { encoding: 'buffer' })).map((name) => name.toString('latin1')).sort();

describe('a bundle folder whose name is not UTF-8', () => {
  it('is claimed under its Windows-1252 reading, and the rename is said', async () => {
    const published = await publishTiny(queueDir, 'café');
    await rename(published, latin1(queueDir, 'job_café'));
    const lines = new PassThrough();
    let log = '';
    lines.on('data', (chunk: Buffer) => (log += chunk.toString()));
    queue = createQueue({ queueDir, watch: false, logger: createLogger('test', { destination: lines }) });
    const claim = await queue.claim();
    expect(claim?.jobId).toBe('café');
    expect(log).toMatch(/the name of \\"job_café\\" was not UTF-8/);
    await claim?.complete({});
  });

  it('whose job.json names another job is rejected with the reason, not left in the queue', async () => {
    const published = await publishTiny(queueDir, 'other');
    await rename(published, latin1(queueDir, 'job_résumé'));
    queue = createQueue({ queueDir, watch: false });
    expect(await queue.claim()).toBeUndefined();
    expect((await topNames()).filter((name) => name.startsWith('job_'))).toEqual([]);
    const rejected = await listRejected(queueDir);
    expect(rejected.map((folder) => folder.jobId)).toEqual(['résumé']);
    const { problems } = await readRejection(rejected[0]!);
    expect(problems.map((problem) => problem.message)).toContain(
      'job.json says "other" but the folder is job_résumé',
    );
  });

  it("is left alone while it is a producer's .tmp folder", async () => {
    await mkdir(latin1(queueDir, 'job_café.tmp'), { recursive: true });
    queue = createQueue({ queueDir, watch: false });
    expect(await queue.claim()).toBeUndefined();
    expect(await topNames()).toContain('job_café.tmp');
  });
});
