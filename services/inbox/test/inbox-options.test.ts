import { readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readBundle, sidecarCandidates } from '@imk/protocol';
import { legacySample } from '@imk/media/legacy-samples';
import { inboxFixtures, jobIn, media, setup } from './inbox-kit.ts';

inboxFixtures();

describe('inbox', () => {
  it("carries a song's per-song options (the earlier version's My Song.stems.yml) into its bundle; options alone are set aside with the reason", async () => {
    const { root, settings, inbox } = await setup();
    const options = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    await writeFile(join(settings.dir, 'My Song.wav'), await readFile(join(media, 'plain.wav')));
    await writeFile(join(settings.dir, 'My Song.stems.yml'), options);
    await writeFile(join(settings.dir, 'Other Song.yaml'), 'stems: VD\n');
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => `${o.name}:${o.outcome}`).sort()).toEqual([
      'My Song.wav:queued',
      'Other Song.yaml:rejected',
    ]);
    const dir = join(root, 'queues', 'other', `job_${outcomes.find((o) => o.outcome === 'queued')!.jobId}`);
    expect(await readBundle(dir)).toMatchObject({ ok: true });
    const job = await jobIn(dir);
    // Under the first name the worker looks for beside the bundle's input: the song's options are read.
    const sidecar = sidecarCandidates(job.audio_path!)[0]!;
    expect(await readFile(join(dir, sidecar), 'utf8')).toBe(options);
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([
      'My Song.stems.yml',
      'My Song.wav',
    ]);
    expect(await readFile(join(settings.dir, '.rejected', 'Other Song.yaml.reason.txt'), 'utf8')).toMatch(
      /Other Song\.yaml: per-song options with no song beside them/,
    );
    expect(await readdir(settings.dir)).toEqual(['.processed', '.rejected']);
  });

  it('pairs a song and its options whose names differ only in Unicode normalisation (NFD from a Mac, NFC typed)', async () => {
    const { root, settings, inbox } = await setup();
    const options = await readFile(legacySample('My Song.stems.yml'), 'utf8');
    const song = 'Björk - Jóga.wav'.normalize('NFD');
    const sidecar = 'Björk - Jóga.stems.yml'.normalize('NFC');
    await writeFile(join(settings.dir, song), await readFile(join(media, 'plain.wav')));
    await writeFile(join(settings.dir, sidecar), options);
    await inbox.scan();
    const outcomes = await inbox.scan();
    expect(outcomes.map((o) => `${o.name}:${o.outcome}`)).toEqual([`${song}:queued`]);
    const dir = join(root, 'queues', 'other', `job_${outcomes[0]!.jobId!}`);
    const job = await jobIn(dir);
    expect(await readFile(join(dir, sidecarCandidates(job.audio_path!)[0]!), 'utf8')).toBe(options);
    expect((await readdir(join(settings.dir, '.processed'))).sort()).toEqual([song, sidecar].sort());
    expect(await readdir(settings.dir)).toEqual(['.processed']);
  });
});
