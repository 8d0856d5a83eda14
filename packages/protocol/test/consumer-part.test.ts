import { describe, expect, it } from 'vitest';
import { MAX_NAME_BYTES, fitBytes } from '@imk/fs-safe';
import {
  JobIdSchema,
  consumerPart,
  earlierJobWorkDirName,
  jobWorkDirName,
  partialDirName,
  partialJobId,
} from '../src/index.ts';

// With a 200-byte job id, a consumer id is cut to about 25 bytes in every name made for the job. It was
// cut from the end only: the ids of two workers of one host (`<host>-<pid>-<random>`, a long host name)
// gave one consumer part, and the two workers one partial folder and one scratch folder for a job, each
// removing and writing the other's files. A cut part now keeps a hash of the whole id. Tried over job ids at
// the byte limits (multi-byte too) and consumer ids that differ only past the cut, with "-", ".", "@".

/** A claim folder's name with the longest nonce consumerPart keeps room for. */
const claimName = (jobId: string, part: string) => `job_${jobId}@${part}.${'n'.repeat(24)}`;

const JOBS = [
  'x'.repeat(200),
  `${'a-'.repeat(99)}b.`,
  'é'.repeat(100),
  '🎵'.repeat(50),
  `${'x.partial-'.repeat(19)}y-`,
  `${'song.'.repeat(36)}mp3`,
  'y'.repeat(199),
  'z'.repeat(185),
  'a.b-c',
].filter((id) => JobIdSchema.safeParse(id).success);

const HOSTS = [
  'k8s-worker-node-a.cluster.example.internal',
  'nas.local',
  'h@st-with-at.example',
  'hôte-éphémère.maison',
  '🎵-studio-host-name-long',
  'build.partial-mirror.example.org',
  'x.mixing-rack.lan',
  'a-'.repeat(20),
];
/** Ids of several workers of each host: they differ only at their end (the pid and the random part). */
const CONSUMERS = HOSTS.flatMap((host) =>
  ['1234-ab12cd', '1235-ab12cd', '1234-ab12ce', '99999-ffffff', '1-0', '@', '.', '-'].map(
    (tail) => `${host}-${tail}`,
  ),
);

describe('the consumer part of names made for a job', () => {
  it('stays apart for every two consumer ids, where they are cut too', () => {
    expect(JOBS.length).toBe(9);
    const problems: string[] = [];
    for (const jobId of JOBS) {
      const byPart = new Map<string, string>();
      for (const consumer of CONSUMERS) {
        const part = consumerPart(jobId, consumer);
        const other = byPart.get(part);
        if (other !== undefined)
          problems.push(`${jobId.slice(0, 12)}…: ${other} and ${consumer} share ${part}`);
        byPart.set(part, consumer);
        const names = [
          claimName(jobId, part),
          partialDirName(jobId, consumer),
          jobWorkDirName(jobId, consumer),
          earlierJobWorkDirName(jobId, consumer),
        ];
        for (const name of names)
          if (Buffer.byteLength(name) > MAX_NAME_BYTES || name.includes('/'))
            problems.push(`${name}: more than ${MAX_NAME_BYTES} bytes`);
        if (partialJobId(partialDirName(jobId, consumer)) !== jobId)
          problems.push(`${partialDirName(jobId, consumer)}: not read as job ${jobId}'s`);
        if (/\.partial-|\.mixing/.test(part)) problems.push(`${part}: holds a marker of other names`);
        // Cleanup names a claim's folders from the part in its token: the same part, the same folders.
        if (consumerPart(jobId, part) !== part) problems.push(`${part}: not its own part`);
      }
      expect(byPart.size).toBe(CONSUMERS.length);
    }
    expect(problems.slice(0, 10)).toEqual([]);
  });

  it('is read as before: the id as it is when it fits, else its start, "-" and a hash of the whole id', () => {
    expect(consumerPart('song', 'nas.local-1234-ab12cd')).toBe('nas.local-1234-ab12cd');
    const jobId = 'x'.repeat(200);
    const consumer = 'k8s-worker-node-a.cluster.example.internal-1234-ab12cd';
    const part = consumerPart(jobId, consumer);
    expect(part).toMatch(/^k8s-worker-node--[0-9a-f]{8}$/);
    expect(consumer.startsWith(part.slice(0, -9))).toBe(true);
    expect(part).not.toBe(consumerPart(jobId, consumer.replace('1234', '1235')));
  });

  it('of a claim made before the hash (its id cut from the end) names the folders its holder made', () => {
    // An earlier worker on the same queues: its token holds the id cut from the end; cleanup keeps the
    // partial and scratch folders it named from that.
    for (const jobId of JOBS)
      for (const consumer of CONSUMERS) {
        const room = MAX_NAME_BYTES - Buffer.byteLength(jobId) - 30;
        const earlier = fitBytes(consumer.replace(/\.(?=partial-|mixing)/g, '_'), room);
        expect(consumerPart(jobId, earlier)).toBe(earlier);
        expect(partialDirName(jobId, earlier)).toBe(`.${jobId}.partial-${earlier}`);
        expect(jobWorkDirName(jobId, earlier)).toBe(`${jobId}@${earlier}`);
      }
  });
});
