import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK, makeRoot, makeSong, publishV1, readManifest, removeRoot } from './helpers.ts';

let root: string;
// A host name is up to 64 characters (cloud and Kubernetes names come close). Setting one needs its own
// UTS namespace: `unshare -u`, which root may do (the CI and the Docker image run as root). Whether it runs is
// decided by who runs it, not by a probe of `unshare`: a probe that failed for any reason skipped the test
// without a word. As root a refused `unshare` fails the test with what it said; as another user it is skipped
// and says why.
const asRoot = process.getuid?.() === 0;
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
  it('starts and processes its jobs (it refused to start: "consumer id … cannot go into a folder name")', async (ctx) => {
    if (!asRoot) ctx.skip('setting a host name needs root (unshare -u): run the suite as root, as CI does');
    expect(HOST).toHaveLength(64);
    const unshare = await execa('unshare', ['-u', 'true'], { reject: false });
    expect(unshare.exitCode, `unshare -u, which root may run, failed: ${unshare.stderr}`).toBe(0);
    const result = await execa(
      'unshare',
      ['-u', 'sh', '-c', `hostname ${HOST} && exec "$0" "$@"`, IMK, 'run', '--once', '--root', root],
      { reject: false, env: { IMK_LOG_LEVEL: 'warn' } },
    );
    expect(result.stderr).not.toContain('INVALID_CONSUMER_ID');
    expect(JSON.parse(result.stdout)).toMatchObject({ succeeded: 1, failed: 0 });
    expect((await readManifest(root, 'on_long_host')).job_id).toBe('on_long_host');
  }, 120_000);
});
