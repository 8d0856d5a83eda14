import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { destinationKey } from '../src/index.ts';
import { preparePlaces } from '../src/places.ts';

// A destination path is one key everywhere: the plan's index of held paths, the pass's set of claimed
// paths, the pass's one-transfer-at-a-time-per-path chains, the held paths the engine hands the pass, and
// nas-sync's status. Each spelt it `${backend}\u0000${path}` by hand (run-transfers twice, under two names);
// one that drifted would let two copies race onto one path or a renamed copy take a held one.
const REPO = join(import.meta.dirname, '..', '..', '..');

async function files(dir: string): Promise<string[]> {
  const entries = await readdir(join(REPO, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
    .map((e) => join(e.parentPath, e.name));
}

describe('destination keys', () => {
  it('are made by destinationKey alone (sync and nas-sync)', async () => {
    const found: string[] = [];
    for (const file of [...(await files('packages/sync/src')), ...(await files('services/nas-sync/src'))]) {
      const path = relative(REPO, file);
      if (path === 'packages/sync/src/conflicts.ts') continue;
      for (const match of (await readFile(file, 'utf8')).matchAll(
        /`\$\{[^}`]*backend[^}`]*\}\\u0000[^`]*`/gi,
      ))
        found.push(`${path}: ${match[0]}`);
    }
    expect(found).toEqual([]);
    expect(destinationKey('nas', 'a/b.m4a')).not.toBe(destinationKey('nas/a', 'b.m4a'));
  });

  // One server's folder through rsync over ssh and through SFTP, or one bucket's prefix through two s3
  // backends, spelt differently: one destination (places.ts), so neither overwrites the other's copies.
  it('name one folder on a server alike, however the backends spell it', async () => {
    const places = await preparePlaces(
      [
        { backend: 'viaRsync', remotePath: 'Music/Song.m4a' },
        { backend: 'viaSftp', remotePath: 'music/./Music/Song.m4a' },
        { backend: 'otherUser', remotePath: 'Music/Song.m4a' },
        { backend: 'bucketA', remotePath: 'Music/Song.m4a' },
        { backend: 'bucketB', remotePath: 'Music/Song.m4a' },
      ],
      {
        viaRsync: { type: 'rsync', host: 'NAS.local', username: 'music', root: '/volume1/music/' },
        viaSftp: { type: 'sftp', host: 'nas.local', port: 22, username: 'music', root: '/volume1' },
        otherUser: { type: 'sftp', host: 'nas.local', username: 'admin', root: '/volume1/music' },
        bucketA: { type: 's3', bucket: 'songs', prefix: 'library/' },
        bucketB: { type: 's3', bucket: 'songs', prefix: 'library' },
      },
      () => Promise.resolve(undefined),
    );
    const key = (backend: string, path: string) => destinationKey(backend, path, places);
    expect(key('viaRsync', 'Music/Song.m4a')).toBe(key('viaSftp', 'music/./Music/Song.m4a'));
    expect(key('viaRsync', 'Music/Song.m4a')).toBe(key('viaSftp', 'music/./Music/SONG.m4a'));
    expect(key('viaRsync', 'Music/Song.m4a')).not.toBe(key('otherUser', 'Music/Song.m4a'));
    expect(key('bucketA', 'Music/Song.m4a')).toBe(key('bucketB', 'Music/Song.m4a'));
  });
});
