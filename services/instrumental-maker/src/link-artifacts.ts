import { createReadStream, createWriteStream } from 'node:fs';
import { link, lstat, mkdir, realpath, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ImkError, errorMessage } from '@imk/errors';
import { assertRealFolder, digestHandle, openUntrusted, resolveInside, sha256File } from '@imk/fs-safe';
import type { Manifest } from '@imk/protocol';
import './errors.ts';

/** The published folder of an earlier job whose files are reused. */
export interface ArtifactSource {
  jobId: string;
  dir: string;
}

type Artifact = Manifest['artifacts'][number];

function unusable(source: ArtifactSource, artifact: Artifact, reason: string, cause?: unknown): ImkError {
  return new ImkError(
    'LINKED_ARTIFACT_INVALID',
    `job ${source.jobId}'s ${artifact.path} cannot be reused: ${reason}`,
    { cause, details: { job_id: source.jobId, file: artifact.path } },
  );
}

/**
 * Puts the earlier job's files into `outDir` under the same relative paths: hard links (no space used,
 * and they stay valid whatever happens to the earlier folder), or copies where links are refused.
 *
 * The earlier folder is someone else's to change (a folder swapped for a link, a file for a FIFO, other
 * bytes under the same name), so every file must be a regular file inside it with no symbolic link along
 * its path, and its content must be what the manifest says (size and sha256) before it is linked; the
 * link (or copy) is then checked to be that very file. Otherwise LINKED_ARTIFACT_INVALID naming the job and
 * the file, and nothing of it is left in `outDir`.
 */
export async function linkArtifacts(
  source: ArtifactSource,
  manifest: Manifest,
  outDir: string,
): Promise<void> {
  const where = `outputs/${source.jobId}`;
  try {
    await assertRealFolder(source.dir, where);
  } catch (error) {
    throw new ImkError('LINKED_ARTIFACT_INVALID', `job ${source.jobId}: ${errorMessage(error)}`, {
      cause: error,
      details: { job_id: source.jobId },
    });
  }
  const root = await realpath(source.dir);
  for (const artifact of manifest.artifacts) await linkOne(source, root, artifact, outDir);
}

async function linkOne(
  source: ArtifactSource,
  root: string,
  artifact: Artifact,
  outDir: string,
): Promise<void> {
  let real: string;
  try {
    real = await resolveInside(source.dir, artifact.path, { rootName: `outputs/${source.jobId}` });
  } catch (error) {
    throw unusable(source, artifact, errorMessage(error), error);
  }
  // resolveInside follows links that stay inside; a published folder has none, so any link is refused.
  const plain = join(root, ...artifact.path.split(/[\\/]+/).filter((part) => part !== '' && part !== '.'));
  if (real !== plain) throw unusable(source, artifact, 'a symbolic link is on its path');
  let opened;
  try {
    opened = await openUntrusted(real, { name: `${source.jobId}/${artifact.path}`, within: source.dir });
  } catch (error) {
    throw unusable(source, artifact, errorMessage(error), error);
  }
  const { handle, size } = opened;
  const to = join(outDir, artifact.path);
  try {
    if (size !== artifact.bytes)
      throw unusable(source, artifact, `it has ${size} bytes, its manifest says ${artifact.bytes}`);
    const { sha256 } = await digestHandle(handle, ['sha256']);
    if (sha256 !== artifact.sha256)
      throw unusable(source, artifact, `its content is not what its manifest says (sha256 ${sha256})`);
    const checked = await handle.stat();
    await mkdir(dirname(to), { recursive: true });
    try {
      await link(real, to);
      // The name could have been swapped between the check and link(): keep only the file hashed. Where
      // the file system makes up inode numbers per path (sshfs, SMB mounted noserverino) a link never has
      // the number of its source, so there the linked file's content is checked instead.
      const linked = await lstat(to);
      const same = linked.dev === checked.dev && linked.ino === checked.ino;
      if (!same && (!linked.isFile() || (await sha256File(to)) !== artifact.sha256))
        throw unusable(source, artifact, 'it was replaced while it was being linked');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'EMLINK' && code !== 'ENOTSUP') throw error;
      // Copied from the handle checked, never reopened by name; then the copy itself is checked.
      await pipeline(createReadStream('', { fd: handle, start: 0, autoClose: false }), createWriteStream(to));
      if ((await sha256File(to)) !== artifact.sha256)
        throw unusable(source, artifact, 'it changed while it was being copied');
    }
  } catch (error) {
    await rm(to, { force: true });
    throw error;
  } finally {
    await handle.close();
  }
}
