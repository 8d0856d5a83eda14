import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import { join, relative, sep, isAbsolute } from 'node:path';
import { sha256File } from '@imk/fs-safe';
import type { Job } from './job.ts';
import { formatIssues, type ValidationProblem } from './validate.ts';
import { JobSchema } from './job.ts';
import { audioFilePath, resolveCover } from './songs.ts';

export const JOB_FILE = 'job.json';

export type BundleResult = { ok: true; job: Job } | { ok: false; problems: ValidationProblem[] };

export interface ReadBundleOptions {
  /** Check each `files[]` entry's sha256 and size against the file. @default true */
  verifyHashes?: boolean;
}

/**
 * Reads and checks a bundle folder: `job.json` parses and validates, every file it names is a regular
 * file inside the bundle (no absolute paths, no `..`, no symlink leaving it), and declared sha256s and
 * sizes match. Returns every problem found, each with the field it concerns.
 */
export async function readBundle(dir: string, options: ReadBundleOptions = {}): Promise<BundleResult> {
  let text: string;
  try {
    text = await readFile(join(dir, JOB_FILE), 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const message =
      code === 'ENOENT' ? 'job.json is missing from the bundle' : `cannot read job.json (${code})`;
    return { ok: false, problems: [{ path: JOB_FILE, message }] };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: JOB_FILE, message: `not valid JSON: ${(error as Error).message}` }],
    };
  }
  const parsed = JobSchema.safeParse(json);
  if (!parsed.success) return { ok: false, problems: formatIssues(parsed.error.issues) };
  const job = parsed.data;

  const problems: ValidationProblem[] = [];
  const root = await realpath(dir);
  // A cover that is not there is no reason to refuse the job (the earlier version went on without it):
  // bundleSongs says so in the manifest. One that is there is checked like every other file.
  const { cover } = await resolveCover(root, job);
  const named: [string, string | undefined][] = [
    ['audio_path', job.audio_path],
    ['video_path', job.video_path],
    ['cover_path', cover],
    ...(await Promise.all(
      (job.audio_files ?? []).map(async (name, index): Promise<[string, string]> => [
        `audio_files.${index}`,
        await audioFilePath(root, name),
      ]),
    )),
    ...(job.files ?? []).map((file, index): [string, string] => [`files.${index}.path`, file.path]),
  ];
  // audio_path is usually listed in files[] too: check each distinct path on disk once.
  const checked = new Map<string, Promise<string | undefined>>();
  for (const [field, path] of named) {
    if (path === undefined) continue;
    let check = checked.get(path);
    if (!check) checked.set(path, (check = fileProblem(root, path)));
    const problem = await check;
    if (problem) problems.push({ path: field, message: problem });
  }
  if (problems.length === 0 && options.verifyHashes !== false) {
    for (const [index, file] of (job.files ?? []).entries()) {
      const full = join(root, file.path);
      const { size } = await stat(full);
      if (size !== file.bytes) {
        problems.push({
          path: `files.${index}.bytes`,
          message: `${file.path} has ${size} bytes, job.json says ${file.bytes}`,
        });
        continue;
      }
      const actual = await sha256File(full);
      if (actual !== file.sha256)
        problems.push({
          path: `files.${index}.sha256`,
          message: `${file.path} has sha256 ${actual}, job.json says ${file.sha256} (the file changed or is damaged)`,
        });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, job };
}

async function fileProblem(root: string, path: string): Promise<string | undefined> {
  const full = join(root, path);
  try {
    const link = await lstat(full);
    if (link.isSymbolicLink()) {
      const target = await realpath(full);
      const rel = relative(root, target);
      if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
        return `${path} is a symbolic link that leaves the bundle (to ${target})`;
    }
    const info = await stat(full);
    if (!info.isFile()) return `${path} is not a regular file`;
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `${path} is named in job.json but missing from the bundle`
      : `${path}: cannot read (${code})`;
  }
}
