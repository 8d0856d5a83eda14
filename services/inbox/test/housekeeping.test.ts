// What Windows, a Mac and a NAS write into a shared folder someone browses: not a drop, left alone.
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { resolvePaths } from '@imk/config';
import { createLogger } from '@imk/log';
import { createInbox, inboxFoldersCheck } from '../src/index.ts';
import { inboxFixtures, media, setup } from './inbox-kit.ts';

inboxFixtures();

const FILES = ['Thumbs.db', 'desktop.ini', 'ehthumbs.db', 'Icon\r', 'THUMBS.DB'];
const FOLDERS = ['@eaDir', '#recycle', '$RECYCLE.BIN', 'System Volume Information'];

describe('housekeeping files in the inbox', () => {
  it('Thumbs.db, desktop.ini, a Synology @eaDir and the like are left where they are, never set aside or warned about; the song beside them is queued', async () => {
    const { root, settings } = await setup();
    const out = new PassThrough();
    const lines: { level: number; msg: string }[] = [];
    out.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as { level: number; msg: string });
    });
    const inbox = createInbox(settings, createLogger('test', { destination: out, level: 'debug' }));
    for (const name of FILES) await writeFile(join(settings.dir, name), 'written by the system');
    for (const name of FOLDERS) {
      await mkdir(join(settings.dir, name));
      await writeFile(join(settings.dir, name, 'SYNO@.fileindexdb'), 'index');
    }
    await writeFile(join(settings.dir, 'plain.wav'), await readFile(join(media, 'plain.wav')));
    const outcomes = [];
    for (let look = 0; look < 4; look++) {
      await new Promise((resolve) => setTimeout(resolve, settings.pollIntervalMs + 10));
      outcomes.push(...(await inbox.scan()));
    }
    // Before: each file was moved to .rejected/ ("not a media file this inbox takes (.db)"; Explorer then
    // made a new Thumbs.db, set aside as "Thumbs (2).db", and so on), and each folder was warned about.
    expect(outcomes.map((o) => [o.name, o.outcome])).toEqual([['plain.wav', 'queued']]);
    expect((await readdir(settings.dir)).sort()).toEqual(['.processed', ...FILES, ...FOLDERS].sort());
    expect(lines.filter((line) => line.level >= 40)).toEqual([]);
    const report = await inboxFoldersCheck.run({ paths: resolvePaths(root), env: {}, now: new Date() });
    expect(report.status).toBe('ok');
  });
});
