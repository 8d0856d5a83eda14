// A command loads only what it needs. `imk doctor` loaded all six services' code (the worker's pipeline,
// the separation engines, the dashboard's fastify server) to read their config schemas and checks, and
// `imk cleanup` loaded the whole worker and @imk/separation to read one setting (stemCache.dir): seconds
// of start-up for each. A service's definition now holds its schema and checks and loads its code only
// when it starts.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const IMK = fileURLToPath(new URL('../bin/imk.js', import.meta.url));
const RECORDER = fileURLToPath(new URL('./fixtures/record-modules.mjs', import.meta.url));
const WITHOUT_FASTIFY = fileURLToPath(new URL('./fixtures/without-fastify.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

let base = '';
beforeAll(async () => {
  base = await mkdtemp(join(tmpdir(), 'imk-light-'));
});
afterAll(() => rm(base, { recursive: true, force: true }));

/** Runs a real imk and returns what it printed and the repository files (and packages) it loaded. */
async function loadedBy(name: string, args: string[]) {
  const record = join(base, `${name}.modules`);
  const result = await execa(process.execPath, ['--import', RECORDER, IMK, ...args, '--root', base], {
    reject: false,
    env: { IMK_RECORD_MODULES: record },
  });
  const urls = (await readFile(record, 'utf8')).split('\n').filter(Boolean);
  const files = urls
    .filter((url) => url.startsWith('file://'))
    .map((url) => fileURLToPath(url).slice(REPO.length));
  return { result, files };
}

/** The code of a service (or of the engines) that only running it needs. */
const SERVICE_CODE = [
  'services/instrumental-maker/src/service.ts',
  'services/instrumental-maker/src/process-job.ts',
  'services/nas-sync/src/service.ts',
  'services/web/src/start-web.ts',
  'services/web/src/server.ts',
  'services/youtube-retriever/src/start.ts',
  'services/youtube-retriever/src/http-server.ts',
  'services/deemix-retriever/src/start.ts',
  'services/inbox/src/start.ts',
  'packages/retriever-sdk/src/request-folder.ts',
  'packages/media/src/index.ts',
  'packages/separation/src/index.ts',
  'packages/separation/src/engines/builtin.ts',
  'node_modules/fastify/fastify.js',
];

describe('what a command loads', () => {
  it('imk doctor checks every service without loading any service code', async () => {
    const { result, files } = await loadedBy('doctor', ['doctor', '--json']);
    const report = JSON.parse(result.stdout) as { checks: { id: string }[]; unavailable_services: string[] };
    // Every service's checks are there, read from its definition.
    expect(report.unavailable_services).toEqual([]);
    expect(report.checks.map((c) => c.id)).toEqual(
      expect.arrayContaining([
        'ledger',
        'separation-engine',
        'mdx-models',
        'sync-tools',
        'web-access',
        'yt-dlp',
        'deemix',
      ]),
    );
    expect(files).toContain('services/web/src/definition.ts');
    expect(files.filter((f) => SERVICE_CODE.includes(f))).toEqual([]);
  });

  it('imk cleanup reads the worker stem cache setting without loading the worker or the engines', async () => {
    const { result, files } = await loadedBy('cleanup', ['cleanup', '--dry-run']);
    expect(result.exitCode).toBe(0);
    expect(files).toContain('services/instrumental-maker/src/stem-cache-dir.ts');
    expect(files.filter((f) => SERVICE_CODE.includes(f))).toEqual([]);
  });

  it('imk doctor works without the dashboard code; imk run web then says the service is not available', async () => {
    const imk = (...args: string[]) =>
      execa(process.execPath, ['--import', WITHOUT_FASTIFY, IMK, ...args, '--root', base], {
        reject: false,
        env: { IMK_LOG_LEVEL: 'error' },
      });
    const doctor = await imk('doctor', '--json', '--group', 'web');
    const report = JSON.parse(doctor.stdout) as { checks: { id: string }[]; unavailable_services: string[] };
    expect(report.unavailable_services).toEqual([]);
    expect(report.checks.map((c) => c.id)).toContain('web-access');
    // Loaded before it starts, so the code that is missing is said as such (not a failure while running).
    const run = await imk('run', 'web');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(
      /service web is not available: @imk\/web-service could not be loaded \(.*fastify/,
    );
    expect(run.stderr).toContain('[SERVICE_UNAVAILABLE]');
  });
});
