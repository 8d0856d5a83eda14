import { lstat } from 'node:fs/promises';
import { resolveInside } from '@imk/fs-safe';
import { STEM_NAMES, type StemName } from './common.ts';
import { artifactPath } from './outputs-layout.ts';
import type { OutputManifest } from './outputs.ts';

/**
 * Where the earlier Python version kept a job's stems: `files/stems/<stem>.wav` in `outputs/<job_id>/`
 * (its ManifestGenerator listed each as `kind: stems`, `variant: <stem>`, when PRESERVE_STEMS was on).
 */
export function legacyStemPath(stem: StemName): string {
  return artifactPath('stems', `${stem}.wav`);
}

/**
 * The four stems (vocals, drums, bass, other) an output of the earlier version kept, as absolute paths, or
 * undefined when one is missing: each is the path its manifest lists for that stem (`kind: stems`, the
 * stem's name as variant, any case) or else {@link legacyStemPath}, and must be a regular file inside the
 * job folder (no link on the way, no FIFO): outputs/ may be shared with other hosts and programs. Nothing is
 * changed or moved; a reader opens each file again through fs-safe (`openInside` / `openUntrusted` with
 * `within: dir`).
 */
export async function findLegacyStems(
  dir: string,
  manifest: {
    legacy: boolean;
    artifacts: readonly Pick<OutputManifest['artifacts'][number], 'kind' | 'variant' | 'path'>[];
  },
): Promise<Record<StemName, string> | undefined> {
  if (!manifest.legacy) return undefined;
  const found: Partial<Record<StemName, string>> = {};
  for (const stem of STEM_NAMES) {
    const listed = manifest.artifacts.find(
      (a) => a.kind === 'stems' && typeof a.variant === 'string' && a.variant.toLowerCase() === stem,
    );
    const candidates = [...new Set([listed?.path, legacyStemPath(stem)])].filter(
      (p): p is string => p !== undefined,
    );
    for (const rel of candidates) {
      const file = await resolveInside(dir, rel, { rootName: `job folder ${dir}` }).catch(() => undefined);
      const info = file === undefined ? undefined : await lstat(file).catch(() => undefined);
      if (info?.isFile() === true && info.size > 0) {
        found[stem] = file;
        break;
      }
    }
    if (found[stem] === undefined) return undefined;
  }
  return found as Record<StemName, string>;
}
