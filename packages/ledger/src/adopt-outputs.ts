import { outputFinishedAt, readOutputManifest, scanOutputFolders } from '@imk/protocol';
import type { Ledger } from './ledger.ts';
import { recordManifest } from './rebuild.ts';

/** What adoptOutputs did: the ids added, and the folders of outputs/ it could not list (OutputsScan.notListed). */
export interface AdoptedOutputs {
  added: string[];
  notListed: string[];
}

/**
 * Records in the ledger every finished job of `outputs/` that it does not know yet: outputs written by
 * the earlier Python version (or by a host whose ledger this is not) appear in `imk jobs` and `imk job`
 * as succeeded, with their artifacts. Only unknown folders' manifests are read. Returns the ids added and
 * one line per folder that cannot be listed (a name not UTF-8, or with a line break), for the caller to say.
 */
export async function adoptOutputs(ledger: Ledger, outputsDir: string): Promise<AdoptedOutputs> {
  const added: string[] = [];
  const { folders, notListed } = await scanOutputFolders(outputsDir);
  for (const folder of folders) {
    if (ledger.getJob(folder.jobId) !== undefined) continue;
    const result = await readOutputManifest(folder.dir);
    // The folder name is the output's id for every reader (the one outputs reader of @imk/protocol).
    if (!result?.ok) continue;
    recordManifest(
      ledger,
      {
        jobId: folder.jobId,
        dir: folder.dir,
        manifest: result.manifest.document,
        at: outputFinishedAt(result.manifest, folder),
      },
      false,
    );
    added.push(folder.jobId);
  }
  return { added, notListed };
}
