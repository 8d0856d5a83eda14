import { describe, expect, it } from 'vitest';
import { backendFor, rsyncServers, rsyncTarget } from './nas-rsync-hosts.ts';

// What rsync itself made of the text its NAS sync service gave it as a destination: a colon before the first
// slash is a server reached over ssh, `::` or rsync:// a daemon, anything else a folder here.
describe('rsyncTarget', () => {
  it('reads a destination as rsync read it', () => {
    expect(rsyncTarget('/mnt/nas/audio')).toEqual({ where: 'here', path: '/mnt/nas/audio' });
    expect(rsyncTarget('/mnt/a:b/audio')).toEqual({ where: 'here', path: '/mnt/a:b/audio' });
    expect(rsyncTarget('me@nas.local:/volume1/audio')).toEqual({
      where: 'server',
      server: { host: 'nas.local', username: 'me' },
      path: '/volume1/audio',
    });
    expect(rsyncTarget('nas:/volume1/a b')).toEqual({
      where: 'server',
      server: { host: 'nas' },
      path: '/volume1/a b',
    });
    expect(rsyncTarget('[::1]:/srv/x')).toEqual({ where: 'server', server: { host: '::1' }, path: '/srv/x' });
    expect(rsyncTarget('nas:music')).toMatchObject({ where: 'server', path: 'music' });
    expect(rsyncTarget('nas::module/audio')).toEqual({ where: 'daemon' });
    expect(rsyncTarget('rsync://nas/module')).toEqual({ where: 'daemon' });
  });

  it('gives each server one backend, and folders here their own once a server is named', () => {
    const env = {
      NAS_REMOTE_ROOT_AUDIO: 'me@nas:/a',
      NAS_REMOTE_ROOT_VIDEO: '/here/v',
      NAS_REMOTE_ROOT_STEMS: 'me@other:/s',
    };
    const servers = rsyncServers(env, ['me@nas:/a/x', 'me@nas:/elsewhere']);
    expect(servers).toEqual([
      { backend: 'nas', host: 'nas', username: 'me' },
      { backend: 'nas-2', host: 'other', username: 'me' },
    ]);
    expect(backendFor('me@other:/s/x', servers)).toBe('nas-2');
    expect(backendFor('/here/v/YouTube', servers)).toBe('nas-local');
    expect(backendFor('/here/v/YouTube', [])).toBe('nas');
    expect(rsyncServers({ ...env, NAS_SYNC_METHOD: 'local' })).toEqual([]);
  });
});
