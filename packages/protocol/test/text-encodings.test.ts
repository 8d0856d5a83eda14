import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleSongs, readBundle, readOutputManifest } from '../src/index.ts';
import { legacyReadNotes } from '../src/legacy-job.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-encodings-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const job = {
  job_id: 'enc_1',
  source_type: 'custom',
  artist: 'Sigur Rós',
  album: 'Ágætis byrjun',
  title: 'Svefn-g-englar',
  audio_path: 'a.wav',
};
const manifest = {
  job_id: 'enc_1',
  source_type: 'custom',
  artist: 'Sigur Rós',
  album: 'Ágætis byrjun',
  title: 'Svefn-g-englar',
  artifacts: [{ kind: 'instrumental', label: 'instrumental', path: 'files/a.wav' }],
};

// What Notepad, PowerShell 5 (Out-File -Encoding utf8) and many Windows tools save: a BOM, CRLF lines.
const windowsText = (value: unknown) => `\uFEFF${JSON.stringify(value, null, 2).replace(/\n/g, '\r\n')}\r\n`;

describe('documents saved by Windows editors (a UTF-8 byte order mark, CRLF line ends)', () => {
  it('a job.json is read as the same job', async () => {
    const bundle = join(dir, 'job_enc_1');
    await mkdir(bundle);
    await writeFile(join(bundle, 'a.wav'), 'x');
    await writeFile(join(bundle, 'job.json'), windowsText(job));
    const result = await readBundle(bundle);
    expect(result).toMatchObject({ ok: true, job: { title: 'Svefn-g-englar', artist: 'Sigur Rós' } });
  });

  it('a manifest.json is read as the same manifest', async () => {
    const out = join(dir, 'outputs', 'enc_1');
    await mkdir(join(out, 'files'), { recursive: true });
    await writeFile(join(out, 'files', 'a.wav'), 'x');
    await writeFile(join(out, 'manifest.json'), windowsText(manifest));
    const result = await readOutputManifest(out);
    expect(result).toMatchObject({ ok: true });
  });

  it('a BOM anywhere but the start is still invalid JSON, naming the file', async () => {
    const bundle = join(dir, 'job_enc_2');
    await mkdir(bundle);
    await writeFile(join(bundle, 'a.wav'), 'x');
    await writeFile(join(bundle, 'job.json'), `{"job_id":\uFEFF"enc_2"}`);
    const result = await readBundle(bundle);
    expect(result).toMatchObject({ ok: false, problems: [{ path: 'job.json' }] });
    if (!result.ok) expect(result.problems[0]?.message).toContain('job.json is not valid JSON');
  });
});

// The earlier version's documents edited by hand and saved as "ANSI" by an editor on Windows: Latin-1 bytes
// (é is the one byte E9), not UTF-8. Read as UTF-8, every such letter became U+FFFD in the tags, the ledger,
// the dashboard and the file names published. Its documents (no schema_version) are read as Windows-1252.
const latin1Text = (value: unknown) =>
  Buffer.from(`${JSON.stringify(value, null, 2).replace(/\n/g, '\r\n')}\r\n`, 'latin1');

describe("the earlier version's documents saved as Latin-1", () => {
  it('a job.json keeps its accented tags, and the job says how it was read', async () => {
    const bundle = join(dir, 'job_enc_latin1');
    await mkdir(bundle);
    await writeFile(join(bundle, 'a.wav'), 'x');
    await writeFile(
      join(bundle, 'job.json'),
      latin1Text({ ...job, job_id: 'enc_latin1', title: 'Café Señor' }),
    );
    const result = await readBundle(bundle);
    expect(result).toMatchObject({
      ok: true,
      job: { title: 'Café Señor', artist: 'Sigur Rós', album: 'Ágætis byrjun' },
    });
    if (!result.ok) return;
    // bundleSongs puts it in the song's warnings, so the manifest and the log say it.
    const [song] = await bundleSongs(bundle, result.job);
    expect(song?.warnings).toContain(
      'job.json is not UTF-8 text: read as Latin-1 (Windows-1252), as an editor on Windows saves it',
    );
    if (result.ok)
      expect(legacyReadNotes(result.job)).toEqual([
        'job.json is not UTF-8 text: read as Latin-1 (Windows-1252), as an editor on Windows saves it',
      ]);
  });

  it('a manifest.json keeps its accented tags', async () => {
    const out = join(dir, 'outputs', 'enc_latin1');
    await mkdir(join(out, 'files'), { recursive: true });
    await writeFile(join(out, 'files', 'a.wav'), 'x');
    await writeFile(
      join(out, 'manifest.json'),
      latin1Text({ ...manifest, job_id: 'enc_latin1', title: 'Café' }),
    );
    const result = await readOutputManifest(out);
    expect(result).toMatchObject({ ok: true });
    if (result?.ok) expect(result.manifest).toMatchObject({ title: 'Café', artist: 'Sigur Rós' });
  });
});

// What Windows PowerShell 5 writes by default (`$job | ConvertTo-Json | Out-File job.json`, or `>`): UTF-16LE
// with its byte order mark. Such a job.json was rejected as "not valid JSON (Unexpected token 'ÿ', "ÿþ{\u0000…")",
// and such a manifest.json was unreadable. The mark says the encoding; both byte orders are read.
const utf16Text = (value: unknown, order: 'le' | 'be') => {
  const le = Buffer.from(`\uFEFF${JSON.stringify(value, null, 2).replace(/\n/g, '\r\n')}\r\n`, 'utf16le');
  return order === 'le' ? le : le.swap16();
};

describe('documents saved as UTF-16 with a byte order mark (Windows PowerShell 5)', () => {
  it.each(['le', 'be'] as const)(
    "an earlier version's job.json in UTF-16%s keeps its tags, and the job says how it was read",
    async (order) => {
      const id = `enc_utf16${order}`;
      const bundle = join(dir, `job_${id}`);
      await mkdir(bundle);
      await writeFile(join(bundle, 'a.wav'), 'x');
      await writeFile(join(bundle, 'job.json'), utf16Text({ ...job, job_id: id, title: 'Café 曲' }, order));
      const result = await readBundle(bundle);
      expect(result).toMatchObject({ ok: true, job: { job_id: id, title: 'Café 曲', artist: 'Sigur Rós' } });
      if (!result.ok) return;
      const [song] = await bundleSongs(bundle, result.job);
      expect(song?.warnings).toContain(
        'job.json is UTF-16 text (as Windows PowerShell 5 writes a file): read as such; UTF-8 is the format',
      );
    },
  );

  it('a job.json of ours (schema_version) in UTF-16 is read', async () => {
    const bundle = join(dir, 'job_enc_utf16v1');
    await mkdir(bundle);
    await writeFile(join(bundle, 'a.wav'), 'x');
    await writeFile(
      join(bundle, 'job.json'),
      utf16Text({ ...job, schema_version: 1, job_id: 'enc_utf16v1', title: 'Café' }, 'le'),
    );
    expect(await readBundle(bundle)).toMatchObject({ ok: true, job: { title: 'Café' } });
  });

  it('a manifest.json in UTF-16 is read', async () => {
    const out = join(dir, 'outputs', 'enc_utf16');
    await mkdir(join(out, 'files'), { recursive: true });
    await writeFile(join(out, 'files', 'a.wav'), 'x');
    await writeFile(join(out, 'manifest.json'), utf16Text({ ...manifest, job_id: 'enc_utf16' }, 'le'));
    const result = await readOutputManifest(out);
    expect(result).toMatchObject({ ok: true });
    if (result?.ok) expect(result.manifest).toMatchObject({ artist: 'Sigur Rós' });
  });
});
