import { access, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ManifestSchema } from '@imk/protocol';

export interface OutputsWatch {
  /** Every problem seen: a final folder without a complete manifest, a replaced or vanished output. */
  stop(): Promise<string[]>;
  /** The manifest text of each job as first seen from this mount. */
  firstSeen: Map<string, string>;
  polls(): number;
}

/**
 * Polls one mount's outputs/ listing while the hosts run. A final name (not starting with ".") must be
 * complete the first time it is seen (manifest.json parses, every artifact it lists is there) and must
 * stay (never moved away); `.replaced` (an output put aside by a later publish of the same job) must never
 * appear. Hidden `.<id>.partial-<consumer>` folders are a worker's unfinished work and are allowed.
 */
export function watchOutputs(label: string, outputsDir: string, intervalMs = 100): OutputsWatch {
  const problems: string[] = [];
  const firstSeen = new Map<string, string>();
  let running = true;
  let polls = 0;
  const check = async (id: string): Promise<void> => {
    const dir = join(outputsDir, id);
    const text = await readFile(join(dir, 'manifest.json'), 'utf8');
    const manifest = ManifestSchema.parse(JSON.parse(text));
    if (manifest.job_id !== id) throw new Error(`manifest says job ${manifest.job_id}`);
    for (const artifact of manifest.artifacts) await access(join(dir, artifact.path));
    firstSeen.set(id, text);
  };
  const loop = (async () => {
    while (running) {
      const names = await readdir(outputsDir).catch(() => [] as string[]);
      polls++;
      if (names.includes('.replaced')) problems.push(`${label}: an output folder was replaced (.replaced)`);
      const present = new Set(names);
      for (const id of firstSeen.keys())
        if (!present.has(id)) problems.push(`${label}: outputs/${id} disappeared after it was published`);
      for (const id of names) {
        if (id.startsWith('.') || firstSeen.has(id)) continue;
        await check(id).catch((error: unknown) =>
          problems.push(`${label}: outputs/${id} seen incomplete: ${(error as Error).message}`),
        );
      }
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
  })();
  return {
    firstSeen,
    polls: () => polls,
    async stop() {
      running = false;
      await loop;
      return [...new Set(problems)];
    },
  };
}
