import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES } from '@imk/fs-safe';
import { JobIdSchema, consumerPart, jobWorkDirName } from '../src/index.ts';

// The scratch folder of a job was `<job_id>-<consumer>`: job `a` of worker `b-c` and job `a-b` of worker `c`
// shared one, and two workers on one work folder wrote into each other's files. Job ids and consumer ids
// are text a user influences (a job id from a title, a consumer id from a host name), so the whole class is
// tried: every short id made of pieces that are separators, markers of other names, or multi-byte, and ids
// near the byte limits, where the consumer part is cut.
const PIECES = ['a', 'b', '-', '.', '_', '@', ' ', '.partial-', '.mixing', '-stale-', '.tmp', 'é', '🎵'];

function joined(max: number): string[] {
  let level = [''];
  const all: string[] = [];
  for (let n = 1; n <= max; n++) {
    level = level.flatMap((prefix) => PIECES.map((piece) => prefix + piece));
    all.push(...level);
  }
  return all;
}

// The longest ids: a job id of 200 bytes (the protocol's most) with a consumer id of 64 characters.
const LONG_JOBS = [
  `${'x'.repeat(198)}-a`,
  'a-'.repeat(100),
  `${'a-'.repeat(99)}a`,
  'é'.repeat(100),
  '🎵'.repeat(50),
  `${'x.partial-'.repeat(19)}y-`,
];
const LONG_CONSUMERS = [
  'b-'.repeat(32),
  `-${'b-'.repeat(31)}c`,
  `${'k8s-worker-node-'.repeat(3)}12345-abcdef0123`.slice(0, 64),
  `${'y.partial-'.repeat(6)}host`,
  `${'z.mixing-'.repeat(7)}h`,
];

const JOBS = [...joined(3), ...LONG_JOBS].filter((id) => JobIdSchema.safeParse(id).success);
const CONSUMERS = [...joined(2), ...LONG_CONSUMERS];

describe('the scratch folder of a job', () => {
  it('is no other job\'s nor other worker\'s: job "a" of worker "b-c" and job "a-b" of worker "c" differ', () => {
    expect(jobWorkDirName('a', 'b-c')).not.toBe(jobWorkDirName('a-b', 'c'));
    expect(jobWorkDirName('a-', 'b')).not.toBe(jobWorkDirName('a', '-b'));
  });

  it('has one name for each job and consumer part, over tricky and long ids, and fits in a name', () => {
    expect(JOBS.length).toBeGreaterThan(900);
    expect(JOBS).toEqual(expect.arrayContaining(['a-b', 'a.partial-b', `${'x'.repeat(198)}-a`]));
    // Whose (job id, consumer part) each name was made for: a second pair with the same name is a collision.
    const owner = new Map<string, string>();
    const collisions: string[] = [];
    for (const jobId of JOBS)
      for (const consumer of CONSUMERS) {
        const part = consumerPart(jobId, consumer);
        const name = jobWorkDirName(jobId, consumer);
        const pair = JSON.stringify([jobId, part]);
        const before = owner.get(name);
        if (before !== undefined && before !== pair) collisions.push(`${name}: ${before} and ${pair}`);
        owner.set(name, pair);
        if (Buffer.byteLength(name) > MAX_NAME_BYTES || name.includes('/'))
          collisions.push(`${name}: not one name of at most ${MAX_NAME_BYTES} bytes`);
        // Cleanup names it from the consumer part in the claim's token: the same folder.
        if (jobWorkDirName(jobId, part) !== name) collisions.push(`${name}: another from its consumer part`);
      }
    expect(collisions.slice(0, 10)).toEqual([]);
  });
});
