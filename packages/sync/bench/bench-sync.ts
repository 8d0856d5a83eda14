// npm run bench:sync — throughput of each nas-sync backend for ~1 GiB of artifacts, beside plain `rsync` and
// `rclone copy` of the same files to the same target in the same run, and the time of a re-run with nothing
// to do over 1,000 delivered artifacts. Prints one JSON document on stdout.
//
// Every case runs its plain tools and ours IMK_BENCH_SYNC_ROUNDS times (default 3; who goes first alternates;
// before each run the disk is settled and the sources are read into the page cache; each measured run follows
// an unmeasured warm-up, see WARM_UP) and compares the medians: on a shared machine single runs swing by 2x
// with other people's work. Every round's figure is printed too.
// Env: IMK_BENCH_SYNC_MIB (total size, default 1024), IMK_BENCH_SYNC_FILES (default 16),
// IMK_BENCH_SYNC_ROUNDS, IMK_BENCH_SYNC_ONLY (comma-separated case labels), IMK_BENCH_SYNC_WARM_UP=0 (no
// warm-up runs: half the time, noisier).
import { randomFillSync } from 'node:crypto';
import { link, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLogger } from '@imk/log';
import { ReceiptStore, createSyncEngine, type BackendOptions } from '@imk/sync';
import { startRcloneSftp, startS3rver, startSshd, writeJob } from '@imk/sync/testing';
import { MiB, measure, summarize, timed, type Measure, type Summary } from './measure.ts';
import { rerunOver1000 } from './rerun.ts';

const TOTAL_MIB = Number(process.env.IMK_BENCH_SYNC_MIB ?? 1024);
const FILES = Number(process.env.IMK_BENCH_SYNC_FILES ?? 16);
const ONLY = process.env.IMK_BENCH_SYNC_ONLY?.split(',');
const ROUNDS = Number(process.env.IMK_BENCH_SYNC_ROUNDS ?? 3);
const FILE_BYTES = Math.floor((TOTAL_MIB * MiB) / FILES);
/**
 * Run each tool once unmeasured before each measured run. This machine is a VM: memory that stays free for a
 * few seconds goes back to the host, and a run that then writes 1 GiB of page cache pays the host's page
 * faults (seen: the same `rsync -r` of 1 GiB took 1.2 s right after another copy, 2–5 s after a 5-s pause).
 * Right after a warm-up whose output was removed, each tool finds that memory at hand.
 */
const WARM_UP = process.env.IMK_BENCH_SYNC_WARM_UP !== '0';
const logger = createLogger('bench-sync', { level: process.env.IMK_LOG_LEVEL ?? 'error' });

const work = join(tmpdir(), `imk-bench-sync-${process.pid}`);
const outputs = join(work, 'outputs');
const flat = join(work, 'flat');
const targets = join(work, 'targets');

/** ~1 GiB of incompressible artifacts as outputs/<job>/files/audio/…, plus hard links in one flat folder for the plain tools. */
async function makeArtifacts(): Promise<number> {
  await mkdir(flat, { recursive: true });
  const data = Buffer.alloc(FILE_BYTES);
  for (let i = 0; i < FILES; i++) {
    randomFillSync(data);
    const jobId = `bench${String(i).padStart(3, '0')}`;
    await writeJob(outputs, { jobId, title: jobId, artifacts: [{ path: `files/audio/${jobId}.m4a`, data }] });
    await link(join(outputs, jobId, 'files', 'audio', `${jobId}.m4a`), join(flat, `${jobId}.m4a`));
  }
  return FILE_BYTES * FILES;
}

/** One pass of our engine with a fresh receipts database: every artifact is sent and verified. */
async function runOurs(backend: BackendOptions, root: string, state: string): Promise<number> {
  const receipts = ReceiptStore.open({ file: join(state, 'receipts.sqlite') })!;
  try {
    const engine = createSyncEngine({
      outputsDir: outputs,
      receipts,
      remoteRoots: { audio: root },
      backends: { target: backend },
      routes: [
        { name: 'bench', match: { kind: 'audio' }, to: '${remoteRoots.audio}/{filename}', backend: 'target' },
      ],
      logger,
    });
    let summary: Awaited<ReturnType<typeof engine.runPass>> | undefined;
    const seconds = await timed(async () => {
      summary = await engine.runPass();
    });
    if (summary?.delivered !== FILES)
      throw new Error(
        `${backend.type}: delivered ${summary?.delivered ?? 0} of ${FILES}: ${JSON.stringify(summary?.outcomes.find((o) => o.error)?.error)}`,
      );
    return seconds;
  } finally {
    receipts.close();
  }
}

interface Row {
  backend: string;
  ours: Summary;
  baselines: Summary[];
  /** Median of ours / median of the like-for-like plain tool (same protocol, target and durability). */
  ratio: number;
  /** The same with the best rounds. */
  ratioBest: number;
  against: string;
}

async function main(): Promise<void> {
  const bytes = await makeArtifacts();
  const sources = (await readdir(flat)).map((name) => join(flat, name));
  const sshd = await startSshd();
  const s3 = await startS3rver('bench');
  const rc = await startRcloneSftp();
  const rows: Row[] = [];
  // rclone remotes for the baselines: the OpenSSH sshd (SFTP) and s3rver.
  const rcloneConf = join(work, 'rclone.conf');
  await writeFile(
    rcloneConf,
    [
      '[loc]',
      'type = local',
      '[ssh]',
      'type = sftp',
      'host = 127.0.0.1',
      `port = ${sshd.port}`,
      'user = root',
      `key_file = ${sshd.clientKey}`,
      '[s3]',
      'type = s3',
      'provider = Other',
      'access_key_id = S3RVER',
      'secret_access_key = S3RVER',
      `endpoint = ${s3.endpoint}`,
      'force_path_style = true',
      '',
    ].join('\n'),
  );
  const sshE = `ssh -p ${sshd.port} -i ${sshd.clientKey} -o UserKnownHostsFile=${sshd.knownHosts} -o BatchMode=yes`;
  const ssh = {
    host: sshd.host,
    port: sshd.port,
    username: 'root',
    privateKeyFile: sshd.clientKey,
    knownHostsFile: sshd.knownHosts,
  };
  const fresh = async (name: string): Promise<string> => {
    const dir = join(targets, name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    return dir;
  };
  const sshTarget = async (name: string): Promise<string> => {
    const dir = join(sshd.dataDir, name);
    await rm(dir, { recursive: true, force: true });
    return dir;
  };

  // Before every measured run: remove what earlier runs wrote (dirty pages of removed files are dropped)
  // and flush the rest, so no run pays for the disk writes of the one before it.
  const { AWS_CA_BUNDLE: _ca, ...rcloneEnv } = process.env;
  const settle = async (): Promise<void> => {
    await rm(targets, { recursive: true, force: true });
    for (const name of await readdir(sshd.dataDir))
      await rm(join(sshd.dataDir, name), { recursive: true, force: true });
    for (const target of ['imksftp:plain', 'imksftp:ours'])
      await execa('rclone', ['--config', rc.configFile, 'purge', target], { reject: false });
    for (const target of ['s3:bench/plain', 's3:bench/ours'])
      await execa('rclone', ['--config', rcloneConf, 'purge', target], {
        env: rcloneEnv,
        extendEnv: false,
        reject: false,
      });
    await execa('sync');
    // Both sides read the sources from the page cache (this VM's host reclaims pages left cold for a minute).
    await execa('cat', sources, { stdout: 'ignore' });
  };

  const baselines = {
    rsyncLocal: async () => {
      const dest = await fresh('plain-rsync');
      return measure('rsync', bytes, await timed(() => execa('rsync', ['-r', `${flat}/`, `${dest}/`])));
    },
    rsyncLocalFsync: async () => {
      const dest = await fresh('plain-rsync-fsync');
      return measure(
        'rsync --fsync',
        bytes,
        await timed(() => execa('rsync', ['-r', '--fsync', `${flat}/`, `${dest}/`])),
      );
    },
    rsyncSsh: async () => {
      const dest = await sshTarget('plain-rsync');
      return measure(
        'rsync over ssh',
        bytes,
        await timed(() =>
          execa('rsync', ['-r', '--mkpath', '-e', sshE, `${flat}/`, `root@127.0.0.1:${dest}/`]),
        ),
      );
    },
    rcloneLocal: async () => {
      const dest = await fresh('plain-rclone');
      return measure(
        'rclone copy',
        bytes,
        await timed(() => execa('rclone', ['--config', rcloneConf, 'copy', flat, `loc:${dest}`])),
      );
    },
    rcloneSsh: async () => {
      const dest = await sshTarget('plain-rclone');
      return measure(
        'rclone copy (sftp)',
        bytes,
        await timed(() => execa('rclone', ['--config', rcloneConf, 'copy', flat, `ssh:${dest}`])),
      );
    },
    rcloneServe: async () => {
      // Through the server: `rclone serve sftp` caches listings and would not see a folder removed behind it.
      await execa('rclone', ['--config', rc.configFile, 'purge', 'imksftp:plain'], { reject: false });
      return measure(
        'rclone copy (serve sftp)',
        bytes,
        await timed(() => execa('rclone', ['--config', rc.configFile, 'copy', flat, 'imksftp:plain'])),
      );
    },
    rcloneS3: async () => {
      // rclone's S3 client cannot use AWS_CA_BUNDLE with its own HTTP transport (and s3rver is plain HTTP).
      const { AWS_CA_BUNDLE: _unused, ...env } = process.env;
      await execa('rclone', ['--config', rcloneConf, 'purge', 's3:bench/plain'], {
        env,
        extendEnv: false,
        reject: false,
      });
      const copy = () =>
        execa('rclone', ['--config', rcloneConf, 'copy', flat, 's3:bench/plain'], { env, extendEnv: false });
      return measure('rclone copy (s3)', bytes, await timed(copy));
    },
  };

  const cases: {
    label: string;
    backend: () => Promise<{ options: BackendOptions; root: string }>;
    baselines: (() => Promise<Measure>)[];
  }[] = [
    // Ours fsyncs each file (durable on a power cut); the like-for-like plain tool is rsync --fsync.
    {
      label: 'local',
      backend: async () => ({ options: { type: 'local' }, root: await fresh('ours-local') }),
      baselines: [baselines.rsyncLocalFsync, baselines.rsyncLocal, baselines.rcloneLocal],
    },
    {
      label: 'local (fsync: false)',
      backend: async () => ({
        options: { type: 'local', fsync: false },
        root: await fresh('ours-local-nofsync'),
      }),
      baselines: [baselines.rsyncLocal],
    },
    {
      label: 'rsync (local)',
      backend: async () => ({ options: { type: 'rsync' }, root: await fresh('ours-rsync') }),
      baselines: [baselines.rsyncLocal],
    },
    {
      label: 'rsync (ssh)',
      backend: async () => ({ options: { type: 'rsync', ...ssh }, root: await sshTarget('ours-rsync') }),
      baselines: [baselines.rsyncSsh],
    },
    {
      label: 'sftp',
      backend: async () => ({ options: { type: 'sftp', ...ssh }, root: await sshTarget('ours-sftp') }),
      baselines: [baselines.rcloneSsh, baselines.rsyncSsh],
    },
    {
      label: 's3',
      backend: () =>
        Promise.resolve({
          options: {
            type: 's3',
            bucket: 'bench',
            endpoint: s3.endpoint,
            forcePathStyle: true,
            accessKeyId: { env: 'BENCH_S3' },
            secretAccessKey: { env: 'BENCH_S3' },
          },
          root: 'ours',
        }),
      baselines: [baselines.rcloneS3],
    },
    {
      label: 'rclone (local)',
      backend: async () => ({
        options: { type: 'rclone', remote: 'loc:', configFile: rcloneConf },
        root: await fresh('ours-rclone'),
      }),
      baselines: [baselines.rcloneLocal],
    },
    {
      label: 'rclone (serve sftp)',
      backend: async () => {
        await execa('rclone', ['--config', rc.configFile, 'purge', 'imksftp:ours'], { reject: false });
        return { options: { type: 'rclone', remote: 'imksftp:', configFile: rc.configFile }, root: 'ours' };
      },
      baselines: [baselines.rcloneServe],
    },
  ];
  process.env.BENCH_S3 = 'S3RVER';

  try {
    const selected = cases.filter((entry) => !ONLY || ONLY.includes(entry.label));
    const results = new Map(
      selected.map((entry) => [
        entry.label,
        { ours: [] as Measure[], baselines: entry.baselines.map(() => [] as Measure[]) },
      ]),
    );
    for (let round = 1; round <= ROUNDS; round++)
      for (const entry of selected) {
        process.stderr.write(`bench-sync: round ${round}: ${entry.label}\n`);
        const result = results.get(entry.label)!;
        // Each measured run follows an unmeasured one of the same tool (see WARM_UP).
        const runBaselines = async () => {
          for (const [index, baseline] of entry.baselines.entries()) {
            if (WARM_UP) {
              await settle();
              await baseline();
            }
            await settle();
            result.baselines[index]!.push(await baseline());
          }
        };
        const oursOnce = async () => {
          await settle();
          const { options, root } = await entry.backend();
          const state = join(work, 'state', entry.label.replace(/\W+/g, '-'));
          await rm(state, { recursive: true, force: true });
          await mkdir(state, { recursive: true });
          return measure(`nas-sync ${entry.label}`, bytes, await runOurs(options, root, state));
        };
        const runOursOnce = async () => {
          if (WARM_UP) await oursOnce();
          result.ours.push(await oursOnce());
        };
        // Alternate who goes first, so any order effect left falls on both sides.
        if (round % 2 === 1) {
          await runBaselines();
          await runOursOnce();
        } else {
          await runOursOnce();
          await runBaselines();
        }
      }
    for (const entry of selected) {
      const result = results.get(entry.label)!;
      const ours = summarize(result.ours);
      const measured = result.baselines.map(summarize);
      const reference = measured[0]!;
      rows.push({
        backend: entry.label,
        ours,
        baselines: measured,
        ratio: Number((ours.mibPerSec / reference.mibPerSec).toFixed(2)),
        ratioBest: Number((ours.best / reference.best).toFixed(2)),
        against: reference.tool,
      });
    }
    const rerun = await rerunOver1000(join(work, 'rerun'), logger);
    const result = {
      bench: 'sync',
      artifacts: { files: FILES, bytes, mib: Number((bytes / MiB).toFixed(0)) },
      rounds: ROUNDS,
      warmUp: WARM_UP,
      machine: { cpus: cpus().length, loadavg1: Number(loadavg()[0]?.toFixed(2)) },
      backends: rows,
      rerunNothingToDo: { ...rerun, limitSeconds: 2, ok: rerun.seconds <= 2 && rerun.artifacts === 1000 },
      allAtLeast0_8: rows.every((row) => row.ratio >= 0.8),
    };
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } finally {
    await Promise.allSettled([sshd.stop(), s3.stop(), rc.stop()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
