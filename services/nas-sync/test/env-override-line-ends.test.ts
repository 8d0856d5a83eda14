import { afterEach, beforeEach, expect, it } from 'vitest';
import { loadNasSyncConfig } from '../src/index.ts';
import { tempRoot, writeConfig } from './helpers.ts';

// A setting given as an IMK_… variable from an env file written on Windows (`docker run --env-file` keeps
// the "\r" of a CRLF line) or with a trailing space: the remote root "/mnt/nas\r" was taken as written, so
// every song went to a new folder "/mnt/nas\r/…" on this host's own disk beside the share, said delivered;
// "fail " was refused as no conflict policy. A variable's text is read without the spaces and line breaks
// around it, as secrets and the earlier version's .env are.

let t: Awaited<ReturnType<typeof tempRoot>>;
beforeEach(async () => {
  t = await tempRoot();
});
afterEach(() => t.remove());

const CONFIG =
  'nasSync:\n  enabled: true\n  remoteRoots:\n    audio: /somewhere\n  routes:\n    - kind: audio\n      to: ${remoteRoots.audio}/Instrumental\n';

it('a remote root from an IMK_ variable ending in "\\r" or a space is the folder without it', async () => {
  await writeConfig(t.root, CONFIG);
  for (const end of ['\r', ' ', '\r\n'] as const) {
    const loaded = await loadNasSyncConfig(t.root, {
      IMK_NAS_SYNC__NAS_SYNC__REMOTE_ROOTS__AUDIO: `${t.nas}/Music${end}`,
    });
    expect(loaded.state).toBe('enabled');
    if (loaded.state === 'enabled')
      expect(loaded.config.remoteRoots.audio, JSON.stringify(end)).toBe(`${t.nas}/Music`);
  }
});

it('a choice or a number from an IMK_ variable with a line break or spaces around it is read', async () => {
  await writeConfig(t.root, CONFIG);
  const loaded = await loadNasSyncConfig(t.root, {
    IMK_NAS_SYNC__NAS_SYNC__CONFLICT: 'fail\r',
    IMK_NAS_SYNC__NAS_SYNC__UNROUTED: ' fail ',
    IMK_NAS_SYNC__NAS_SYNC__CONCURRENCY: '2\r\n',
  });
  expect(loaded.state === 'enabled' && loaded.config).toMatchObject({
    conflict: 'fail',
    unrouted: 'fail',
    concurrency: 2,
  });
});
