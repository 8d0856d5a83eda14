import { execa } from 'execa';
import { ImkError, orList } from '@imk/errors';
import type { Logger } from '@imk/log';
import { OWN_PROCESS_GROUP, resolveTool, trackToolGroup } from '@imk/tools';
import { ARL_ENV_VARS, ARL_FILE_ENV, deemixConfigFolder } from './arl.ts';
import type { Bitrate } from './config.ts';
import type { DEEMIX_ERRORS } from './errors.ts';
import { DEEZER_KINDS } from './deezer-kinds.ts';
import './errors.ts';

export interface RunDeemixOptions {
  binary: string;
  url: string;
  bitrate: Bitrate;
  /** `-p`: where deemix writes the files. */
  outDir: string;
  /** XDG_CONFIG_HOME for deemix (its `.arl` is in `<configHome>/deemix`). */
  configHome: string;
  timeoutMs: number;
  logger: Logger;
  signal?: AbortSignal | undefined;
}

export function resolveDeemix(configured?: string): Promise<string> {
  return resolveTool('deemix', { configured, configuredIn: 'deemixPath in config/deemix-retriever.yaml' });
}

// deemix's own words for the situations a user can fix: its prompt and errors, and the messages of its
// errors.py it prints for a track it could not download ("[<item>] Artist - Title :: <message>"), tried in
// this order (the first that matches a line says what the line is).
const PROBLEMS: [RegExp, keyof typeof DEEMIX_ERRORS, (url: string, bitrate: string) => string][] = [
  [
    /Paste here your arl|EOFError|arl.*(?:not valid|invalid|expired)|Not logged in|login failed|You need to login/i,
    'DEEMIX_ARL_REFUSED',
    () =>
      'Deezer refused the ARL (it expires when you log out or after some months); log in to deezer.com in a browser, copy the "arl" cookie again into IMK_DEEMIX_ARL or your arlFile (see docs/retrievers.md, "Deezer ARL")',
  ],
  [
    /not recogni[sz]ed|Unsupported|Invalid (?:link|url)/i,
    'UNSUPPORTED_URL',
    (url) => `deemix does not recognise ${url} as a Deezer ${orList(DEEZER_KINDS)} link`,
  ],
  [
    // wrongLicense, wrongBitrate(NoAlternative): before "not found" below, which they would match too.
    /can'?t stream the track at the desired bitrate|not found at desired bitrate/i,
    'DEEZER_BITRATE',
    (url, bitrate) =>
      `Deezer does not give ${url} at bitrate ${bitrate} to the account of your ARL (a free account streams 128 kbit/s MP3 only, Premium 320, HiFi FLAC); set bitrate: 320 or 128 in config/deemix-retriever.yaml, or use the ARL of an account that may stream it`,
  ],
  [
    /No space left/i,
    'DEEMIX_DISK_FULL',
    (url) =>
      `deemix ran out of disk space downloading ${url}; free space where workDir of config/deemix-retriever.yaml is (state/deemix-retriever/work by default), then request it again`,
  ],
  [
    /not found|not available|isn'?t available|No tracks|GenerationError|DataException|can'?t stream the track from your current country|not yet encoded|album does not exs?ist/i,
    'DEEZER_UNAVAILABLE',
    (url) =>
      `Deezer has nothing to download at ${url} (removed, not available in this country, or not streamable with this account)`,
  ],
];

/**
 * Runs `deemix -b <bitrate> -p <outDir> <url>` with stdin closed (so a missing ARL can never leave it
 * waiting at a prompt) and its config folder under `configHome`. Returns deemix's output; throws a clear
 * ImkError when it fails.
 */
export async function runDeemix(options: RunDeemixOptions): Promise<string> {
  const args = ['-b', options.bitrate, '-p', options.outDir, options.url];
  options.logger.debug({ binary: options.binary, args }, 'running deemix');
  // In a process group of its own (tool-group.ts): a Ctrl-C meant for imk does not kill the download under it.
  const result = await trackToolGroup(
    execa(options.binary, args, {
      ...OWN_PROCESS_GROUP,
      stdin: 'ignore',
      all: true,
      reject: false,
      timeout: options.timeoutMs,
      cancelSignal: options.signal,
      extendEnv: false,
      env: deemixEnv(options.configHome),
    }),
  );
  const output = result.all ?? '';
  if (result.isCanceled)
    throw new ImkError('ABORTED', `deemix stopped: the fetch of ${options.url} was aborted`);
  if (result.timedOut)
    throw new ImkError(
      'DEEMIX_TIMEOUT',
      `deemix did not finish ${options.url} within ${Math.round(options.timeoutMs / 60_000)} min; raise timeoutMs in config/deemix-retriever.yaml for long albums`,
    );
  const problem = PROBLEMS.find(([pattern]) => pattern.test(output));
  if (result.exitCode !== 0 || (problem && problem[1] === 'DEEMIX_ARL_REFUSED')) {
    const said = lastLines(output);
    if (problem)
      throw new ImkError(problem[1], `${problem[2](options.url, options.bitrate)} (deemix said: ${said})`);
    throw new ImkError(
      'DEEMIX_FAILED',
      `deemix failed for ${options.url} with exit code ${String(result.exitCode)}: ${said}`,
    );
  }
  return output;
}

/** Describes why a run that exited 0 left no files. */
export function explainNothingDownloaded(output: string, url: string, bitrate: Bitrate): ImkError {
  const problem = PROBLEMS.find(([pattern]) => pattern.test(output));
  const said = lastLines(output) || 'no output';
  if (problem) return new ImkError(problem[1], `${problem[2](url, bitrate)} (deemix said: ${said})`);
  return new ImkError(
    'DEEMIX_NOTHING',
    `deemix finished but downloaded nothing for ${url} (deemix said: ${said}); open the link on deezer.com and check that it plays with the account of your ARL (what cannot be streamed there cannot be downloaded), then request it again`,
  );
}

/**
 * What deemix said it could not download (a track of an album Deezer does not have), one entry per line:
 * it goes on with the other tracks and exits 0, so these lines are all that tells of the missing ones.
 * A line about falling back (to another bitrate, to another id of the track) or about searching for an
 * alternative copy of the track is no failure: deemix says it before it tries again, and says the failure
 * on a line of its own when the try fails too ("… and no alternative found!").
 */
export function reportedProblems(output: string): { code: keyof typeof DEEMIX_ERRORS; line: string }[] {
  const found: { code: keyof typeof DEEMIX_ERRORS; line: string }[] = [];
  for (const raw of output.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || /fall(?:ing)? ?back|searching for (?:an )?alternative/i.test(line)) continue;
    const problem = PROBLEMS.find(([pattern]) => pattern.test(line));
    if (problem) found.push({ code: problem[1], line });
  }
  return found;
}

function deemixEnv(configHome: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  // deemix reads the ARL from its .arl file; the secret does not need to sit in its environment too.
  for (const name of [...ARL_ENV_VARS, ARL_FILE_ENV]) delete env[name];
  // APPDATA would win over XDG_CONFIG_HOME in deemix's config-folder lookup.
  delete env.APPDATA;
  return {
    ...env,
    XDG_CONFIG_HOME: configHome,
    DEEMIX_DATA_DIR: deemixConfigFolder(configHome),
    PYTHONIOENCODING: 'utf-8',
  };
}

function lastLines(text: string, count = 3): string {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(-count)
    .join(' | ');
}
