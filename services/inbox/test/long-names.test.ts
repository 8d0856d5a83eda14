import { copyFile, mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@imk/log';
import { createInbox, loadInboxSettings } from '../src/index.ts';

const logger = createLogger('test', { level: 'silent' });
let root: string;
let song: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-inbox-long-'));
  song = join(root, 'song.wav');
  await execa('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=330:duration=1', song]);
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const bytes = (name: string) => Buffer.byteLength(name);

describe('dropped files whose names are near the 255-byte limit', () => {
  it('are set aside or moved to .processed like any other, under a shortened name when a number or reason must fit', async () => {
    // stableChecks 1: each scan takes what it lists (these files are complete when written).
    const settings = await loadInboxSettings(root, { stableChecks: 1 });
    await mkdir(settings.dir, { recursive: true });
    const inbox = createInbox(settings, logger);

    const notes = `${'n'.repeat(248)}.txt`; // 252 bytes: "<name>.reason.txt" would be 263
    const title = `${'Ä'.repeat(125)}.wav`; // 254 bytes: "<stem> (2).wav" would be 258
    expect([bytes(notes), bytes(title)]).toEqual([252, 254]);
    await writeFile(join(settings.dir, notes), 'not a song');
    await copyFile(song, join(settings.dir, title));
    const first = await inbox.scan();
    expect(first.map((o) => o.outcome).sort()).toEqual(['queued', 'rejected']);
    // The same song dropped again: one job, the copy goes to .processed under a numbered name.
    await copyFile(song, join(settings.dir, title));
    const second = await inbox.scan();
    expect(second.map((o) => o.outcome)).toEqual(['duplicate']);
    expect(await readdir(settings.dir)).toEqual(['.processed', '.rejected']);

    const processed = (await readdir(join(settings.dir, '.processed'))).sort();
    expect(processed).toHaveLength(2);
    expect(processed).toContain(title);
    const numbered = processed.find((name) => name !== title)!;
    expect(numbered).toMatch(/^Ä+ \(2\)\.wav$/);
    expect(bytes(numbered)).toBeLessThanOrEqual(255);

    const rejected = (await readdir(join(settings.dir, '.rejected'))).sort();
    expect(rejected).toHaveLength(2);
    const [kept, reason] = rejected as [string, string];
    expect(reason).toBe(`${kept}.reason.txt`);
    expect(bytes(reason)).toBeLessThanOrEqual(255);
    expect(await readFile(join(settings.dir, '.rejected', kept), 'utf8')).toBe('not a song');
    // The reason quotes the name the file had, and says under which name it is kept.
    expect(await readFile(join(settings.dir, '.rejected', reason), 'utf8')).toContain(
      `${notes} (kept as ${kept}): not a media file`,
    );
  });
});
