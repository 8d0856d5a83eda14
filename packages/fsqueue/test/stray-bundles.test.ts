import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createQueue, type Queue } from '../src/index.ts';
import { tempRoot } from './helpers.ts';

// A bundle folder made or renamed by hand at the top of a queue, not named job_<id> ("My Song", "Job_x"):
// no worker takes it (the protocol's rule), and nothing said so: the job sat in the queue for ever.
let cleanup: () => Promise<void>;
let queueDir: string;
let queue: Queue | undefined;
beforeEach(async () => {
  let root: string;
  ({ root, cleanup } = await tempRoot());
  queueDir = join(root, 'queues', 'other');
});
afterEach(async () => {
  await queue?.close();
  await cleanup();
});

describe('a folder holding a job.json at the top of a queue, not named job_<id>', () => {
  it('is said once in the log, naming it and the name to give it; other entries are not', async () => {
    for (const name of ['My Song', 'Job_x', '.hidden', 'notes'])
      await mkdir(join(queueDir, name), { recursive: true });
    for (const name of ['My Song', 'Job_x', '.hidden'])
      await writeFile(
        join(queueDir, name, 'job.json'),
        '{"job_id":"x","source_type":"custom","audio_path":"a.wav"}',
      );
    await writeFile(join(queueDir, 'README.txt'), 'hello');
    const lines: string[] = [];
    const out = new PassThrough();
    out.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
    queue = createQueue({
      queueDir,
      watch: false,
      maintenance: false,
      logger: createLogger('test', { level: 'warn', destination: out }),
    });
    for (let i = 0; i < 3; i++) expect(await queue.claim()).toBeUndefined();
    const said = lines.filter((line) => line.includes('is not named job_<id>'));
    expect(said).toHaveLength(2);
    expect(said.join('\n')).toContain(
      'other/My Song holds a job.json but is not named job_<id>, so no worker takes it',
    );
    expect(said.join('\n')).toContain('other/Job_x holds a job.json');
  });
});
