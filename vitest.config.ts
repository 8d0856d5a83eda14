import { relative } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { SHARED_PROCESS_FILES } from './vitest.shared-process.ts';

/**
 * The longest test files (seconds on CI, 2 cores), longest first. Vitest starts the files it has timed
 * before longest first (its cache, in node_modules/.vite); on a machine without that cache it goes by file
 * size, and a long file that starts near the end runs alone and lengthens the whole run.
 */
const LONGEST_FIRST = [
  // Seconds in the last clean-clone run before speed29 (the suite's own figures, 2 cores, 2 workers, the
  // machine otherwise idle: 1832 s in all), which named its 40 longest files, longest first. Process starts
  // cost more there than when the earlier figures were taken: the order, not the seconds, is what counts.
  // Its five shared-process files among them (outputs-busy-clock, sample-rate, stem-clipping, eval-folder,
  // clip-guard: 19-22 s) are left out: those run last, one after another (vitest.shared-process.ts).
  'services/youtube-retriever/test/subscriptions.test.ts', // 99.4
  'services/instrumental-maker/test/multi-host.test.ts', // 98.2
  // 82.5 in that run; about 20 s less since speed29 (its channel-page case starts no yt-dlp).
  'services/youtube-retriever/test/youtube-links.test.ts',
  'services/instrumental-maker/test/outputs-busy-wait.test.ts', // 77.6
  'services/web/test/dashboard.e2e.test.ts', // 70.8
  'services/instrumental-maker/test/remix-names.test.ts', // 68.7
  'packages/sync/test/dead-share-tools.test.ts', // 66.7
  'packages/fsqueue/test/race.test.ts', // 63.0
  'services/youtube-retriever/test/entry-identity.test.ts', // 55.9
  'services/youtube-retriever/test/fetch-youtube.test.ts', // 55.2
  'packages/sync/test/delivery.test.ts', // 48.0
  'services/youtube-retriever/test/fetch-youtube-requests.test.ts', // 41.9
  'packages/separation/test/mdx-engine.test.ts', // 39.6
  'services/instrumental-maker/test/scale.test.ts', // 39.3
  'packages/sync/test/backends-local.test.ts', // 38.8
  'services/instrumental-maker/test/mdx-engine.test.ts', // 37.5
  'packages/cli/test/separate-eval-commands.test.ts', // 36.3
  'services/youtube-retriever/test/cli.test.ts', // 35.4
  'packages/cli/test/separate-outputs.test.ts', // 34.0
  'packages/fsqueue/test/archive-listing.test.ts', // 33.6
  'packages/cli/test/both-pair-nas.test.ts', // 31.7
  'services/instrumental-maker/test/cache.test.ts', // 30.7
  'services/inbox/test/not-whole.test.ts', // 30.4
  'services/instrumental-maker/test/remix-multi-host.test.ts', // 29.9
  'services/web/test/mixer-separate-again.e2e.test.ts', // 29.2
  'packages/sync/test/backends-ssh.test.ts', // 28.4
  'packages/separation/test/inputs.test.ts', // 27.4
  'services/nas-sync/test/cli.test.ts', // 26.5
  'services/deemix-retriever/test/fetch-deezer.test.ts', // 25.8
  'services/nas-sync/test/dead-share-commands.test.ts', // 22.6
  'packages/fsqueue/test/lease-sshfs.test.ts', // 22.0
  'services/instrumental-maker/test/damaged-input.test.ts', // 21.7
  'packages/media/src/format-limits.test.ts', // 21.1
  'services/web/test/mixer-access.e2e.test.ts', // 19.4
  'packages/sync/test/backends-rclone-sftp.test.ts', // 18.0
  // Under 18 s in that run (not among its 40 longest); longest first in the runs before it.
  'services/instrumental-maker/test/legacy.test.ts',
  'services/instrumental-maker/test/bundle-swap.test.ts',
  'services/instrumental-maker/test/bundles.test.ts',
  'services/instrumental-maker/test/input-replaced.test.ts',
  'packages/sync/test/temp-vanished.test.ts',
  'services/web/test/live-sync.e2e.test.ts',
];

/** The files in an order given by the seed (a Park-Miller generator driving a Fisher-Yates shuffle). */
function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let state = seed % 2_147_483_647 || 1;
  for (let i = out.length - 1; i > 0; i--) {
    state = (state * 48_271) % 2_147_483_647;
    const j = state % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    // `--sequence.shuffle`: files in a random order too (the seed is printed; `--sequence.seed` repeats it),
    // as vitest's own sequencer does, to show that no file depends on another having run before it.
    const { shuffle, seed } = this.ctx.config.sequence;
    if (shuffle === true) return shuffled(files, seed);
    const sorted = await super.sort(files);
    const root = this.ctx.config.root;
    const key = (file: TestSpecification) => relative(root, file.moduleId);
    // The shared-process files (short ones) last, one after another: a worker reuses its process only
    // while the next file is one of them.
    const shared = (file: TestSpecification) => (file.project.config.isolate === false ? 1 : 0);
    // Every file timed before: the cache's order (failed first, then longest first) is the better one.
    const timed = sorted.every((file) =>
      this.ctx.cache.getFileTestResults(`${file.project.name}:${key(file)}`),
    );
    const rank = (file: TestSpecification) => {
      if (timed) return 0;
      const index = LONGEST_FIRST.indexOf(key(file));
      return index === -1 ? LONGEST_FIRST.length : index;
    };
    return sorted
      .map((file, order) => ({ file, order }))
      .sort((a, b) => shared(a.file) - shared(b.file) || rank(a.file) - rank(b.file) || a.order - b.order)
      .map(({ file }) => file);
  }
}

// Integration tests start real programs (ffmpeg, sshd, an S3 server, yt-dlp, Chromium): generous
// timeouts. Two workers on 2 cores. A third gains nothing on these machines: a clean clone with three, alone
// on the machine, took 1,755 s of vitest against 1,785 s with two (the cores were 87 % busy: 54 min of user
// and system time in 31 min), and it puts more pressure on the tests' bounded waits (in speed11's run with
// three, on an earlier machine where it did gain, an inbox test's 20-s wait ran out).
const common = {
  testTimeout: 120_000,
  hookTimeout: 120_000,
  pool: 'forks',
  maxWorkers: 2,
} as const;

const include = [
  'packages/*/src/**/*.test.ts',
  'packages/*/test/**/*.test.ts',
  'services/*/src/**/*.test.ts',
  'services/*/test/**/*.test.ts',
];

export default defineConfig({
  test: {
    ...common,
    reporters: ['default'],
    // Builds `imk` once for the run, so a test's `imk` process starts without tsx (packages/cli/test/bundle);
    // a folder where the same generated media is encoded once for the run (packages/media/test/media-cache).
    // Run once, by the root, for both projects (their workers inherit the environment it sets).
    globalSetup: ['packages/cli/test/global-setup.ts', 'packages/media/test/media-cache-setup.ts'],
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      // Each file in a process of its own: the default, and every file that starts programs or changes the process.
      {
        test: {
          ...common,
          name: 'own-process',
          include,
          exclude: [...configDefaults.exclude, ...SHARED_PROCESS_FILES],
        },
      },
      // Files that leave nothing behind in the process, run one after another in a shared one (see vitest.shared-process.ts).
      { test: { ...common, name: 'shared-process', include: SHARED_PROCESS_FILES, isolate: false } },
    ],
  },
});
