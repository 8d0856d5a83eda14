import { readFile, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RouteSchema, createSyncEngine } from '../src/index.ts';
import { writeJob } from './fixtures.ts';
import { engineFixtures, engineOptions, nas, outputs } from './engine-kit.ts';

engineFixtures();

// A job folder copied through macOS (or a share that normalises names) spells "Café" in NFD on disk, while
// its manifest says NFC: the earlier version's outputs, moved to a new host, and ours alike.
const NFC_FOLDER = 'files/Sigur Rós';
const NFC_NAME = 'Béla Fleck - Café (no drums).m4a';

describe('an artifact whose name is spelt in another Unicode normalisation on disk than in its manifest', () => {
  for (const legacy of [true, false])
    it(`is sent under its manifest's name (${legacy ? "the earlier version's manifest" : 'our manifest'})`, async () => {
      const jobId = legacy ? 'pyout_nfd' : 'ours_nfd';
      const contents = await writeJob(outputs, {
        jobId,
        legacy,
        artifacts: [{ path: `${NFC_FOLDER}/${NFC_NAME}`, variant: 'no_drums' }],
      });
      const job = join(outputs, jobId);
      await rename(join(job, NFC_FOLDER, NFC_NAME), join(job, NFC_FOLDER, NFC_NAME.normalize('NFD')));
      await rename(join(job, NFC_FOLDER), join(job, NFC_FOLDER.normalize('NFD')));
      const routes = [
        { kind: 'audio', variant: 'no_drums', to: '${remoteRoots.audio}/NoDrums', backend: 'nas' },
      ];
      const engine = createSyncEngine(engineOptions({ routes: routes.map((r) => RouteSchema.parse(r)) }));
      // Before: the plan read the file under its NFD spelling, then every transfer opened the NFC one and
      // failed with ENOENT ("will retry later"), pass after pass.
      expect(await engine.runPass()).toMatchObject({ delivered: 1, failed: 0, unsendable: 0 });
      expect(await readdir(join(nas, 'Music', 'NoDrums'))).toEqual([NFC_NAME]);
      expect(await readFile(join(nas, 'Music', 'NoDrums', NFC_NAME))).toEqual(
        contents.get(`${NFC_FOLDER}/${NFC_NAME}`),
      );
    });
});
