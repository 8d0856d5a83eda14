import { basename, dirname } from 'node:path';
import { legacyBool } from './env-file.ts';
import { IM } from './processing-keys.ts';
import type { LegacyChange, LegacyEnv, LegacyKey } from './types.ts';

/** The earlier version's queue variables and the queue folder each names. */
export const LEGACY_QUEUE_KEYS = {
  QUEUE_YOUTUBE_AUDIO: 'youtube_audio',
  QUEUE_YOUTUBE_VIDEO: 'youtube_video',
  QUEUE_OTHER: 'other',
} as const;

/**
 * The folder that holds the queues, from the earlier version's QUEUE_* variables: when every one that is set
 * is `<parent>/<its usual name>` under one parent (as its compose file had it: /queues/youtube_audio, …),
 * that parent means exactly our `queues` setting. Otherwise a string saying why not.
 */
export function legacyQueuesDir(env: LegacyEnv): { dir: string } | { problem: string } | undefined {
  const set = Object.entries(LEGACY_QUEUE_KEYS).filter(([key]) => env[key]);
  if (set.length === 0) return undefined;
  const parents = new Set<string>();
  for (const [key, name] of set) {
    const value = env[key]!.replace(/\/+$/, '');
    if (basename(value) !== name)
      return {
        problem: `${key}=${env[key]} is not a folder named ${name}; queue folder names are fixed here`,
      };
    parents.add(dirname(value));
  }
  if (parents.size > 1)
    return { problem: `the QUEUE_* folders are not under one parent (${[...parents].join(', ')})` };
  return { dir: [...parents][0]! };
}

function queues(key: string, env: LegacyEnv): LegacyChange[] | string {
  const found = legacyQueuesDir(env);
  if (found === undefined) return `${key}: empty`;
  if ('problem' in found) return found.problem;
  const from = Object.keys(LEGACY_QUEUE_KEYS).filter((k) => env[k]);
  // One change for all three: written once (the first key set), said for each.
  if (key !== from[0]) return `${key}: covered by queues: ${found.dir} (config/paths.yaml)`;
  return [
    {
      file: 'paths',
      path: ['queues'],
      value: found.dir,
      comment: `from ${from.map((k) => `${k}=${env[k]}`).join(', ')}`,
    },
  ];
}

function variants(env: LegacyEnv): string[] {
  const list = ['instrumental'];
  if (env.GENERATE_NO_DRUMS_VARIANT && legacyBool(env.GENERATE_NO_DRUMS_VARIANT)) list.push('no_drums');
  if (env.GENERATE_DRUMS_ONLY_VARIANT && legacyBool(env.GENERATE_DRUMS_ONLY_VARIANT)) list.push('drums_only');
  return list;
}

function variantChange(key: string, value: string, env: LegacyEnv): LegacyChange[] | string {
  const first = ['GENERATE_NO_DRUMS_VARIANT', 'GENERATE_DRUMS_ONLY_VARIANT'].find(
    (k) => env[k] !== undefined,
  );
  if (key !== first) return `${key}: covered by variants in config/${IM}.yaml`;
  const note =
    key === 'GENERATE_NO_DRUMS_VARIANT' && legacyBool(value)
      ? '; our no_drums is bass + other (the earlier one also had the vocals)'
      : '';
  return [
    {
      file: IM,
      path: ['variants'],
      value: variants(env),
      comment: `from GENERATE_NO_DRUMS_VARIANT / GENERATE_DRUMS_ONLY_VARIANT (the instrumental is always made)${note}`,
    },
  ];
}

/** Where queues and outputs live, and which variants and stems are made. */
export const LAYOUT_KEYS: LegacyKey[] = [
  ...Object.keys(LEGACY_QUEUE_KEYS).map((key): LegacyKey => ({
    key,
    ours: 'config/paths.yaml: queues (the folder holding youtube_audio, youtube_video, other), env IMK_PATHS__QUEUES',
    identical: true,
    convert: (_value, env) => queues(key, env),
  })),
  {
    key: 'OUTPUTS_DIR',
    ours: 'config/paths.yaml: outputs, env IMK_PATHS__OUTPUTS',
    identical: true,
    convert: (value) => [{ file: 'paths', path: ['outputs'], value, comment: `from OUTPUTS_DIR=${value}` }],
  },
  {
    key: 'GENERATE_NO_DRUMS_VARIANT',
    ours: `config/${IM}.yaml: variants (no_drums; ours is bass + other, the earlier one kept the vocals)`,
    convert: (value, env) => variantChange('GENERATE_NO_DRUMS_VARIANT', value, env),
  },
  {
    key: 'GENERATE_DRUMS_ONLY_VARIANT',
    ours: `config/${IM}.yaml: variants (drums_only)`,
    convert: (value, env) => variantChange('GENERATE_DRUMS_ONLY_VARIANT', value, env),
  },
  {
    key: 'PRESERVE_STEMS',
    ours: `config/${IM}.yaml: stems.keep`,
    convert: (value) => [
      {
        file: IM,
        path: ['stems', 'keep'],
        value: legacyBool(value),
        comment: `from PRESERVE_STEMS=${value} (kept as flac, plus a .stem.mp4: stems.format, stems.stemMp4)`,
      },
    ],
  },
];
