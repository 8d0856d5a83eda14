import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { publishBundle } from '@imk/fsqueue';
import { ManifestSchema, type Manifest } from '@imk/protocol';
import { sshfsUsable, startSshd, type SshdServer } from '@imk/sync/testing';
import { PROCESS_COUNTING_ENGINE, jobDetail, makeSong, removeRoot, waitFor } from './helpers.ts';
import { makeHost, type Host } from './multi-host/hosts.ts';

// Two hosts share queues/, outputs/ and the stem cache on one export, each through its own sshfs mount of
// a real sshd on loopback (own SFTP session and caches), each with its own state/ (ledger). A musician
// saves several mixes of one song in a row; both hosts take them. Before, the one-mix-at-a-time rule held
// inside one worker only: host b removed host a's half-built folder (a's mix failed) or published over a's
// (a's mix vanished from the job). Then host a is SIGKILLed while it holds the claim: b takes it over.
const LEASE_MS = 3000;
const QUEUE = 'other';
const MIXES = 8;

let server: SshdServer;
let work: string;
let exportDir: string;
const hosts: Host[] = [];

beforeAll(async () => {
  if (!(await sshfsUsable()))
    throw new Error('sshfs, fusermount3 or /dev/fuse is missing: run scripts/system-deps.sh as root');
  server = await startSshd();
  exportDir = join(server.dataDir, 'export');
  work = await mkdtemp(join(tmpdir(), 'imk-remix-hosts-'));
  await mkdir(exportDir, { recursive: true });
  const song = join(work, 'song.m4a');
  await makeSong(song, 2, 4);
  await publishBundle({
    queueDir: join(exportDir, 'queues', QUEUE),
    job: { job_id: 'song', source_type: 'local', artist: 'A', title: 'Song', audio_path: 'song.m4a' },
    files: [{ name: 'song.m4a', source: song }],
  });
  for (const name of ['a', 'b']) {
    const settings = {
      leaseMs: LEASE_MS,
      pollMs: 200,
      engineModule: PROCESS_COUNTING_ENGINE,
      engineDelayMs: 0,
    };
    // The stem cache on the export (the host's mount is <root>/mnt): a mix is made from the cached stems.
    const overrides = { stemCache: { enabled: true, dir: 'mnt/cache' } };
    hosts.push(await makeHost(name, server, exportDir, settings, undefined, overrides));
  }
}, 120_000);

afterAll(async () => {
  for (const host of hosts) {
    host.signal('SIGKILL');
    await host.worker?.catch(() => undefined);
  }
  for (const host of hosts) await host.mount.unmount();
  await server?.stop();
  for (const host of hosts) await removeRoot(host.root);
  if (work) await rm(work, { recursive: true, force: true });
}, 60_000);

const queueDir = () => join(exportDir, 'queues', QUEUE);
const list = (dir: string) => readdir(dir).catch(() => [] as string[]);
const jobIdOf = (name: string) => name.slice('job_'.length).split('@')[0]!;
const succeededIds = async () => (await list(join(queueDir(), 'succeeded'))).map(jobIdOf);
const failedIds = async () => (await list(join(queueDir(), 'failed'))).map(jobIdOf);

/** The error files of failed jobs, for a failing test's message. */
async function failures(): Promise<string> {
  const names = await list(join(queueDir(), 'failed'));
  const texts = await Promise.all(
    names.map((n) => readFile(join(queueDir(), 'failed', n, 'imk-error.json'), 'utf8').catch(() => n)),
  );
  return texts.join('\n');
}

async function manifest(): Promise<Manifest> {
  const text = await readFile(join(exportDir, 'outputs', 'song', 'manifest.json'), 'utf8');
  return ManifestSchema.parse(JSON.parse(text));
}

async function consumerOf(id: string): Promise<string> {
  const name = (await list(join(queueDir(), 'succeeded'))).find((n) => jobIdOf(n) === id);
  const text = await readFile(join(queueDir(), 'succeeded', name!, 'imk-result.json'), 'utf8');
  return (JSON.parse(text) as { consumer: string }).consumer;
}

async function publishMixes(prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const id = `${prefix}_${i}`;
    ids.push(id);
    await publishBundle({
      queueDir: queueDir(),
      job: {
        job_id: id,
        source_type: 'remix',
        artist: 'A',
        title: 'Song',
        // A tempo change (rubberband) makes each mix take a while: the hosts' mixes overlap.
        remix: { of: 'song', variant: `${prefix}${i}`, stems: { drums: 1, bass: i / 8 }, tempo: 0.9 },
      },
      files: [],
    });
  }
  return ids;
}

describe('two hosts saving mixes of one job', () => {
  it('add every mix to the job, one host at a time; none fails, none is lost', async () => {
    const [a, b] = hosts as [Host, Host];
    a.start();
    await waitFor(
      async () => (await succeededIds()).includes('song'),
      120_000,
      'host a to separate the song',
    );
    b.start();
    const ids = await publishMixes('mix', MIXES);
    await waitFor(
      async () => (await succeededIds()).length + (await failedIds()).length >= MIXES + 1,
      240_000,
      `the ${MIXES} mixes to be done`,
    );
    expect(await failedIds(), await failures()).toEqual([]);
    // Each done once, at the first attempt: no host broke another's mix.
    for (const host of hosts)
      for (const id of ids) {
        // (jobDetail throws at once for a job this host never ran)
        const detail = await Promise.resolve()
          .then(() => jobDetail(host.root, id))
          .catch(() => undefined);
        expect(detail?.errors ?? [], `${host.name}: ${id}`).toEqual([]);
      }
    const variants = (await manifest()).artifacts.map((x) => x.variant).sort();
    expect(variants).toEqual(['instrumental', ...ids.map((_, i) => `mix${i}@0.9x`)].sort());
    const audio = await list(join(exportDir, 'outputs', 'song', 'files', 'audio'));
    for (const artifact of (await manifest()).artifacts)
      expect(audio).toContain(artifact.path.split('/').pop());
    // Both hosts took mixes (else this proved nothing), and one of them had to wait for the other.
    const consumers = new Set(await Promise.all(ids.map(consumerOf)));
    expect(consumers.size).toBe(2);
    const logs = (await Promise.all(hosts.map((h) => h.logTail(10_000)))).join('\n');
    expect(logs).toContain('the outputs of job song are being written by');
    expect(
      (await list(join(exportDir, 'outputs'))).filter((n) => n.startsWith('.') && n !== '.replaced'),
    ).toEqual([]);
  }, 400_000);

  it('take over the claim of a host killed while it held it', async () => {
    const [a, b] = hosts as [Host, Host];
    const claimDir = join(exportDir, 'outputs', '.song.mixing');
    const ids = await publishMixes('late', 4);
    const killedPid = a.pid();
    await waitFor(
      async () => (await list(claimDir)).some((n) => n.includes(`-${killedPid}-`)),
      120_000,
      'host a to hold the mix claim',
    );
    a.signal('SIGKILL');
    await a.worker;
    await waitFor(
      async () => (await succeededIds()).filter((id) => id.startsWith('late_')).length >= ids.length,
      LEASE_MS * 10 + 120_000,
      'host b to do every late mix',
    );
    expect(await b.logTail(10_000)).toContain('took over the mix claim of job song from');
    const variants = (await manifest()).artifacts.map((x) => x.variant);
    for (let i = 0; i < ids.length; i++) expect(variants).toContain(`late${i}@0.9x`);
    expect(await failedIds(), await failures()).toEqual([]);
    expect((await list(join(exportDir, 'outputs'))).filter((n) => n.startsWith('.song.mixing'))).toEqual([]);
  }, 400_000);
});
