import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { resolveTool } from './tool-resolver.ts';

let dir = '';
let cleanup: () => Promise<void> = async () => {};
let emptyPath = '';
beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'imk-tools-'));
  cleanup = () => rm(dir, { recursive: true, force: true });
  emptyPath = path.join(dir, 'empty-bin');
  await mkdir(emptyPath);
});
afterAll(() => cleanup());

async function failure(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e as Error,
  );
}

describe('resolveTool', () => {
  it('finds the system ffmpeg and ffprobe on PATH', async () => {
    expect(path.basename(await resolveTool('ffmpeg'))).toBe('ffmpeg');
    expect(path.basename(await resolveTool('ffprobe'))).toBe('ffprobe');
  });

  it('prefers the env variable (IMK_FFMPEG) over PATH', async () => {
    const custom = path.join(dir, 'my-ffmpeg');
    await writeFile(custom, '#!/bin/sh\nexit 0\n');
    await chmod(custom, 0o755);
    expect(await resolveTool('ffmpeg', { env: { PATH: process.env.PATH, IMK_FFMPEG: custom } })).toBe(custom);
  });

  it('says so when the env variable points at nothing usable', async () => {
    const error = await failure(resolveTool('ffprobe', { env: { IMK_FFPROBE: path.join(dir, 'missing') } }));
    expect(isImkError(error, 'TOOL_MISSING')).toBe(true);
    expect(error.message).toContain('IMK_FFPROBE');
  });

  it('falls back to the binary shipped in an npm package', async () => {
    // A stand-in for @ffmpeg-installer/ffmpeg: same module shape ({ path }), its binary not yet executable,
    // as after an install whose postinstall `chmod` npm did not run.
    const pkg = path.join(dir, 'project', 'node_modules', '@ffmpeg-installer', 'ffmpeg');
    await mkdir(pkg, { recursive: true });
    const binary = path.join(pkg, 'ffmpeg');
    await writeFile(binary, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    await writeFile(
      path.join(pkg, 'package.json'),
      JSON.stringify({ name: '@ffmpeg-installer/ffmpeg', main: 'index.js' }),
    );
    await writeFile(path.join(pkg, 'index.js'), `module.exports = { path: ${JSON.stringify(binary)} };\n`);
    const found = await resolveTool('ffmpeg', {
      env: { PATH: emptyPath },
      extraDirs: [],
      npmResolveFrom: path.join(dir, 'project'),
    });
    expect(found).toBe(binary);
  });

  it('explains what is missing and how to install it', async () => {
    const error = await failure(
      resolveTool('ffmpeg', { env: { PATH: emptyPath }, extraDirs: [], npmResolveFrom: emptyPath }),
    );
    expect(isImkError(error, 'TOOL_MISSING')).toBe(true);
    expect(error.message).toContain('ffmpeg was not found');
    expect(error.message).toContain('apt-get install -y ffmpeg');
    expect(error.message).toContain('IMK_FFMPEG');
  });

  it('works for any tool, with its Debian package named', async () => {
    const error = await failure(resolveTool('sshd', { env: { PATH: emptyPath }, extraDirs: [] }));
    expect(error.message).toContain('apt-get install -y openssh-server');
    const unknown = await failure(resolveTool('no-such-tool-xyz'));
    expect(unknown.message).toContain('IMK_NO_SUCH_TOOL_XYZ');
    expect(path.basename(await resolveTool('rsync'))).toBe('rsync');
    const demucs = await failure(resolveTool('demucs', { env: { PATH: emptyPath }, extraDirs: [] }));
    expect(demucs.message).toContain('pipx install demucs');
    expect(demucs.message).not.toContain('apt-get');
    // One message, one install hint: deemix is not a Debian package.
    const deemix = await failure(resolveTool('deemix', { env: { PATH: emptyPath }, extraDirs: [] }));
    expect(deemix.message).toMatch(
      /^deemix was not found \(not in IMK_DEEMIX, not on PATH\); install it with `pipx install deemix`/,
    );
    expect(deemix.message).not.toContain('apt-get');
    // A program configured by another name is still that tool: the hint is the tool's.
    const renamed = await failure(
      resolveTool('demucs', {
        configured: 'demucs-nightly',
        env: { PATH: emptyPath },
        extraDirs: [],
        fresh: true,
      }),
    );
    expect(renamed.message).toContain('demucs-nightly was not found');
    expect(renamed.message).toContain('pipx install demucs');
    expect(renamed.message).not.toContain('apt-get');
  });

  it('takes the program a config file names: its path wins over the env variable; its own name means as usual', async () => {
    const custom = path.join(dir, 'configured-rsync');
    await writeFile(custom, '#!/bin/sh\nexit 0\n');
    await chmod(custom, 0o755);
    const env = { PATH: process.env.PATH, IMK_RSYNC: path.join(dir, 'not-this-one') };
    expect(await resolveTool('rsync', { env, configured: custom })).toBe(custom);
    const usual = await failure(resolveTool('rsync', { env, configured: 'rsync' }));
    expect(usual.message).toContain('IMK_RSYNC');
    const missing = await failure(
      resolveTool('rsync', {
        configured: path.join(dir, 'gone'),
        configuredIn: 'rsyncBinary in nas-sync.yaml',
      }),
    );
    expect(isImkError(missing, 'TOOL_MISSING')).toBe(true);
    expect(missing.message).toContain('rsyncBinary in nas-sync.yaml');
  });
});
