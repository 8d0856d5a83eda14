import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openLedger, rebuildLedger } from '@imk/ledger';
import { outputsNotListed, readOutputManifest } from '@imk/protocol';
import { listCompleteJobs, readJobManifest } from '@imk/sync';
import { writeJob } from '../../../packages/sync/test/fixtures.ts';
import { listOutputs, readOutput } from '../src/system/outputs.ts';

// One outputs folder as a user who migrated has it: the earlier version's manifests beside ours, and the
// odd cases a shared folder collects. The dashboard, nas-sync and the ledger must see the same outputs.
const LEGACY = '/work/shared/legacy-samples/outputs';
let root: string;
let outputs: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-outputs-readers-'));
  outputs = join(root, 'outputs');
  await mkdir(outputs);
  // The earlier version's manifest (nulls, no schema_version) and ours (v1).
  await cp(join(LEGACY, 'pyout_inst_003'), join(outputs, 'pyout_inst_003'), { recursive: true });
  await writeJob(outputs, {
    jobId: 'v1_job',
    artifacts: [{ path: 'files/audio/Artist - v1_job.m4a', variant: 'instrumental', size: 100 }],
  });
  // An earlier output moved to another name: its folder name is the id every reader uses.
  await cp(join(LEGACY, 'pyout_audio_001'), join(outputs, 'renamed_copy'), { recursive: true });
  const legacy = JSON.parse(
    await readFile(join(LEGACY, 'pyout_video_002', 'manifest.json'), 'utf8'),
  ) as object;
  // A manifest that does not validate: refused by sync and the ledger, shown with the same problem. (An
  // artifact without a path was this example: that artifact alone is now left out, as in one_bad_artifact.)
  await mkdir(join(outputs, 'broken'));
  await writeFile(
    join(outputs, 'broken', 'manifest.json'),
    JSON.stringify({ ...legacy, job_id: 'broken', artifacts: 'files/video/video.mp4' }),
  );
  // The earlier version's manifest with one artifact without a path, beside a good one: the job is kept by
  // every reader, the good artifact listed and synced, the bad one named.
  await mkdir(join(outputs, 'one_bad_artifact', 'files', 'audio'), { recursive: true });
  await writeFile(join(outputs, 'one_bad_artifact', 'files', 'audio', 'a.m4a'), 'a');
  await writeFile(
    join(outputs, 'one_bad_artifact', 'manifest.json'),
    JSON.stringify({
      ...legacy,
      job_id: 'one_bad_artifact',
      artifacts: [
        { kind: 'audio', variant: 'no_drums', path: null },
        { kind: 'audio', variant: 'instrumental', path: 'files/audio/a.m4a' },
        { kind: 'stems', variant: 'bass', path: 'files/stems/bass.wav' },
      ],
    }),
  );
  // The earlier version's id with a space (it took job_id as any text): listed by every reader, read-only.
  // Never an output: a name no job can have (a control character), a link to a folder, a partial and a
  // replaced folder.
  // Spaces around the id are part of the name (" Padded Song "): listed too, as are a title's backslash
  // (the earlier version ran on Linux: "AC\\DC - Song" is one name) and an id of spaces only.
  const odd = ['My Song', ' Padded Song ', 'AC\\DC - Song', '   '];
  for (const name of [...odd, 'tab\there', '.v1_job.partial-host-1', '.replaced'])
    await mkdir(join(outputs, name, 'x'), { recursive: true });
  for (const name of [...odd, 'tab\there'])
    await writeFile(join(outputs, name, 'manifest.json'), JSON.stringify({ ...legacy, job_id: name }));
  await writeFile(join(outputs, '.v1_job.partial-host-1', 'manifest.json'), JSON.stringify(legacy));
  await symlink(join(outputs, 'v1_job'), join(outputs, 'linked'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

/** What every reader says of renamed_copy: the earlier version's pyout_audio_001, its folder renamed by hand. */
const RENAMED_LINE =
  'job_id is "pyout_audio_001", not the name of its folder, outputs/renamed_copy/ (renamed by hand, or the manifest copied from another job): it is listed, linked and synced as renamed_copy, its folder; to list it as pyout_audio_001, rename the folder back';

describe('outputs/ seen by the dashboard, nas-sync and the ledger', () => {
  it("lists the same outputs, the earlier version's included, and refuses the same one", async () => {
    const valid = [
      '   ',
      ' Padded Song ',
      'AC\\DC - Song',
      'My Song',
      'one_bad_artifact',
      'pyout_inst_003',
      'renamed_copy',
      'v1_job',
    ];

    const dashboard = await listOutputs(outputs);
    expect(dashboard.map((o) => o.job_id).sort()).toEqual([...valid, 'broken'].sort());
    expect(
      dashboard
        .filter((o) => o.problems === undefined)
        .map((o) => o.job_id)
        .sort(),
    ).toEqual(valid);
    expect(dashboard.find((o) => o.job_id === 'pyout_inst_003')).toMatchObject({
      legacy: true,
      artifacts: 1,
    });
    expect(dashboard.find((o) => o.job_id === 'v1_job')).toMatchObject({ legacy: false, artifacts: 1 });

    const synced: string[] = [];
    const syncProblems: string[] = [];
    for (const job of await listCompleteJobs(outputs)) {
      const read = await readJobManifest(job);
      if (read.ok) synced.push(`${read.manifest.jobId}:${read.manifest.legacy ? 'legacy' : 'v1'}`);
      else syncProblems.push(read.problem);
    }
    expect(synced.sort()).toEqual([
      '   :legacy',
      ' Padded Song :legacy',
      'AC\\DC - Song:legacy',
      'My Song:legacy',
      'one_bad_artifact:legacy',
      'pyout_inst_003:legacy',
      'renamed_copy:legacy',
      'v1_job:v1',
    ]);

    const rebuilt = await rebuildLedger({ root });
    const ledger = openLedger({ file: rebuilt.file });
    try {
      const jobs = ledger.listJobs({});
      expect(jobs.map((j) => `${j.job_id}:${j.state}`).sort()).toEqual(valid.map((id) => `${id}:succeeded`));
    } finally {
      ledger.close();
    }

    // The one refused output: the same words from all three.
    expect(syncProblems).toHaveLength(1);
    // (and the artifact left out of one_bad_artifact's manifest, in the words sync logs it with)
    const leftOut = await readJobManifest(
      (await listCompleteJobs(outputs)).find((j) => j.jobId === 'one_bad_artifact')!,
    );
    // (and the folder whose name holds a tab, listed by none of them: said by all three in the words of
    // protocol's one reader, which nas-sync logs and the dashboard shows among its problems)
    const notListed = await outputsNotListed(outputs);
    expect(notListed).toHaveLength(1);
    expect(notListed[0]).toContain('outputs/tab\\x09here/ is not listed');
    // (and renamed_copy's manifest naming another job than its folder, said by the ledger and the dashboard)
    const renamed = `${join(outputs, 'renamed_copy', 'manifest.json')}: ${RENAMED_LINE}`;
    expect([...rebuilt.problems].sort()).toEqual(
      [...notListed, ...syncProblems, ...(leftOut.ok ? leftOut.manifest.leftOut : []), renamed].sort(),
    );
    const detail = await readOutput(outputs, 'broken');
    for (const problem of detail!.problems!) expect(syncProblems[0]).toContain(problem);
  });

  it('keeps a job with one unusable artifact, names it, and marks a listed file missing on disk', async () => {
    const detail = await readOutput(outputs, 'one_bad_artifact');
    expect(detail?.problems).toBeUndefined();
    expect(detail?.artifacts.map((a) => [a.index, a.path, a.on_disk, a.on_disk_note])).toEqual([
      [0, 'files/audio/a.m4a', 'file', undefined],
      [1, 'files/stems/bass.wav', 'missing', 'missing: listed in manifest.json but not in its job folder'],
    ]);
    expect(detail?.left_out).toEqual([
      'manifest.json: artifacts[0].path: Invalid input: expected string, received null; artifact 0 (audio, no_drums) is left out (not listed as a file, never synced)',
    ]);
    const job = (await listCompleteJobs(outputs)).find((j) => j.jobId === 'one_bad_artifact')!;
    const read = await readJobManifest(job);
    expect(read.ok && read.manifest.artifacts.map((a) => a.path)).toEqual([
      'files/audio/a.m4a',
      'files/stems/bass.wav',
    ]);
    expect(read.ok && read.manifest.leftOut).toEqual([
      `${job.manifestPath}: ${detail!.left_out[0]!.replace(/^manifest\.json: /, '')}`,
    ]);
  });

  // The folder is the job's address (links, receipts, the ledger): the one reader gave the manifest's
  // job_id as the job's id, so a reader taking it listed renamed_copy as pyout_audio_001, whose links 404.
  // It now reads it as its folder, and says the mismatch as a problem line.
  it('reads an earlier output renamed by hand as its folder, and says its manifest names another job', async () => {
    const read = await readOutputManifest(join(outputs, 'renamed_copy'));
    expect(read?.ok && read.manifest.jobId).toBe('renamed_copy');
    expect(read?.ok && read.manifest.idMismatch).toBe(RENAMED_LINE);
    const detail = await readOutput(outputs, 'renamed_copy');
    expect(detail?.job_id).toBe('renamed_copy');
    expect(detail?.problems).toBeUndefined();
    expect(detail?.left_out).toEqual([`manifest.json: ${RENAMED_LINE}`]);
    // Not said of a folder whose name is its job_id in another Unicode form (a copy through macOS).
    const nfd = 'Cafe\u0301_song';
    await cp(join(LEGACY, 'pyout_inst_003'), join(outputs, nfd), { recursive: true });
    const file = join(outputs, nfd, 'manifest.json');
    const doc = JSON.parse(await readFile(file, 'utf8')) as object;
    await writeFile(file, JSON.stringify({ ...doc, job_id: nfd.normalize('NFC') }));
    const same = await readOutputManifest(join(outputs, nfd));
    await rm(join(outputs, nfd), { recursive: true });
    expect(same?.ok && same.manifest.jobId).toBe(nfd);
    expect(same?.ok && same.manifest.idMismatch).toBeUndefined();
  });
});
