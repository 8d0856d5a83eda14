import { mkdir, readdir, readFile, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { stringify } from 'yaml';
import { mountSshfs, type SshdServer, type SshfsMount } from '@imk/sync/testing';
import { IMK, makeRoot } from '../helpers.ts';

/**
 * One "host" of the multi-host test: its own root with a local config/ and state/, its own sshfs mount of
 * the shared export (queues/ and outputs/ on it, named by config/paths.yaml), and a worker process
 * (`imk run`) in a network namespace of its own that has only a loopback interface, so the worker
 * reaches the shared folders through its mount and nothing else.
 */
export interface Host {
  name: string;
  root: string;
  mount: SshfsMount;
  /** The network namespace the worker runs in, or undefined when namespaces are unavailable. */
  netns: string | undefined;
  worker: ResultPromise | undefined;
  pid(): number;
  /** The end of the worker's log (for a failing test's message). */
  logTail(lines?: number): Promise<string>;
  /** Lines the counting engine appended: one per separation this host started. */
  engineCalls(): Promise<number>;
  /**
   * With `engineDelayOnDemand`: from now on (true) each separation the engine starts is held until false
   * (then it goes on, and later ones run at once): the test catches the worker in the middle of a job however
   * long it takes to act.
   */
  slowEngine(slow: boolean): Promise<void>;
  start(): void;
  /** The worker runs in this host's network namespace (true), or namespaces are not used (undefined). */
  inOwnNetns(): Promise<boolean | undefined>;
  /** Sends a signal to the worker's whole process group (the worker and any ffmpeg it runs). */
  signal(signal: NodeJS.Signals): void;
}

export interface HostSettings {
  leaseMs: number;
  pollMs: number;
  engineModule: string;
  /** How long each separation waits, when not engineDelayOnDemand. */
  engineDelayMs: number;
  /** Separations are held only while the test asks for it (slowEngine), and then until it lets them go. */
  engineDelayOnDemand?: boolean;
}

/**
 * Whether the hosts run in network namespaces of their own: decided by who runs the test, not by a probe of
 * `ip netns` (a probe that failed for any reason quietly ran the hosts as plain processes). As root (CI) they
 * do, and an `ip netns` or `nsenter` that fails fails the test with what it said; as another user they run as
 * plain processes and the test says so.
 */
export const netnsWanted = (): boolean => process.getuid?.() === 0;

export async function addNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'add', name]);
  await execa('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
}

export async function deleteNetns(name: string): Promise<void> {
  await execa('ip', ['netns', 'delete', name], { reject: false });
}

export async function makeHost(
  name: string,
  server: SshdServer,
  exportDir: string,
  settings: HostSettings,
  netns: string | undefined,
  /** Config keys set over the defaults below (e.g. a stem cache on the shared export). */
  overrides: Record<string, unknown> = {},
): Promise<Host> {
  const root = await makeRoot((dir) => ({
    pollMs: settings.pollMs,
    leaseMs: settings.leaseMs,
    queues: [{ name: 'other' }],
    concurrency: 1,
    gracePeriodMs: 2000,
    variants: ['instrumental'],
    // Cheap jobs: WAV out, and the builtin engine with short frames and a short similarity window.
    output: { format: 'wav' },
    duplicates: 'process',
    stemCache: { enabled: false },
    retry: { maxAttempts: 5, backoffMs: 100 },
    engine: {
      name: 'counting',
      module: settings.engineModule,
      params: {
        counterFile: join(dir, 'engine-calls.txt'),
        // On demand: the separations that start while <root>/engine-slow exists are held until it is gone.
        ...(settings.engineDelayOnDemand
          ? { holdStartedWhile: join(dir, 'engine-slow') }
          : { delayMs: settings.engineDelayMs }),
        fftSize: 1024,
        hop: 256,
        repetWindowSec: 0.5,
        repetNeighbours: 5,
      },
    },
    ...overrides,
  }));
  const mount = await mountSshfs(server, exportDir, join(root, 'mnt'));
  // Absolute paths into this host's own mount; config/ and state/ stay in the local root.
  await writeFile(
    join(root, 'config', 'paths.yaml'),
    stringify({ queues: join(mount.path, 'queues'), outputs: join(mount.path, 'outputs') }),
  );
  await mkdir(join(root, 'state'), { recursive: true });
  const host: Host = {
    name,
    root,
    mount,
    netns,
    worker: undefined,
    pid() {
      const pid = host.worker?.pid;
      if (pid === undefined) throw new Error(`host ${name} has no worker`);
      return pid;
    },
    async logTail(lines = 30) {
      const text = await readFile(join(root, 'worker.log'), 'utf8').catch(() => '');
      return text.split('\n').slice(-lines).join('\n');
    },
    async engineCalls() {
      const text = await readFile(join(root, 'engine-calls.txt'), 'utf8').catch(() => '');
      return text.split('\n').filter(Boolean).length;
    },
    async slowEngine(slow) {
      if (slow) await writeFile(join(root, 'engine-slow'), '');
      else await rm(join(root, 'engine-slow'), { force: true });
    },
    async inOwnNetns() {
      if (!netns) return undefined;
      const link = await readlink(`/proc/${host.pid()}/ns/net`);
      return link === `net:[${(await stat(`/run/netns/${netns}`)).ino}]`;
    },
    start() {
      const args = ['run', '--root', root];
      // nsenter joins only the network namespace: the worker keeps this mount namespace, so it sees its
      // host's sshfs mount, while its network is a loopback of its own (it can reach no other host).
      const [file, argv] = netns
        ? ['nsenter', [`--net=/run/netns/${netns}`, '--', IMK, ...args]]
        : [IMK, args];
      host.worker = execa(file, argv, {
        reject: false,
        detached: true,
        stdout: { file: join(root, 'worker.out') },
        stderr: { file: join(root, 'worker.log') },
        env: { IMK_LOG_LEVEL: 'info' },
        forceKillAfterDelay: false,
      });
    },
    signal(signal) {
      try {
        process.kill(-host.pid(), signal);
      } catch {
        // Already gone.
      }
    },
  };
  return host;
}

/** The claimed folders under queues/<queue>/claimed whose token names this host's worker. */
export async function claimsOf(host: Host, claimedDir: string): Promise<string[]> {
  const names = await readdir(claimedDir).catch(() => [] as string[]);
  return names.filter((n) => n.includes(`-${host.pid()}-`));
}
