import { findOutput } from '@imk/protocol';
import { apiText as text } from './api-text.ts';
import { readOutput } from './outputs.ts';

/** Which engine (and, for a model runner such as mdx, which model) made a job's stems. */
export interface EngineFacts {
  name: string;
  version: string | null;
  /** The model (mdx: `params.model`, its path in models/, or its file name in older manifests), or null for an engine without one (builtin). */
  model: string | null;
  /** The model's hash (mdx: UVR's MD5, `params.model_hash`). */
  model_hash: string | null;
}

/**
 * The engine facts of a manifest (`engine: { name, version, params }`), or null when it has none: the earlier
 * version's manifests and a manifest that does not validate show nothing rather than "undefined".
 */
export function engineFacts(manifest: Record<string, unknown> | undefined): EngineFacts | null {
  const engine = manifest?.engine;
  if (typeof engine !== 'object' || engine === null) return null;
  const { name, version, params } = engine as Record<string, unknown>;
  if (text(name) === null) return null;
  const p = typeof params === 'object' && params !== null ? (params as Record<string, unknown>) : {};
  return {
    name: name as string,
    version: text(version) ?? (typeof version === 'number' ? String(version) : null),
    model: text(p.model),
    model_hash: text(p.model_hash),
  };
}

/**
 * Engine facts of `outputs/<job_id>/manifest.json`, read once per version of the file (@imk/protocol's
 * findOutput: inode, size, mtime):
 * the job list asks for every listed job on each snapshot, and a published manifest rarely changes.
 */
export function createEngineFactsReader(outputsDir: string) {
  const known = new Map<string, { stamp: string; facts: EngineFacts | null }>();
  return async (jobId: string): Promise<EngineFacts | null> => {
    const output = await findOutput(outputsDir, jobId);
    if (output === undefined) {
      known.delete(jobId);
      return null;
    }
    const stamp = output.version;
    const cached = known.get(jobId);
    if (cached?.stamp === stamp) return cached.facts;
    const facts = engineFacts((await readOutput(outputsDir, jobId, { onDisk: false }))?.manifest);
    if (known.size >= 10_000) known.clear(); // bounded: a long-running dashboard over years of jobs
    known.set(jobId, { stamp, facts });
    return facts;
  };
}
