import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  consumerPart,
  isBeingReplaced,
  isPartialName,
  isPartialOf,
  jobWorkDirName,
  mixClaimName,
  partialDirName,
  partialJobId,
  readJobOutput,
  staleMixClaimName,
} from '../src/index.ts';

// A job id may hold ".partial-" (JobIdSchema takes dots and letters), and so may a consumer id (a host
// called `build.partial-mirror`): the partial folder of job `x.partial-y` began with job `x`'s prefix
// (`.x.partial-`), and the readers of job `x` took it for theirs.
describe('the name of a partial folder', () => {
  it('says its own job, for job ids and consumer ids that hold ".partial-" or ".mixing"', () => {
    const cases: [jobId: string, consumer: string][] = [
      ['x', 'host-1'],
      ['x.partial-y', 'host-1'],
      ['x', 'y.partial-host'],
      ['x.partial-y', 'z.partial-host'],
      ['x.partial', '-host'],
      ['a.mixing', 'host.mixing'],
      ['long.concert', 'nas.local-12-ab'],
    ];
    for (const [jobId, consumer] of cases) {
      const name = partialDirName(jobId, consumer);
      expect(partialJobId(name), name).toBe(jobId);
      expect(isPartialName(name), name).toBe(true);
    }
    expect(isPartialOf(partialDirName('x.partial-y', 'host'), 'x')).toBe(false);
    expect(isPartialOf(partialDirName('x', 'y.partial-host'), 'x.partial-y')).toBe(false);
    expect(isPartialOf(partialDirName('x', 'y.partial-host'), 'x')).toBe(true);
  });

  it('is never the name of a mix claim, nor read as one', () => {
    // `.x.partial-y.mixing` is job x.partial-y's mix claim; a worker of consumer "y.mixing" on job x made
    // the very same name for its partial folder.
    for (const name of [mixClaimName('x.partial-y'), staleMixClaimName('x.partial-y', 'ab12')]) {
      expect(partialJobId(name), name).toBeUndefined();
      expect(isPartialName(name), name).toBe(false);
    }
    expect(partialDirName('x', 'y.mixing')).not.toBe(mixClaimName('x.partial-y'));
    for (const name of ['.replaced', 'x.partial-y', '.x.partial-', '.partial-host', '.x.mixing']) {
      expect(partialJobId(name), name).toBeUndefined();
    }
  });

  it('keeps a normal consumer id as it was, and names every folder of one consumer alike', () => {
    expect(partialDirName('song', 'nas.local-12-ab')).toBe('.song.partial-nas.local-12-ab');
    expect(jobWorkDirName('song', 'nas.local-12-ab')).toBe('song@nas.local-12-ab');
    expect(consumerPart('song', 'y.partial-host')).toBe('y_partial-host');
    // Cleanup names the folders of a claim's holder from the consumer in its token (already a consumer part).
    const part = consumerPart('song', 'y.partial-dj.mixing-host');
    expect(consumerPart('song', part)).toBe(part);
    expect(partialDirName('song', part)).toBe(partialDirName('song', 'y.partial-dj.mixing-host'));
    expect(jobWorkDirName('song', part)).toBe(jobWorkDirName('song', 'y.partial-dj.mixing-host'));
  });
});

describe('a reader of job x while job x.partial-y is about to be published', () => {
  let outputs: string;
  beforeEach(async () => {
    outputs = await mkdtemp(join(tmpdir(), 'imk-partial-names-'));
  });
  afterEach(async () => {
    await rm(outputs, { recursive: true, force: true });
  });

  it('does not take x.partial-y\'s finished partial folder for x being replaced: "no outputs" at once', async () => {
    const dir = join(outputs, partialDirName('x.partial-y', 'host-1'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'manifest.json'), '{}');
    expect(await isBeingReplaced(outputs, 'x')).toBe(false);
    expect(await isBeingReplaced(outputs, 'x.partial-y')).toBe(true);
    const started = Date.now();
    expect(await readJobOutput(outputs, 'x')).toBeUndefined();
    // The old reader waited the whole REPLACE_WAIT_MS (3 s) for a folder that was not coming.
    expect(Date.now() - started).toBeLessThan(1000);
  });
});
