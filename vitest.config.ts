import { defineConfig } from 'vitest/config';

// Integration tests start real programs (ffmpeg, sshd, an S3 server, yt-dlp, Chromium):
// generous timeouts, and no more workers than this 2-core machine has.
export default defineConfig({
  test: {
    include: [
      'packages/*/src/**/*.test.ts',
      'packages/*/test/**/*.test.ts',
      'services/*/src/**/*.test.ts',
      'services/*/test/**/*.test.ts',
    ],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
