import { relative, sep } from 'node:path';
import { inspectMdxModel, listMdxModelFiles, modelsDir, type MdxModelReport } from '@imk/separation';
import { contextFrom, print } from '../context.ts';

/** `imk models` */
export async function modelsCommand(options: {
  root?: string;
  check?: boolean;
  json?: boolean;
}): Promise<void> {
  const { paths } = contextFrom(options);
  const dir = modelsDir(paths.root);
  const reports: MdxModelReport[] = [];
  for (const file of await listMdxModelFiles(dir))
    reports.push(await inspectMdxModel(file, { open: options.check === true, modelsFolder: dir }));
  if (options.json) {
    print(JSON.stringify(reports, null, 2));
    return;
  }
  if (reports.length === 0) {
    print(`no .onnx models in ${dir} (copy UVR's MDX-Net models there; see docs/separation.md)`);
    return;
  }
  for (const r of reports) print(formatModel(r, paths.root));
  if (reports.some((r) => r.problem !== null)) process.exitCode = 1;
}

/** One model as `imk models` prints it, named as config, a job or a song's options file names it: models/…. */
export function formatModel(r: MdxModelReport, root: string): string {
  const p = r.params;
  const head = `${relative(root, r.file).split(sep).join('/')}  ${r.hash ?? '(unreadable)'}`;
  if (p === null) return `${head}\n  problem: ${r.problem?.message ?? 'unknown'}`;
  const lines = [
    head,
    `  name: ${p.name ?? '(not in the table)'}; parameters from ${p.dataFile ?? 'the table of UVR models'}`,
    `  n_fft ${p.nFft}, dim_f ${p.dimF}, dim_t ${p.dimT}, compensate ${p.compensate}; primary stem ${p.primaryStem}`,
  ];
  if (r.inputShape !== null) lines.push(`  input shape [${r.inputShape.join(', ')}]: ok`);
  if (r.problem !== null) lines.push(`  problem: ${r.problem.message}`);
  return lines.join('\n');
}
