import { mkdir, mkdtemp, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assertRealFolder, lstatAnySpelling, openInside, resolveInside } from './contain.ts';
import { capText } from './cap.ts';
import { readUntrustedText } from './untrusted.ts';
import { jsonDepth, parseUntrustedJson } from './untrusted-json.ts';

describe('resolveInside', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-contain-'));
  const bundle = join(base, 'bundle');
  const outside = join(base, 'outside');
  await mkdir(join(bundle, 'real'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(outside, 'x.wav'), 'outside audio');
  await writeFile(join(bundle, 'real', 'a.wav'), 'inside audio');
  await symlink(outside, join(bundle, 'sub'));
  await symlink('/etc', join(bundle, 'c'));
  await symlink('real', join(bundle, 'alias'));
  await symlink(join(bundle, 'real', 'a.wav'), join(bundle, 'a-link.wav'));
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('refuses a folder link in the middle that leaves the root, naming the component', async () => {
    await expect(resolveInside(bundle, 'sub/x.wav', { rootName: 'the bundle' })).rejects.toThrow(
      /sub\/x\.wav: sub is a symbolic link that leaves the bundle/,
    );
    await expect(resolveInside(bundle, 'c/passwd')).rejects.toThrow(/c is a symbolic link that leaves/);
  });

  it('refuses "..", absolute paths and empty paths', async () => {
    for (const bad of ['../outside/x.wav', '/etc/passwd', 'real/../../outside/x.wav', ''])
      await expect(resolveInside(bundle, bad)).rejects.toThrow(/plain relative path/);
  });

  it('follows links that stay inside, to the real file', async () => {
    expect(await resolveInside(bundle, 'alias/a.wav')).toBe(join(bundle, 'real', 'a.wav'));
    const { handle } = await openInside(bundle, 'a-link.wav');
    expect(await handle.readFile('utf8')).toBe('inside audio');
    await handle.close();
  });

  it('names a missing file', async () => {
    await expect(resolveInside(bundle, 'real/none.wav')).rejects.toThrow(/real\/none\.wav does not exist/);
  });

  it('tells a real folder from a link to one', async () => {
    await assertRealFolder(join(bundle, 'real'));
    await expect(assertRealFolder(join(bundle, 'sub'), 'job_x')).rejects.toThrow(/job_x is a symbolic link/);
    await expect(assertRealFolder(join(outside, 'x.wav'), 'job_y')).rejects.toThrow(
      /job_y is a regular file/,
    );
    expect(await readFile(join(outside, 'x.wav'), 'utf8')).toBe('outside audio');
  });
});

describe('untrusted JSON', () => {
  it('refuses a document nested deeper than the limit before parsing it', () => {
    const deep = `{"options":{"engine_params":${'['.repeat(200_000)}${']'.repeat(200_000)}}}`;
    expect(() => parseUntrustedJson(deep, { name: 'job.json' })).toThrow(/job\.json nests .* more than 64/);
    expect(jsonDepth('{"a":"[[[[{{{{"}')).toBe(1);
    expect(jsonDepth('{"a":"\\"[["}')).toBe(1);
    expect(parseUntrustedJson('{"a":[[1]]}', { name: 'x' })).toEqual({ a: [[1]] });
  });
});

describe('capText', () => {
  it('cuts a 10 MB line to a readable length and says so', () => {
    const capped = capText('u'.repeat(10_000_000), 100);
    expect(capped.length).toBeLessThan(200);
    expect(capped).toMatch(/9999900 more characters left out/);
  });
});

describe('resolveInside with names in another Unicode normalisation', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-contain-nfd-'));
  const bundle = join(base, 'bundle');
  const outside = join(base, 'outside');
  const nfd = (text: string) => text.normalize('NFD');
  await mkdir(join(bundle, nfd('Sigur Rós')), { recursive: true });
  await mkdir(outside);
  await writeFile(join(bundle, nfd('Sigur Rós'), nfd('Björk.wav')), 'inside');
  await writeFile(join(outside, nfd('Björk.wav')), 'outside');
  await symlink(outside, join(bundle, 'away'));
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('finds "Sigur Rós/Björk.wav" (NFC) spelt decomposed on disk, and returns the path as on disk', async () => {
    const real = await resolveInside(bundle, 'Sigur Rós/Björk.wav'.normalize('NFC'));
    expect(real).toBe(join(bundle, nfd('Sigur Rós'), nfd('Björk.wav')));
    expect(await readFile(real, 'utf8')).toBe('inside');
  });

  it('still refuses a link leaving the root, whatever the spelling behind it', async () => {
    await expect(resolveInside(bundle, 'away/Björk.wav'.normalize('NFC'))).rejects.toThrow(
      /away is a symbolic link that leaves/,
    );
  });

  it('a name in no spelling is missing, as before', async () => {
    await expect(resolveInside(bundle, 'Sigur Rós/Bjork.wav')).rejects.toThrow(/does not exist/);
  });
});

describe('lstatAnySpelling: the one way to find a name however its folder spells it', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-any-spelling-'));
  const dir = join(base, 'bundle');
  const outside = join(base, 'outside');
  const nfd = (text: string) => text.normalize('NFD');
  const nfc = (text: string) => text.normalize('NFC');
  // A bundle from a Mac (NFD folder and files), and one of its files also in a folder spelt NFC.
  await mkdir(join(dir, nfd('Sigur Rós')), { recursive: true });
  await mkdir(join(dir, nfc('Mötley')), { recursive: true });
  await mkdir(join(outside, nfd('Sigur Rós')), { recursive: true });
  await writeFile(join(dir, nfd('Björk - Jóga.wav')), 'song');
  await writeFile(join(dir, nfd('Sigur Rós'), nfd('Hoppípolla.wav')), 'second');
  await writeFile(join(dir, nfc('Mötley'), nfd('Crüe.wav')), 'third');
  await writeFile(join(outside, nfd('Sigur Rós'), nfd('Hoppípolla.wav')), 'outside');
  await writeFile(join(dir, nfc('Zoë Añ.yaml')), 'a');
  await writeFile(join(dir, nfd('Zoë Añ.yaml')), 'b');
  await symlink(outside, join(dir, 'away'));
  afterAll(() => rm(base, { recursive: true, force: true }));

  // [asked for, spelling expected on disk (undefined: not found)]
  const cases: [string, string, string | undefined][] = [
    ['exact name', 'Björk - Jóga.wav'.normalize('NFD'), nfd('Björk - Jóga.wav')],
    // The inbox's and the worker's options file typed NFC beside a song from a Mac.
    ['last part NFC, NFD on disk', nfc('Björk - Jóga.wav'), nfd('Björk - Jóga.wav')],
    // A bundle's files[].path / audio_path / legacy files/<name>: a folder spelt otherwise too.
    [
      'folder and file NFC, NFD on disk',
      nfc('Sigur Rós/Hoppípolla.wav'),
      `${nfd('Sigur Rós')}/${nfd('Hoppípolla.wav')}`,
    ],
    [
      'folder NFD asked, NFC on disk',
      `${nfd('Mötley')}/${nfd('Crüe.wav')}`,
      `${nfc('Mötley')}/${nfd('Crüe.wav')}`,
    ],
    [
      '"./" and doubled slashes',
      `./${nfc('Sigur Rós')}//${nfc('Hoppípolla.wav')}`,
      `${nfd('Sigur Rós')}/${nfd('Hoppípolla.wav')}`,
    ],
    ['two other spellings on disk: neither is guessed', nfc('Zoë ') + nfd('Añ.yaml'), undefined],
    ['in no spelling', 'Bjork - Joga.wav', undefined],
    ['"..": never looked for', `../outside/${nfc('Sigur Rós')}`, undefined],
    ['absolute: never looked for', join(outside, nfd('Sigur Rós')), undefined],
    // Past a link no other spelling is looked for (nothing outside is listed); as spelt it is only lstat.
    ['another spelling past a link', `away/${nfc('Sigur Rós')}/${nfc('Hoppípolla.wav')}`, undefined],
  ];
  for (const [label, asked, expected] of cases)
    it(`${label}: ${expected === undefined ? 'not found' : 'found as spelt on disk'}`, async () => {
      const found = await lstatAnySpelling(dir, asked);
      expect(found?.path).toBe(expected);
      if (expected !== undefined) expect(found!.stats.isFile()).toBe(true);
    });

  it('two spellings of one file on disk: each is found as asked', async () => {
    expect((await lstatAnySpelling(dir, nfc('Zoë Añ.yaml')))?.path).toBe(nfc('Zoë Añ.yaml'));
    expect((await lstatAnySpelling(dir, nfd('Zoë Añ.yaml')))?.path).toBe(nfd('Zoë Añ.yaml'));
  });

  it('what it finds is what resolveInside opens', async () => {
    const asked = nfc('Sigur Rós/Hoppípolla.wav');
    const found = await lstatAnySpelling(dir, asked);
    expect(await readFile(join(dir, found!.path), 'utf8')).toBe('second');
    expect(await readFile(await resolveInside(dir, asked), 'utf8')).toBe('second');
  });
});

// resolveInside checks every component, then the file is opened by that path: a folder on the path swapped
// for a link to a folder outside in between made the open read the outside file.
describe('a folder on the path swapped for a link between the check and the open', async () => {
  const base = await mkdtemp(join(tmpdir(), 'imk-contain-swap-'));
  const bundle = join(base, 'bundle');
  const outside = join(base, 'outside');
  await mkdir(join(bundle, 'sub'), { recursive: true });
  await mkdir(outside);
  await writeFile(join(bundle, 'sub', 'a.yaml'), 'inside');
  await writeFile(join(outside, 'a.yaml'), 'outside');
  afterAll(() => rm(base, { recursive: true, force: true }));

  it('is refused on the opened descriptor, naming the file', async () => {
    const real = await resolveInside(bundle, 'sub/a.yaml', { rootName: 'the bundle' });
    await rename(join(bundle, 'sub'), join(bundle, 'sub.old'));
    await symlink(outside, join(bundle, 'sub'));
    await expect(
      readUntrustedText(real, { name: 'sub/a.yaml', maxBytes: 100, within: bundle }),
    ).rejects.toThrow(/sub\/a\.yaml was moved out of .*bundle while it was being opened/);
    // The same file, still inside, opens.
    await rm(join(bundle, 'sub'));
    await rename(join(bundle, 'sub.old'), join(bundle, 'sub'));
    expect(await readUntrustedText(real, { name: 'sub/a.yaml', maxBytes: 100, within: bundle })).toBe(
      'inside',
    );
  });
});
