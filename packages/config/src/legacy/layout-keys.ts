import { basename, dirname } from 'node:path';
import { QUEUE_NAMES } from '../queue-names.ts';
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
      hostPath: true,
    },
  ];
}

function variants(env: LegacyEnv): string[] {
  const list = ['instrumental'];
  if (env.GENERATE_NO_DRUMS_VARIANT && legacyBool(env.GENERATE_NO_DRUMS_VARIANT)) list.push('no_drums');
  if (env.GENERATE_DRUMS_ONLY_VARIANT && legacyBool(env.GENERATE_DRUMS_ONLY_VARIANT)) list.push('drums_only');
  return list;
}

/**
 * The earlier version's variants as it made them (app/simple_runner.py, app/variant_generator.py): its
 * no_drums kept the vocals (vocals + bass + other, where ours is bass + other) and was written as
 * `Artist - Title (no drums).m4a`, labelled "Instrumental (no drums)"; its drums_only was labelled "Drums only".
 * Its routes match the variant name, and its players the file name: both are carried over as it had them.
 */
function earlierRecipe(variant: 'no_drums' | 'drums_only'): LegacyChange[] {
  if (variant === 'drums_only')
    return [
      {
        file: IM,
        path: ['recipes', 'drums_only'],
        value: { stems: ['drums'], label: 'Drums only' },
        comment: 'its drums_only, labelled as it labelled it in manifest.json',
      },
    ];
  return [
    {
      file: IM,
      path: ['recipes', 'no_drums'],
      value: { stems: ['vocals', 'bass', 'other'], label: 'Instrumental (no drums)' },
      comment:
        'its no_drums: vocals + bass + other, as it made it (our default no_drums is bass + other, labelled "Instrumental (no drum)")',
    },
    {
      file: IM,
      path: ['output', 'suffixes', 'no_drums'],
      value: ' (no drums)',
      comment: 'its file name, Artist - Title (no drums).m4a (ours is "(no drum)")',
    },
  ];
}

function variantChange(key: string, value: string, env: LegacyEnv): LegacyChange[] | string {
  const first = ['GENERATE_NO_DRUMS_VARIANT', 'GENERATE_DRUMS_ONLY_VARIANT'].find(
    (k) => env[k] !== undefined,
  );
  const asked = key === 'GENERATE_NO_DRUMS_VARIANT' ? 'no_drums' : 'drums_only';
  // The variant list is written once (the first key set); each key that asked for its variant adds its recipe.
  const own = legacyBool(value) ? earlierRecipe(asked) : [];
  if (key !== first) return own.length > 0 ? own : `${key}: covered by variants in config/${IM}.yaml`;
  return [
    {
      file: IM,
      path: ['variants'],
      value: variants(env),
      comment:
        'from GENERATE_NO_DRUMS_VARIANT / GENERATE_DRUMS_ONLY_VARIANT (the instrumental is always made)',
    },
    ...own,
  ];
}

/** Where queues and outputs live, and which variants and stems are made. */
export const LAYOUT_KEYS: LegacyKey[] = [
  ...Object.keys(LEGACY_QUEUE_KEYS).map((key): LegacyKey => ({
    key,
    ours: `config/paths.yaml: queues (the folder holding ${QUEUE_NAMES.join(', ')}), env IMK_PATHS__QUEUES`,
    identical: true,
    convert: (_value, env) => queues(key, env),
  })),
  {
    key: 'OUTPUTS_DIR',
    ours: 'config/paths.yaml: outputs, env IMK_PATHS__OUTPUTS',
    identical: true,
    convert: (value) => [
      { file: 'paths', path: ['outputs'], value, comment: `from OUTPUTS_DIR=${value}`, hostPath: true },
    ],
  },
  {
    key: 'GENERATE_NO_DRUMS_VARIANT',
    ours: `config/${IM}.yaml: variants, recipes.no_drums (vocals + bass + other, as before), output.suffixes.no_drums (its "(no drums)")`,
    convert: (value, env) => variantChange('GENERATE_NO_DRUMS_VARIANT', value, env),
  },
  {
    key: 'GENERATE_DRUMS_ONLY_VARIANT',
    ours: `config/${IM}.yaml: variants (drums_only), recipes.drums_only (its label, "Drums only")`,
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
