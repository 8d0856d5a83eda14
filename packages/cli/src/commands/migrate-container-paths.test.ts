import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { legacySample } from '@imk/media/legacy-samples';
import { imkInProcess } from '../../test/in-process.ts';
import { scratchFolder } from '../../test/migrate-kit.ts';

// The earlier version's example .env gives its container's paths (INCOMING=/data/incoming, WORKING=/data/working).
// Carried over as they are, imk run outside a container creates /data/... as root, or fails as another user:
// migrate says, for each path of this host it writes that is not here, that it was a container path and what to do.
const scratch = scratchFolder('imk-migrate-container-');

describe('imk migrate: paths of the earlier container', () => {
  it('says of each path it writes that does not exist on this host that it was a container path, and what to do', async () => {
    // The sample's own lines, its /data moved under a scratch folder: this host may have a /data of its own
    // (made by a run that took these paths as they were), which would hide what is said.
    const data = join(scratch.dir, 'data');
    const text = (await readFile(legacySample('legacy.env.example'), 'utf8')).replaceAll(
      '/data/',
      `${data}/`,
    );
    const envFile = join(scratch.dir, 'legacy.env');
    await writeFile(envFile, text);
    // The drop folder is there (the user made it, or mounted it there); the scratch space is not.
    await mkdir(join(data, 'incoming'), { recursive: true });
    const dir = join(scratch.dir, 'root');
    const run = await imkInProcess('migrate', '--env', envFile, '--root', dir);
    expect(run.exitCode, run.stdout).toBe(0);
    const working = `${data}/working`;
    expect(run.stdout).toContain(
      `  WORKING=${working}\n    config/instrumental-maker.yaml: workDir = ${working}  # from WORKING=${working}: scratch space\n    ${working} does not exist on this host: it was a path inside the earlier version's container. Make that folder here (or mount it there, running imk in a container), or set workDir in config/instrumental-maker.yaml to a folder on this host`,
    );
    expect(run.stdout).not.toMatch(/incoming does not exist on this host/);
    // Written as it was all the same (a mount still to make): the config says what the .env said.
    const im = parseYaml(await readFile(join(dir, 'config', 'instrumental-maker.yaml'), 'utf8')) as {
      workDir: string;
    };
    expect(im.workDir).toBe(working);

    const json = await imkInProcess('migrate', '--env', envFile, '--root', dir, '--json', '--dry-run');
    const lines = (JSON.parse(json.stdout) as { lines: { key: string; notOnHost?: string[] }[] }).lines;
    expect(lines.filter((l) => l.notOnHost !== undefined)).toEqual([
      expect.objectContaining({ key: 'WORKING', notOnHost: [working] }),
    ]);
  });
});
