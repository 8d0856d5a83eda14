// `imk up` in a real child process plus a headless Chromium page on its dashboard, for the e2e tests of
// the job page (mixer, cancel). The log of imk up goes to test-artifacts/web-e2e/<log>.
import { spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { IMK } from '../../../packages/cli/test/imk-bin.ts';

/** The `imk` command of this checkout. */
export { IMK };

const REPO = join(import.meta.dirname, '..', '..', '..');
export const ARTIFACTS = join(REPO, 'test-artifacts', 'web-e2e');

export interface ImkUpPage {
  url: string;
  page: Page;
  /** Uncaught errors of the page's scripts. */
  pageErrors: string[];
  /** Closes Chromium, stops imk up and removes the browser profile. */
  close: () => Promise<void>;
}

/** Starts `imk up --only <services>` on `root` (any free port) and opens Chromium (audio allowed, muted). */
export async function startImkUpPage(root: string, services: string, log: string): Promise<ImkUpPage> {
  await mkdir(ARTIFACTS, { recursive: true });
  const up = spawn(process.execPath, [IMK, 'up', '--root', root, '--port', '0', '--only', services], {
    env: { ...process.env, IMK_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  up.stderr.pipe(createWriteStream(join(ARTIFACTS, log)));
  const exited = new Promise<number | null>((resolve) => up.once('exit', (code) => resolve(code)));
  const stop = async () => {
    if (up.exitCode === null && up.signalCode === null) {
      up.kill('SIGKILL');
      await exited;
    }
  };
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    up.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /open (http:\/\/\S+)/.exec(out);
      if (match?.[1]) resolve(match[1]);
    });
    void exited.then((code) => reject(new Error(`imk up exited (${code}); see ${log}`)));
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  const profile = await mkdtemp(join(tmpdir(), 'imk-e2e-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--autoplay-policy=no-user-gesture-required',
      '--mute-audio',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return {
    url,
    page,
    pageErrors,
    close: async () => {
      await context.close();
      await stop();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
