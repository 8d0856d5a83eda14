import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { catalogueOf, policyOfCode } from '@imk/errors';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// A code written where an error is made: `new ImkError('X'`, `new UntrustedFileError('X'`, `syncError('X'`.
// Codes picked from a table (yt-dlp's and deemix's messages) are typed as catalogue keys instead.
const THROWN = /(?:new (?:ImkError|UntrustedFileError)|syncError)\(\s*'([A-Z][A-Z0-9_]*)'/g;

interface Workspace {
  name: string;
  dir: string;
  codes: Map<string, string>;
}

async function sourceFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
    .map((entry) => join(entry.parentPath, entry.name));
}

async function workspaces(): Promise<Workspace[]> {
  const found: Workspace[] = [];
  for (const group of ['packages', 'services']) {
    for (const entry of await readdir(join(ROOT, group), { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = join(ROOT, group, entry.name);
      const pkg = JSON.parse(await readFile(join(dir, 'package.json'), 'utf8')) as { name: string };
      const codes = new Map<string, string>();
      for (const file of await sourceFiles(join(dir, 'src'))) {
        for (const match of (await readFile(file, 'utf8')).matchAll(THROWN))
          codes.set(match[1] ?? '', relative(ROOT, file));
      }
      found.push({ name: pkg.name, dir, codes });
    }
  }
  return found;
}

describe('error catalogues', () => {
  it('name every code each package throws, with one policy per code across packages', async () => {
    const missing: string[] = [];
    for (const workspace of await workspaces()) {
      if (workspace.codes.size === 0) continue;
      // Importing the catalogue registers it; two packages giving one code different policies throw here.
      await import(join(workspace.dir, 'src/errors.ts'));
      const catalogue = catalogueOf(workspace.name);
      for (const [code, file] of workspace.codes)
        if (!catalogue || !(code in catalogue))
          missing.push(`${code} (thrown in ${file}, not in ${workspace.name}'s catalogue)`);
    }
    expect(missing).toEqual([]);
  });

  it('give an HTTP error reply its status: no route writes the status beside the code by hand', async () => {
    // The dashboard's routes answered `reply.code(410).send({ error: 'STEMS_NOT_CACHED', … })` while the
    // worker's catalogue gave STEMS_NOT_CACHED 422: one code, two policies, and 29 statuses kept by hand
    // beside codes no catalogue named. A route answers with its package's replyError (status from the
    // catalogue), so the code and its status cannot part.
    const byHand = /\.code\(\s*[45]\d\d\s*\)(?:(?!;)[\s\S]){0,200}?\.send\(\s*\{\s*error:/g;
    // `{ status: 403, error: 'HOST_NOT_ALLOWED', … }`: a refusal carrying its status beside its code.
    const statusBeside = /status:\s*[45]\d\d\s*,\s*error:\s*'[A-Z_]+'/g;
    const found: string[] = [];
    // @imk/http-guard's refusals before any route (401/403/415/429) were kept by hand too, outside any
    // catalogue; now HTTP_GUARD_ERRORS names them and replyRefusal answers them.
    for (const workspace of await workspaces())
      for (const file of await sourceFiles(join(workspace.dir, 'src'))) {
        const text = await readFile(file, 'utf8');
        for (const match of [...text.matchAll(byHand), ...text.matchAll(statusBeside)])
          found.push(`${relative(ROOT, file)}: ${match[0].replace(/\s+/g, ' ')}`);
      }
    expect(found).toEqual([]);
    await import(join(ROOT, 'services/web/src/errors.ts'));
    await import(join(ROOT, 'services/instrumental-maker/src/errors.ts'));
    expect(policyOfCode('STEMS_NOT_CACHED')).toEqual({ retryable: false, httpStatus: 410 });
  });

  it('give the policies the worker and the HTTP API act on', async () => {
    for (const dir of ['packages/media', 'packages/separation', 'services/youtube-retriever'])
      await import(join(ROOT, dir, 'src/errors.ts'));
    expect(policyOfCode('MEDIA_UNREADABLE')).toEqual({ retryable: false, httpStatus: 422 });
    expect(policyOfCode('FFMPEG_FAILED')).toEqual({ retryable: true, httpStatus: 500 });
    expect(policyOfCode('MODEL_MISSING')).toEqual({ retryable: false, httpStatus: 503 });
    expect(policyOfCode('TOOL_MISSING')).toEqual({ retryable: false, httpStatus: 503 });
    expect(policyOfCode('NETWORK')).toEqual({ retryable: true, httpStatus: 502 });
    expect(policyOfCode('NO_SUCH_CODE')).toBeUndefined();
  });
});
