import { copyFile, link, mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { validateManifest, type Manifest } from '@imk/protocol';
import { MANIFEST_FILE } from './publish-outputs.ts';

/** The v1 manifest published in `dir`, or undefined (missing, legacy or invalid). */
export async function readPublishedManifest(dir: string): Promise<Manifest | undefined> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(join(dir, MANIFEST_FILE), 'utf8'));
  } catch {
    return undefined;
  }
  const result = validateManifest(json);
  return result.ok && !result.value.legacy ? result.value.manifest : undefined;
}

/** True when `manifest` describes outputs made from this input with these engine and options. */
export function sameOutputs(manifest: Manifest | undefined, inputSha256: string, outputKey: string): boolean {
  return manifest !== undefined && manifest.input.sha256 === inputSha256 && manifest.output_key === outputKey;
}

/**
 * Puts the earlier job's files into `outDir` under the same relative paths: hard links (no space used,
 * and they stay valid whatever happens to the earlier folder), or copies where links are refused.
 */
export async function linkArtifacts(fromDir: string, manifest: Manifest, outDir: string): Promise<void> {
  for (const artifact of manifest.artifacts) {
    const from = join(fromDir, artifact.path);
    const to = join(outDir, artifact.path);
    await mkdir(dirname(to), { recursive: true });
    try {
      await link(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
      await copyFile(from, to);
    }
  }
}
