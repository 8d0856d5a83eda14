import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createQueue, findJob } from '../src/index.ts';
import { tempRoot } from './helpers.ts';

const PROTOCOL_DOC = fileURLToPath(new URL('../../../docs/protocol.md', import.meta.url));

/** The ```sh block right after the `<!-- shell-producer -->` line of docs/protocol.md. */
async function shellProducerFromDocs(): Promise<string> {
  const text = await readFile(PROTOCOL_DOC, 'utf8');
  const match = /<!-- shell-producer -->\s*\n```sh\n([\s\S]*?)\n```/.exec(text);
  if (!match?.[1]) throw new Error('docs/protocol.md has no ```sh block after <!-- shell-producer -->');
  return match[1];
}

let root: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ root, cleanup } = await tempRoot('imk-shell-'));
});
afterEach(async () => {
  await cleanup();
});

describe('the shell producer of docs/protocol.md', () => {
  it('publishes a bundle that our consumer claims, validates and completes', async () => {
    const script = await shellProducerFromDocs();
    const audio = join(root, 'tone.wav');
    await execa('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', 'sine=f=330:d=1', audio]);
    const { stdout } = await execa('bash', ['-c', script], {
      env: { IMK_ROOT: root, AUDIO: audio },
      cwd: root,
    });
    const jobId = stdout.trim();
    expect(jobId).toMatch(/^shell_\d{14}_\d+$/);
    const queueDir = join(root, 'queues', 'other');
    expect(await readdir(queueDir)).toEqual([`job_${jobId}`]);

    const queue = createQueue({ queueDir, watch: false });
    try {
      const claim = await queue.claim();
      expect(claim?.jobId).toBe(jobId);
      expect(claim?.job).toMatchObject({
        schema_version: 1,
        source_type: 'custom',
        title: 'Hello from sh',
        audio_path: 'audio.wav',
        files: [{ path: 'audio.wav' }],
      });
      await claim!.complete();
    } finally {
      await queue.close();
    }
    expect((await findJob(queueDir, jobId))?.state).toBe('succeeded');
  });
});
