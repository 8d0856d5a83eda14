import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// STYLE 13: every on-disk contract has one home, and every reader goes through it. Two readers of one file
// drift apart: the dashboard read job.json with 1 MiB, the ledger's rebuild with 16 MiB, the queue with its
// own rule; "Separate again" parsed an archived job.json without the earlier version's nulls, which the
// worker reads as absent, and refused a song the worker had separated. This test fails when a source file
// outside a contract's home spells one of its names (an identifier or a literal) in a way that builds or
// reads its paths.
const REPO = join(import.meta.dirname, '..', '..', '..');

interface Contract {
  what: string;
  /** Folders (relative to the repository) whose files may spell it. */
  homes: string[];
  /** What a reader outside the homes must not write. */
  spellings: RegExp;
  /** An import (over several lines) that a file outside the homes must not have. */
  imports?: RegExp;
}

const CONTRACTS: Contract[] = [
  {
    what: "the queue's own files inside a bundle (imk-state.json, imk-error.json, …): read with readArchiveOutcome, readBundleState, listRejected",
    homes: ['packages/fsqueue/src/'],
    spellings:
      /\b(?:ERROR|REJECTION|CANCEL|RESULT|STATE|LEASE|PRODUCER|CANCEL_REQUEST|PREVIOUS_ERROR|PREVIOUS_CANCEL)_FILE\b|['"`]imk-(?:lease|[a-z.-]+\.json)['"`]|['"`]imk-['"`]/,
  },
  {
    what: "a bundle's job.json: read with readBundle (validated) or readJobJson (as written)",
    homes: ['packages/protocol/src/', 'packages/fsqueue/src/'],
    spellings: /join\([^)]*(?:\bJOB_FILE\b|['"`]job\.json['"`])/,
  },
  {
    what: "the queue's folder names (claimed/, succeeded/, failed/, rejected/, cancelled/, job_<id>, .tmp): fsqueue lists, finds and counts them",
    homes: ['packages/fsqueue/src/'],
    spellings:
      /join\([^)]*['"`](?:claimed|succeeded|failed|rejected|cancelled)['"`]|`job_\$\{|['"`]job_['"`]|\b(?:CLAIMED|SUCCEEDED|FAILED|CANCELLED)_DIR\b|\bREADY_PREFIX\b|\bTMP_SUFFIX\b/,
    // The inbox has a `.rejected/` of its own (REJECTED_DIR there): fsqueue's is caught where it is imported.
    imports: /\bimport\s*(?:type\s*)?\{[^}]*\bREJECTED_DIR\b[^}]*\}\s*from\s*'@imk\/fsqueue'/,
  },
  {
    what: "the outputs folder's manifest.json, .partial- and .replaced: @imk/protocol's outputs layout",
    homes: ['packages/protocol/src/'],
    spellings: /['"`](?:manifest\.json|\.replaced|\.partial-)['"`]|join\([^)]*['"`]manifest\.json['"`]/,
  },
  {
    // The worker's naming.ts built `files/audio/${…}` beside protocol's savedMixPath (which the dashboard
    // checks a mix against before queuing it) and legacyStemPath: three spellings of one layout.
    what: "a job's artifact folders in outputs/<job_id>/ (files/audio, files/stems, files/video): @imk/protocol's artifactPath",
    homes: ['packages/protocol/src/outputs-layout.ts'],
    // A message naming `outputs/${id}/files/stems/` spelt the folder again (the dashboard's mixer and the
    // worker's mixes of earlier-version outputs): `${ARTIFACT_DIRS.stems}` names it.
    spellings:
      /['"`]files\/(?:audio|stems|video)\/(?:\$\{|['"`])|join\([^)]*['"`]files['"`]\s*,\s*['"`](?:audio|stems|video)['"`]|\}\/files\/(?:audio|stems|video)\b/,
  },
  {
    // The dashboard's mixer and the worker's mix of an earlier-version output each wrote 'remix'.
    what: "a remix job's source_type: @imk/protocol's REMIX_SOURCE_TYPE",
    homes: ['packages/protocol/src/job.ts'],
    spellings: /\bsource_?[tT]ype\s*:\s*['"`]remix['"`]|makeJobId\(\s*['"`]remix['"`]/,
  },
  {
    what: "a finished job's manifest.json: found with findOutput or listOutputs, read with readOutputManifest (the worker's publish-outputs.ts writes it)",
    homes: ['packages/protocol/src/', 'services/instrumental-maker/src/publish-outputs.ts'],
    spellings: /join\([^)]*\bMANIFEST_FILE\b/,
  },
  {
    // rsync's partial and leftover sweeps spelt the suffix again, in their shell patterns and regexes: a
    // change of the temp name would leave every sweep looking for the old one, and partials piling up.
    what: "the sync backends' temporary name suffix (.imk-tmp): packages/sync's util/remote-path.ts TEMP_SUFFIX",
    homes: ['packages/sync/src/util/remote-path.ts'],
    spellings: /imk-tmp/,
  },
  {
    what: "a job's partial folder in outputs/: made, discarded and published by the worker's publish-outputs.ts (startOutputs, discardOutputs, publishOutputs)",
    homes: ['packages/protocol/src/', 'services/instrumental-maker/src/publish-outputs.ts'],
    spellings: /join\([^)]*\bpartialDirName\(/,
  },
];

async function sourceFiles(): Promise<string[]> {
  const files: string[] = [];
  for (const group of ['packages', 'services'])
    for (const pkg of await readdir(join(REPO, group), { withFileTypes: true })) {
      if (!pkg.isDirectory()) continue;
      for (const folder of ['src', 'public']) {
        const dir = join(REPO, group, pkg.name, folder);
        for (const entry of await readdir(dir, { withFileTypes: true, recursive: true }).catch(() => []))
          if (entry.isFile() && /\.(?:ts|js|mjs)$/.test(entry.name) && !/\.test\.[jt]s$/.test(entry.name))
            files.push(join(entry.parentPath, entry.name));
      }
    }
  return files;
}

/** The code of a file without its comments (a comment may name a file to explain it). */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/**
 * Each folder under `state/` and the module that names it (STYLE 13: paths from one ImkPaths). The rest of
 * the code takes them from there: config's paths.ts gives ledger.sqlite, nas-sync.sqlite, cache/, tmp/,
 * cache/stems (the worker's stem cache, which the dashboard's mixer reads too) and `state/<service>/` with
 * its work/ and cache/ (which `imk cleanup` prunes by these names).
 */
const STATE_HOMES: Record<string, RegExp> = {
  'packages/config/src/paths.ts': /.*/,
  'packages/notify/src/store.ts': /^notify$/, // state/notify/{outbox,sending,tmp,refresh-owed}, results.jsonl
  'services/deemix-retriever/src/config.ts': /^config$/, // deemix's XDG config home, in its own state folder
  'services/web/src/routes/outputs.ts': /^previews$/, // the dashboard's cover previews, state/cache/previews
  'services/web/src/routes/submit.ts': /^web$/, // uploads being received, state/tmp/web
  'packages/ops/src/heartbeat.ts': /^HEALTH_DIR$/, // state/health/<service>@<host>.json, the heartbeats
};
// A service's scratch folder, `state/tmp/<service>`, named by its own SERVICE_NAME (from @imk/config's list).
const SERVICE_OWN = /^SERVICE_NAME$/;
// `join(paths.state, 'x')`, `join(ctx.paths.cache, 'x')`, `join(stateDir, 'x')`, `join(resolvePaths(root).state,
// X_DIR)`: a name put under state/, as a literal or as a constant of the module (a second home of the name).
const STATE_JOIN =
  /join\(\s*((?:[\w.]*\.)?paths\.(?:state|cache|tmp)|resolvePaths\([^()]*\)\.(?:state|cache|tmp)|stateDir|state)\s*,\s*(?:['"`]([^'"`]*)['"`]|([A-Z][A-Z0-9_]*)\b)/g;

describe('one home per on-disk contract', () => {
  it('every folder under state/ is named by one module', async () => {
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      const allowed = STATE_HOMES[path];
      for (const match of code(await readFile(file, 'utf8')).matchAll(STATE_JOIN)) {
        const name = match[2] ?? match[3] ?? '';
        if (!allowed?.test(name) && !SERVICE_OWN.test(name)) found.push(`${path}: ${match[0]}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("a service's own folder under state/ is named by the service's constant, not a literal", async () => {
    // `serviceStatePaths(stateDir, 'nas-sync')` (state/nas-sync/destinations.json) named the folder with a
    // literal beside nas-sync's SERVICE_NAME, a way round the join() rule above: rename the service and its
    // passes write the destinations' faults where neither its health check nor `imk cleanup` look.
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      code(await readFile(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (/\bserviceStatePaths\(\s*[^,()]+,\s*['"`]/.test(line))
            found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it("no library spells a service's name: it comes from the service's definition, or from @imk/config", async () => {
    // STYLE 14: a library imports no service, so a name it needs (the YouTube retriever's state folder,
    // which retriever-sdk's subscriptions live in) is defined in @imk/config and the service takes it from
    // there. instrumental-maker is left out: it is also the product's name (User-Agent, realm, client).
    const services = (await readdir(join(REPO, 'services'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && entry.name !== 'instrumental-maker')
      .map((entry) => entry.name);
    expect(services).toContain('youtube-retriever');
    // A string that is the name, in code (an argument, a value, a constant), not a name quoted in prose.
    const literal = new RegExp(`(?:^|[(,=:[{?]|return)\\s*(['"\`])(?:${services.join('|')})\\1`);
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      // The one list of the names (config's service-names.ts) and the CLI's registry of service packages,
      // which loadService checks against each definition's name, are their homes.
      if (
        !path.startsWith('packages/') ||
        /^packages\/(?:config\/src\/service-names|cli\/src\/services)\.ts$/.test(path)
      )
        continue;
      code(await readFile(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (literal.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it("no constant spells a service's name again: it is @imk/config's (instrumental-maker included)", async () => {
    // The legacy migration's `IM = 'instrumental-maker'` (the worker's config file), `imk run`'s default
    // service and the worker's own SERVICE_NAME each wrote the name beside @imk/config's list: rename the
    // service and the migration writes a config file nobody reads. (instrumental-maker is also the
    // product's name, which a User-Agent or a client id may spell; a constant that names the service may not.)
    const services = (await readdir(join(REPO, 'services'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const constant = new RegExp(
      `^\\s*(?:export\\s+)?const\\s+\\w+\\s*(?::[^=]+)?=\\s*(['"\`])(?:${services.join('|')})\\1`,
    );
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      // The one list, and the CLI's copy for a fast `imk --help` (choices.test.ts pins it to the list).
      if (/^packages\/(?:config\/src\/service-names|cli\/src\/commands\/choices)\.ts$/.test(path)) continue;
      code(await readFile(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (constant.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it("a service names itself (a bundle's producer, its log component) by its one constant, not a literal", async () => {
    // A bundle's `producer` is what the dashboard and the ledger show as where a job came from: a
    // literal beside SERVICE_NAME drifts apart from it when one is renamed.
    const services = (await readdir(join(REPO, 'services'), { withFileTypes: true }))
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      const service = /^services\/([^/]+)\//.exec(path)?.[1];
      if (!service || !services.includes(service)) continue;
      // `name` too: the web server's default service list said `{ name: 'web' }` beside WEB_SERVICE.
      const literal = new RegExp(`\\b(?:producer|component|service|name)\\s*:\\s*(['"\`])${service}\\1`);
      code(await readFile(file, 'utf8'))
        .split('\n')
        .forEach((line, i) => {
          if (literal.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
        });
    }
    expect(found).toEqual([]);
  });

  it.each(CONTRACTS)('$what', async (contract) => {
    const found: string[] = [];
    for (const file of await sourceFiles()) {
      const path = relative(REPO, file);
      if (contract.homes.some((home) => path.startsWith(home))) continue;
      const text = code(await readFile(file, 'utf8'));
      if (contract.imports?.test(text)) found.push(`${path}: ${contract.imports.exec(text)?.[0] ?? ''}`);
      text.split('\n').forEach((line, i) => {
        if (contract.spellings.test(line)) found.push(`${path}:${i + 1}: ${line.trim()}`);
      });
    }
    expect(found).toEqual([]);
  });
});
