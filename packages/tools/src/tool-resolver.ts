import { constants } from 'node:fs';
import { access, chmod, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { ImkError } from '@imk/errors';
import './errors.ts';

/** How to find one external program. */
export interface ToolSpec {
  /** Env variable whose value is the program's path and wins over everything else. @default IMK_<NAME> */
  envVar?: string;
  /** Debian package that ships the program, named in the error message. @default the tool name */
  debianPackage?: string;
  /** How to install it when it is not a Debian package (e.g. `pipx install demucs`); replaces the apt-get hint. */
  installHint?: string;
  /**
   * npm package that ships the binary inside its tarball (no download at install time), used when the
   * program is not on PATH. Its module must export `{ path: string }` (like @ffmpeg-installer/ffmpeg).
   */
  npmPackage?: string;
  /** Extra folders searched after PATH (e.g. /usr/sbin for sshd). @default ['/usr/local/sbin', '/usr/sbin', '/sbin'] */
  extraDirs?: string[];
}

export interface ResolveToolOptions extends ToolSpec {
  /**
   * The program as a config file names it (`ytDlpPath`, a sync backend's `rsyncBinary`, ...): a path, which
   * must be an executable file, or a name looked up like the tool itself. It wins over the env variable,
   * except when it is the tool's own name (the usual default), which means "find it as usual".
   */
  configured?: string | undefined;
  /** Where `configured` was set, for the error message (e.g. `ytDlpPath in config/youtube-retriever.yaml`). */
  configuredIn?: string;
  /** Environment to read PATH and the env variable from. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** Folder the npm fallback package is resolved from. @default this package's folder */
  npmResolveFrom?: string;
  /** Skip the cache (tests, or after installing a tool). @default false */
  fresh?: boolean;
}

/** The tools this project knows about; any other name works too, with the defaults. */
export const KNOWN_TOOLS: Readonly<Record<string, ToolSpec>> = {
  ffmpeg: { envVar: 'IMK_FFMPEG', debianPackage: 'ffmpeg', npmPackage: '@ffmpeg-installer/ffmpeg' },
  ffprobe: { envVar: 'IMK_FFPROBE', debianPackage: 'ffmpeg', npmPackage: '@ffprobe-installer/ffprobe' },
  // Debian's yt-dlp lags months behind YouTube (docs/retrievers.md): the hint is the current one's.
  'yt-dlp': {
    envVar: 'IMK_YT_DLP',
    debianPackage: 'yt-dlp',
    installHint: '`pipx install yt-dlp` (or `python3 -m pip install --user -U yt-dlp`)',
  },
  rsync: { envVar: 'IMK_RSYNC', debianPackage: 'rsync' },
  rclone: { envVar: 'IMK_RCLONE', debianPackage: 'rclone' },
  ssh: { envVar: 'IMK_SSH', debianPackage: 'openssh-client' },
  sshd: { envVar: 'IMK_SSHD', debianPackage: 'openssh-server' },
  'espeak-ng': { envVar: 'IMK_ESPEAK_NG', debianPackage: 'espeak-ng' },
  sox: { envVar: 'IMK_SOX', debianPackage: 'sox' },
  // util-linux (essential on Debian): runs yt-dlp so that it dies with the service (--pdeathsig).
  setpriv: { envVar: 'IMK_SETPRIV', debianPackage: 'util-linux' },
  demucs: { envVar: 'IMK_DEMUCS', installHint: '`pipx install demucs` (or `pip install demucs`)' },
  deemix: {
    envVar: 'IMK_DEEMIX',
    installHint: '`pipx install deemix` (or `python3 -m pip install --user deemix`)',
  },
};

const DEFAULT_EXTRA_DIRS = ['/usr/local/sbin', '/usr/sbin', '/sbin'];
const cache = new Map<string, Promise<string>>();

/** `yt-dlp` -> `IMK_YT_DLP` */
export function defaultEnvVar(name: string): string {
  return `IMK_${name.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}`;
}

/**
 * Finds an external program: the path in its env variable (IMK_FFMPEG, ...) first, then PATH (and the sbin
 * folders), then a binary shipped inside an npm package if one is installed; otherwise throws
 * ImkError('TOOL_MISSING') saying what is missing and how to install it. Results are cached per name.
 */
export function resolveTool(name: string, options: ResolveToolOptions = {}): Promise<string> {
  const configured = options.configured === name ? undefined : options.configured;
  if (configured !== undefined && configured !== '') return configuredTool(name, configured, options);
  const useCache =
    options.fresh !== true && options.env === undefined && options.npmResolveFrom === undefined;
  if (useCache) {
    const cached = cache.get(name);
    if (cached) return cached;
  }
  const found = findTool(name, options);
  if (useCache) {
    cache.set(name, found);
    // A failed lookup is not cached: the user may install the tool while a service runs.
    found.catch(() => cache.delete(name));
  }
  return found;
}

/** Forgets resolved paths (after the environment changed). */
export function clearToolCache(): void {
  cache.clear();
}

async function findTool(name: string, options: ResolveToolOptions, readEnvVar = true): Promise<string> {
  const spec: ToolSpec = { ...KNOWN_TOOLS[name], ...definedOnly(options) };
  const env = options.env ?? process.env;
  const envVar = spec.envVar ?? defaultEnvVar(name);
  const fromEnv = readEnvVar ? env[envVar] : undefined;
  if (fromEnv !== undefined && fromEnv !== '') {
    if (await isExecutable(fromEnv)) return fromEnv;
    throw new ImkError(
      'TOOL_MISSING',
      `${envVar}=${fromEnv} is not an executable file; fix or unset ${envVar}`,
      {
        details: { tool: name, envVar },
      },
    );
  }
  const dirs = [
    ...(env.PATH ?? '').split(path.delimiter).filter(Boolean),
    ...(spec.extraDirs ?? DEFAULT_EXTRA_DIRS),
  ];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  if (spec.npmPackage !== undefined) {
    const shipped = await fromNpmPackage(spec.npmPackage, options.npmResolveFrom);
    if (shipped !== undefined) return shipped;
  }
  const debian = spec.debianPackage ?? name;
  const npmHint = spec.npmPackage === undefined ? '' : `, or \`npm install ${spec.npmPackage}\``;
  const install = spec.installHint ?? `\`sudo apt-get install -y ${debian}\``;
  throw new ImkError(
    'TOOL_MISSING',
    `${name} was not found (not in ${envVar}, not on PATH${spec.npmPackage === undefined ? '' : `, no ${spec.npmPackage}`}); ` +
      `install it with ${install}${npmHint}, or set ${envVar} to its path`,
    { details: { tool: name, envVar, debianPackage: debian } },
  );
}

/** A program named in config: a path must be executable; a bare name is searched like a tool of that name. */
async function configuredTool(
  name: string,
  configured: string,
  options: ResolveToolOptions,
): Promise<string> {
  const where = options.configuredIn === undefined ? '' : ` (${options.configuredIn})`;
  if (configured.includes(path.sep)) {
    if (await isExecutable(configured)) return configured;
    throw new ImkError(
      'TOOL_MISSING',
      `${name} was configured as ${configured}${where} but that is not an executable file; fix the path or remove the setting to use the one on PATH`,
      { details: { tool: name, configured } },
    );
  }
  // A bare name other than the tool's: searched on PATH (and the extra folders); no env variable applies.
  // It stands for the same tool, so a miss says how to install that tool.
  const known = KNOWN_TOOLS[name];
  const hints: ResolveToolOptions = {};
  if (known?.installHint !== undefined) hints.installHint = known.installHint;
  if (known?.debianPackage !== undefined) hints.debianPackage = known.debianPackage;
  return findTool(configured, { ...hints, ...options }, false);
}

async function fromNpmPackage(pkg: string, resolveFrom: string | undefined): Promise<string | undefined> {
  const require = createRequire(
    resolveFrom === undefined ? import.meta.url : path.join(resolveFrom, 'noop.js'),
  );
  let binary: unknown;
  try {
    binary = (require(pkg) as { path?: unknown }).path;
  } catch {
    return undefined;
  }
  if (typeof binary !== 'string') return undefined;
  if (await isExecutable(binary)) return binary;
  // npm 11 blocks install scripts by default, so the package's `chmod u+x` postinstall may not have run.
  try {
    await chmod(binary, 0o755);
    return (await isExecutable(binary)) ? binary : undefined;
  } catch {
    return undefined;
  }
}

async function isExecutable(file: string): Promise<boolean> {
  try {
    // access(X_OK) is true for folders too: a folder named like the tool is not the tool.
    if (!(await stat(file)).isFile()) return false;
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function definedOnly(options: ResolveToolOptions): ToolSpec {
  const spec: ToolSpec = {};
  if (options.envVar !== undefined) spec.envVar = options.envVar;
  if (options.debianPackage !== undefined) spec.debianPackage = options.debianPackage;
  if (options.installHint !== undefined) spec.installHint = options.installHint;
  if (options.npmPackage !== undefined) spec.npmPackage = options.npmPackage;
  if (options.extraDirs !== undefined) spec.extraDirs = options.extraDirs;
  return spec;
}
