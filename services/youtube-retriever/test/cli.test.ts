import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linkJobId } from './expected-ids.ts';
import { generateMedia, startMediaServer, type MediaServer } from './media-server.ts';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';

// `imk fetch` and `imk doctor` as a user runs them: the real CLI in a child process.
let mediaDir: string;
let root: string;
let server: MediaServer;

beforeAll(async () => {
  mediaDir = await mkdtemp(join(tmpdir(), 'imk-cli-media-'));
  root = await mkdtemp(join(tmpdir(), 'imk-cli-root-'));
  await generateMedia(mediaDir);
  server = await startMediaServer(mediaDir);
});
afterAll(async () => {
  await server.close();
  await Promise.all([mediaDir, root].map((dir) => rm(dir, { recursive: true, force: true })));
});

const imk = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  execa(IMK, [...args, '--root', root], {
    reject: false,
    stdin: 'ignore',
    env: { IMK_LOG_LEVEL: 'warn', ...env },
  });

describe('imk fetch', () => {
  it('prints the job ids of both modes, one per line', async () => {
    const result = await imk(['fetch', server.url('video.mp4'), '--mode', 'both']);
    expect(result.stderr).toBe('');
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n')).toEqual([
      linkJobId('generic', 'video', server.url('video.mp4'), 'audio'),
      linkJobId('generic', 'video', server.url('video.mp4'), 'video'),
    ]);
  });

  it('says clearly which links it takes', async () => {
    const notHttp = await imk(['fetch', 'ftp://example.com/a.mp3']);
    expect(notHttp.exitCode).toBe(1);
    expect(notHttp.stderr).toMatch(/^imk: only http\(s\) links are accepted.*\[INVALID_URL\]$/m);
    const artist = await imk(['fetch', 'https://www.deezer.com/artist/27']);
    expect(artist.exitCode).toBe(1);
    expect(artist.stderr).toMatch(/not a track, album or playlist.*\[UNSUPPORTED_URL\]/);
    const badMode = await imk(['fetch', server.url('audio.m4a'), '--mode', 'loud']);
    expect(badMode.exitCode).not.toBe(0);
    expect(badMode.stderr).toMatch(/audio, video, both/);
  });

  it('a link that cannot be fetched fails alone: the links after it are fetched, and every id is printed (with --json too)', async () => {
    const [first, last] = [server.url('two.m4a'), server.url('song.m4a')];
    const id = (link: string, name: string) => linkJobId('generic', name, link, 'audio');
    const plain = await imk(['fetch', first, 'not-a-link', server.url('gone.m4a'), last]);
    expect(plain.exitCode).toBe(1);
    expect(plain.stdout.split('\n')).toEqual([id(first, 'two'), id(last, 'song')]);
    expect(plain.stderr).toMatch(/^imk: "not-a-link" is not a URL.*\[INVALID_URL\]$/m);
    expect(plain.stderr).toMatch(/^imk: nothing was found at .*gone\.m4a.*\[NOT_FOUND\]$/m);

    const other = server.url('other/song.m4a');
    const json = await imk(['fetch', other, 'ftp://example.com/a.mp3', '--json']);
    expect(json.exitCode).toBe(1);
    const results = JSON.parse(json.stdout) as {
      url: string;
      jobs: { jobId: string }[];
      failures: { code: string }[];
    }[];
    expect(results.map((result) => result.url)).toEqual([other, 'ftp://example.com/a.mp3']);
    expect(results[0]!.jobs.map((job) => job.jobId)).toEqual([id(other, 'song')]);
    expect(results[1]!.failures.map((failure) => failure.code)).toEqual(['INVALID_URL']);
  });
});

describe('imk doctor', () => {
  it('fails when yt-dlp is missing, saying how to install it', async () => {
    const result = await imk(['doctor', '--group', 'retrievers'], { IMK_YT_DLP: '/nonexistent/yt-dlp' });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(
      /FAIL\s+yt-dlp\s+IMK_YT_DLP=\/nonexistent\/yt-dlp is not an executable file/,
    );
    expect(result.stdout).toMatch(/fix: install yt-dlp: `pipx install yt-dlp`/);
    // Each way to install it said once (it read "`pipx install yt-dlp` (or `pipx install yt-dlp`, …").
    expect(result.stdout.match(/pipx install yt-dlp/g)).toHaveLength(1);
    expect(result.stdout).toMatch(/1 required check\(s\) failed/);
  });

  it('warns about an old yt-dlp and passes with a recent one', async () => {
    const fake = join(root, 'yt-dlp-recent');
    const today = new Date();
    const version = `${today.getUTCFullYear()}.${String(today.getUTCMonth() + 1).padStart(2, '0')}.01`;
    await writeFile(fake, `#!/bin/sh\necho ${version}\n`);
    await chmod(fake, 0o755);
    const recent = await imk(['doctor', '--group', 'retrievers'], { IMK_YT_DLP: fake });
    expect(recent.stdout).toMatch(new RegExp(`ok\\s+yt-dlp\\s+yt-dlp ${version.replace(/\./g, '\\.')}`));
    expect(recent.exitCode).toBe(0);
    // Debian's package on this machine is old: doctor says so, with the update command, but does not fail.
    const old = await imk(['doctor', '--group', 'retrievers']);
    expect(old.stdout).toMatch(
      /WARN\s+yt-dlp\s+yt-dlp 2023\.03\.04 .* months old; YouTube breaks old versions/,
    );
    expect(old.stdout).toMatch(/fix: update: `pipx upgrade yt-dlp`/);
    expect(old.exitCode).toBe(0);
  });

  it('warns when yt-dlp would run unguarded (no setpriv): it would outlive a service killed outright', async () => {
    const fake = join(root, 'yt-dlp-guarded');
    const today = new Date();
    const version = `${today.getUTCFullYear()}.${String(today.getUTCMonth() + 1).padStart(2, '0')}.01`;
    await writeFile(fake, `#!/bin/sh\necho ${version}\n`);
    await chmod(fake, 0o755);
    const result = await imk(['doctor', '--group', 'retrievers'], {
      IMK_YT_DLP: fake,
      IMK_SETPRIV: '/nonexistent/setpriv',
    });
    expect(result.stdout).toMatch(
      /WARN\s+yt-dlp\s+yt-dlp [\d.]+ \(.*\) runs unguarded: setpriv \(util-linux\)/,
    );
    expect(result.stdout).toMatch(/fix: `sudo apt-get install -y util-linux`/);
    expect(result.exitCode).toBe(0);
  });

  it('reports Deezer pieces as optional, without showing the ARL', async () => {
    const arl = 'abc123'.repeat(20);
    const result = await imk(['doctor', '--json'], { IMK_DEEMIX_ARL: arl });
    const report = JSON.parse(result.stdout) as {
      ok: boolean;
      checks: { id: string; status: string; required: boolean; summary: string }[];
    };
    expect(report.checks.find((c) => c.id === 'deezer-arl')).toMatchObject({ status: 'ok', required: false });
    expect(report.checks.find((c) => c.id === 'deemix')).toMatchObject({ status: 'fail', required: false });
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining(['ffmpeg', 'queues-writable', 'free-disk', 'yt-dlp']),
    );
    expect(result.stdout).not.toContain(arl);
  });
});
