import { chmod, mkdir, open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { envSecret, fileSecret, isSecretProblem } from '@imk/config';
import { fileReadProblem } from '@imk/fs-safe';
import { ImkError } from '@imk/errors';
import { fsyncDir } from '@imk/fs-safe';
import './errors.ts';

/** Env variables read for the ARL, first wins. */
export const ARL_ENV_VARS = ['IMK_DEEMIX_ARL', 'DEEZER_ARL'] as const;
/** Env variable naming a file that holds the ARL (like `arlFile` in config). */
export const ARL_FILE_ENV = 'IMK_DEEMIX_ARL_FILE';

export interface ArlSource {
  arl: string;
  /** Where it came from, for messages (never the value). */
  from: string;
}

/**
 * The Deezer ARL (a login cookie, a secret): from IMK_DEEMIX_ARL or DEEZER_ARL, else from the file named by
 * IMK_DEEMIX_ARL_FILE or `arlFile`. Undefined when none is set.
 */
export async function findArl(
  arlFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArlSource | undefined> {
  for (const name of ARL_ENV_VARS) {
    const value = envSecret(env, name);
    if (value) return { arl: checked(value, `$${name}`), from: `$${name}` };
  }
  const file = envSecret(env, ARL_FILE_ENV) ?? arlFile;
  if (file === undefined) return undefined;
  let value: string;
  try {
    value = await fileSecret(file);
  } catch (error) {
    if (!isSecretProblem(error) || error.code !== 'SECRET_MISSING') throw error;
    throw new ImkError(
      'DEEMIX_ARL_MISSING',
      `the ARL file ${file} cannot be read (${fileReadProblem(error.cause)}); create it with the ARL on one line, readable only by you (chmod 600)`,
      { cause: error },
    );
  }
  if (!value)
    throw new ImkError(
      'DEEMIX_ARL_MISSING',
      `the ARL file ${file} is empty; put your Deezer ARL in it (see docs/retrievers.md, "Deezer ARL")`,
    );
  return { arl: checked(value, file), from: file };
}

export async function requireArl(
  arlFile: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<ArlSource> {
  const found = await findArl(arlFile, env);
  if (!found)
    throw new ImkError(
      'DEEMIX_ARL_MISSING',
      `no Deezer ARL is configured, and deemix cannot work without one; set IMK_DEEMIX_ARL (or DEEZER_ARL), or put it in a file named by arlFile in config/deemix-retriever.yaml (see docs/retrievers.md, "Deezer ARL")`,
    );
  return found;
}

function checked(arl: string, from: string): string {
  // Never show the value: it is a login. Only its shape is checked.
  if (/\s/.test(arl) || !/^[A-Za-z0-9]+$/.test(arl))
    throw new ImkError(
      'DEEMIX_ARL_INVALID',
      `the ARL from ${from} has characters an ARL never has (it is a long run of letters and digits); copy the "arl" cookie value again`,
    );
  return arl;
}

/** deemix's config folder under XDG_CONFIG_HOME. */
export function deemixConfigFolder(configHome: string): string {
  return join(configHome, 'deemix');
}

/** Writes `<configHome>/deemix/.arl` (mode 600) so that deemix logs in without asking on stdin. */
export async function writeArlFile(configHome: string, arl: string): Promise<string> {
  const folder = deemixConfigFolder(configHome);
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const target = join(folder, '.arl');
  const temp = `${target}.${process.pid}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(arl);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(temp, 0o600);
  await rename(temp, target);
  await fsyncDir(folder);
  return target;
}
