import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';
import { imkOnHost } from './host-name.ts';

let root: string;
// A host name is up to 64 characters (cloud and Kubernetes names come close); it is set in a
// namespace of its own, for any user (host-name.ts).
const HOST = `${'worker-node-'.repeat(5)}abcd`; // 64 characters

beforeAll(async () => {
  root = await makeRoot({ pollMs: 100, variants: ['instrumental'] });
  await makeSong(join(root, 'song.m4a'), 2);
  await publishV1(
    root,
    'other',
    { job_id: 'on_long_host', source_type: 'local', title: 'Song', audio_path: 'audio.m4a' },
    { 'audio.m4a': join(root, 'song.m4a') },
  );
}, 60_000);
afterAll(() => removeRoot(root));

describe('a worker on a host with a 64-character name', () => {
  it('starts and processes its jobs (it refused to start: "consumer id … cannot go into a folder name")', async () => {
    expect(HOST).toHaveLength(64);
    const unshare = await execa('unshare', ['-Ur', '-u', 'true'], { reject: false });
    expect(unshare.exitCode, `unshare -Ur -u (a user namespace of its own) failed: ${unshare.stderr}`).toBe(
      0,
    );
    const result = await imkOnHost(HOST, ['run', '--once', '--root', root]);
    expect(result.stderr).not.toContain('INVALID_CONSUMER_ID');
    expect(JSON.parse(result.stdout)).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await readManifest(root, 'on_long_host')).job_id).toBe('on_long_host');
  }, 120_000);
});
