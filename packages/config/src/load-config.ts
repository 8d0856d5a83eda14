import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ImkError } from '@imk/errors';
import { MAX_JSON_DEPTH } from '@imk/fs-safe';
import { isSecretName, REDACTED, redactText } from '@imk/log';
import { applyLegacyEnv } from './legacy/index.ts';
import { applyEnvOverrides } from './env-overrides.ts';
import { readConfigFile } from './read-config-file.ts';
import { validateConfig } from './validate-config.ts';
import { yamlDepth } from './yaml-depth.ts';
import './errors.ts';

export interface LoadConfigOptions<S extends z.ZodType> {
  /** Service name; the file is `config/<service>.yaml` and env overrides are `IMK_<SERVICE>__…`. */
  service: string;
  schema: S;
  /** The folder holding `config/`. */
  root: string;
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
}

export interface LoadedConfig<T> {
  config: T;
  /** The file read, or undefined when there was none and the embedded defaults apply. */
  file: string | undefined;
  envOverrides: string[];
}

/**
 * Reads `config/<service>.yaml` (optional: missing means defaults), applies env overrides and validates.
 * Errors name the file, each dotted field path, what was found and what was expected.
 */
export function loadServiceConfig<S extends z.ZodType>(
  options: LoadConfigOptions<S>,
): Promise<LoadedConfig<z.output<S>>> {
  // Config files are small: read at once, and any error is a rejection, as callers expect.
  try {
    return Promise.resolve(
      checkServiceConfig(options, readConfigFile(configFile(options.root, options.service))),
    );
  } catch (error) {
    return Promise.reject(error instanceof Error ? error : new Error(String(error)));
  }
}

/** `config/<service>.yaml` under the root. */
export function configFile(root: string, service: string): string {
  return join(root, 'config', `${service}.yaml`);
}

/**
 * The pure part of {@link loadServiceConfig}: YAML text (undefined when there is no file) to a checked
 * config, with env overrides applied. Synchronous, for settings needed before anything async runs.
 */
export function checkServiceConfig<S extends z.ZodType>(
  options: LoadConfigOptions<S>,
  text: string | undefined,
): LoadedConfig<z.output<S>> {
  const file = configFile(options.root, options.service);
  const found = text === undefined ? undefined : file;
  let raw: unknown = {};
  if (text !== undefined) {
    // Counted before composing, whose recursion a deep `- - - …` overflows (see yamlDepth).
    if (yamlDepth(text, MAX_JSON_DEPTH) > MAX_JSON_DEPTH)
      throw new ImkError('CONFIG_INVALID', `${file} nests more than ${MAX_JSON_DEPTH} levels deep`, {
        details: { file },
      });
    try {
      raw = parseYaml(text) ?? {};
    } catch (error) {
      throw new ImkError(
        'CONFIG_INVALID',
        `${file} is not valid YAML: ${redactYamlExcerpt((error as Error).message)}`,
        {
          cause: error,
          details: { file },
        },
      );
    }
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new ImkError('CONFIG_INVALID', `${file}: expected a mapping of settings at the top level`, {
      details: { file },
    });
  // The earlier version's variables that mean exactly one of ours count where the file says nothing.
  const legacy = applyLegacyEnv(options.service, raw as Record<string, unknown>, options.env ?? process.env);
  const overrides = applyEnvOverrides(
    options.service,
    options.schema,
    raw as Record<string, unknown>,
    options.env ?? process.env,
  );
  const envOverrides = overrides.map((override) => override.name);
  const result = validateConfig(options.schema, raw);
  if (!result.ok) {
    const variables = [...envOverrides, ...legacy.map((l) => `${l.name} (of the earlier version)`)];
    const where = found ?? `${file} (not present; from environment variables ${variables.join(', ')})`;
    // A value set by a variable is fixed there, not in the file: say which variable (IMK_* win over the
    // earlier version's, as they were applied after).
    const under = (path: string) => (o: { path: string }) => path === o.path || path.startsWith(`${o.path}.`);
    const setBy = (path: string): string => {
      const override = overrides.find(under(path));
      if (override) return `, set by ${override.name}`;
      const old = legacy.find(under(path));
      return old ? `, set by ${old.name}, a variable of the earlier instrumental-maker` : '';
    };
    const lines = result.problems.map((p) => `  ${p.path}: ${p.message} (found ${p.found}${setBy(p.path)})`);
    throw new ImkError('CONFIG_INVALID', `invalid configuration in ${where}:\n${lines.join('\n')}`, {
      details: { file, problems: result.problems },
    });
  }
  return { config: result.config, file: found, envOverrides };
}

/**
 * The YAML parser quotes the lines around an error; a line setting a secret-named key (or a URL with
 * credentials) would print the secret, so its value is replaced.
 */
function redactYamlExcerpt(message: string): string {
  return message
    .split('\n')
    .map((line) => {
      const pair = /^(\s*(?:-\s+)?["']?)([\w.-]+)(["']?\s*:\s*)(\S.*)$/.exec(line);
      return pair && isSecretName(pair[2] ?? '')
        ? `${pair[1]}${pair[2]}${pair[3]}${REDACTED}`
        : redactText(line);
    })
    .join('\n');
}
