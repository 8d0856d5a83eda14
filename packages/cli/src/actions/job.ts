import { join } from 'node:path';
import { ImkError } from '@imk/errors';
import { findJob, listQueueNames, type QueueEntry } from '@imk/fsqueue';
import { adoptOutputs, openLedger, type JobDetail } from '@imk/ledger';
import { formatBytes, oneLine } from '@imk/log';
import {
  artifactsOnDisk,
  describeLeftOut,
  describeOnDisk,
  findOutput,
  readOutputManifest,
  type ArtifactOnDisk,
} from '@imk/protocol';
import { contextFrom, print } from '../context.ts';

/** Where the job's folder is now, in any queue (the folders are the truth). */
export async function locateJob(
  queuesDir: string,
  jobId: string,
): Promise<(QueueEntry & { queue: string }) | undefined> {
  for (const queue of await listQueueNames(queuesDir)) {
    const found = await findJob(join(queuesDir, queue), jobId);
    if (found) return { ...found, queue };
  }
  return undefined;
}

/**
 * What outputs/<job_id>/ holds beside what the ledger recorded: each artifact's state on disk (by path) and
 * the artifacts its manifest lists that cannot be read (left out: never listed as files nor synced).
 */
interface OutputCheck {
  onDisk: Map<string, ArtifactOnDisk>;
  leftOut: string[];
  /** Its manifest's job_id is not its folder's name (OutputManifest.idMismatch), naming the file. */
  idMismatch?: string;
}

async function checkOutput(outputsDir: string, jobId: string): Promise<OutputCheck | undefined> {
  const folder = await findOutput(outputsDir, jobId);
  if (!folder) return undefined;
  const read = await readOutputManifest(folder.dir);
  if (!read?.ok) return undefined;
  const { artifacts } = read.manifest;
  const states = await artifactsOnDisk(folder.dir, artifacts);
  return {
    onDisk: new Map(artifacts.map((a, index) => [a.path, states[index] ?? 'file'])),
    leftOut: describeLeftOut(read.manifest, folder.manifestPath),
    ...(read.manifest.idMismatch !== undefined && {
      idMismatch: `${folder.manifestPath}: ${read.manifest.idMismatch}`,
    }),
  };
}

function formatDetail(detail: JobDetail, folder: string, output: OutputCheck | undefined): string {
  const { job } = detail;
  const lines = [
    `job ${job.job_id}: ${job.state}${job.stage ? ` (stage ${job.stage})` : ''}, ${job.attempts} attempt(s)`,
    `  song:    ${oneLine([job.artist, job.title].filter(Boolean).join(' - ')) || '(no tags)'}`,
    `  queue:   ${job.queue ?? '?'}   folder: ${folder}`,
  ];
  if (job.input_sha256) lines.push(`  input:   sha256 ${job.input_sha256}`);
  if (job.duplicate_of) lines.push(`  duplicate of: ${job.duplicate_of}`);
  if (job.output_dir) lines.push(`  outputs: ${job.output_dir}`);
  if (detail.progress) lines.push(`  now:     ${detail.progress.stage} ${detail.progress.percent}%`);
  lines.push('history:');
  for (const e of detail.events)
    lines.push(
      `  ${e.at}  ${e.state.padEnd(9)} ${e.attempt ? `#${e.attempt} ` : ''}${e.stage ? `[${e.stage}] ` : ''}${oneLine(e.message ?? '')}`,
    );
  if (detail.stages.length > 0) {
    lines.push('stages:');
    for (const s of detail.stages)
      lines.push(
        `  #${s.attempt ?? '?'} ${s.stage.padEnd(9)} ${s.duration_sec.toFixed(2).padStart(7)} s  ${s.outcome}`,
      );
  }
  if (detail.errors.length > 0) {
    lines.push('errors:');
    for (const e of detail.errors)
      lines.push(`  #${e.attempt ?? '?'} [${e.stage}] ${e.message}${e.retryable ? ' (retryable)' : ''}`);
  }
  if (detail.artifacts.length > 0) {
    lines.push('artifacts:');
    for (const a of detail.artifacts) {
      const state = describeOnDisk(output?.onDisk.get(a.path) ?? 'file');
      lines.push(
        `  ${a.kind.padEnd(6)} ${(a.variant ?? '').padEnd(13)} ${a.path}${a.bytes !== undefined ? `  (${formatBytes(a.bytes)})` : ''}${state ? `  [${state}]` : ''}`,
      );
    }
  }
  if (output?.idMismatch !== undefined) lines.push(`  problem: ${output.idMismatch}`);
  if (output && output.leftOut.length > 0) {
    lines.push('left out of manifest.json (no usable path or kind: not listed as files, never synced):');
    for (const line of output.leftOut) lines.push(`  ${line}`);
  }
  return lines.join('\n');
}

/** `imk job <id>` */
export async function jobCommand(id: string, options: { root?: string; json?: boolean }): Promise<void> {
  const { paths } = contextFrom(options);
  const ledger = openLedger({ root: paths.root });
  // A finished output the ledger does not know (e.g. written by the earlier version) is shown too.
  await adoptOutputs(ledger, paths.outputs).catch(() => undefined);
  try {
    const detail = ledger.getJob(id);
    const folder = await locateJob(paths.queues, id);
    if (!detail && !folder)
      throw new ImkError(
        'JOB_NOT_FOUND',
        `no job "${id}" in the ledger or in ${paths.queues} (try \`imk jobs\`, or \`imk ledger rebuild\`)`,
      );
    const output = detail ? await checkOutput(paths.outputs, id) : undefined;
    if (options.json) {
      // Each artifact says where it is on disk (`on_disk`: file, missing, not-a-file); `left_out` names the
      // manifest's artifacts that cannot be read; `id_mismatch` a manifest whose job_id is not its folder's.
      const artifacts = detail?.artifacts.map((a) => ({ ...a, on_disk: output?.onDisk.get(a.path) ?? null }));
      const json = detail && {
        ...detail,
        artifacts,
        left_out: output?.leftOut ?? [],
        ...(output?.idMismatch !== undefined && { id_mismatch: output.idMismatch }),
      };
      return print(JSON.stringify({ ...json, folder: folder ?? null }, null, 2));
    }
    const where = folder ? `${folder.state} in ${folder.dir}` : 'not in any queue folder';
    if (!detail) return print(`job ${id}: not in the ledger yet; ${where}`);
    print(formatDetail(detail, where, output));
  } finally {
    ledger.close();
  }
}
