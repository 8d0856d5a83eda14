import { describe, expect, it } from 'vitest';
import { legacyKey, type LegacyChange } from '@imk/config';
import { orList } from '@imk/errors';
import { InstrumentalMakerConfigSchema } from '@imk/instrumental-maker-service';
import { AUDIO_FORMATS } from '@imk/protocol';
import { FETCH_MODES } from '@imk/retriever-sdk';
import { YoutubeConfigSchema } from '@imk/youtube-retriever-service';

// `imk migrate` turns the earlier version's YTDL_MODE, YTDL_AUDIO_FORMAT, OUTPUT_FORMAT and CODEC into our
// settings. @imk/config cannot import the packages that own the values, so it keeps its own lists: a value
// our settings take but migrate refused (YTDL_AUDIO_FORMAT=best was "not a format we fetch") is a setting
// lost on the way over, and one migrate writes but the settings refuse stops the service at start-up.
function convert(key: string, value: string): LegacyChange[] | string {
  const entry = legacyKey(key);
  if (entry?.convert === undefined) throw new Error(`${key} has no conversion`);
  return entry.convert(value, {});
}

/** The settings file `changes` write, parsed by `schema`: its value at `path`. */
function written(
  changes: LegacyChange[] | string,
  schema: { parse: (v: unknown) => unknown },
  path: string[],
) {
  if (typeof changes === 'string') throw new Error(changes);
  const settings: Record<string, unknown> = {};
  for (const change of changes) {
    let at = settings;
    for (const step of change.path.slice(0, -1)) at = (at[String(step)] ??= {}) as Record<string, unknown>;
    at[String(change.path.at(-1))] = change.value;
  }
  return path.reduce<unknown>((v, step) => (v as Record<string, unknown>)[step], schema.parse(settings));
}

describe('imk migrate takes every value our settings take, and writes only those', () => {
  const cases = [
    { key: 'YTDL_MODE', values: FETCH_MODES, schema: YoutubeConfigSchema, path: ['defaultMode'] },
    {
      key: 'YTDL_AUDIO_FORMAT',
      values: YoutubeConfigSchema.shape.audioFormat.unwrap().options,
      schema: YoutubeConfigSchema,
      path: ['audioFormat'],
    },
    {
      key: 'OUTPUT_FORMAT',
      values: AUDIO_FORMATS,
      schema: InstrumentalMakerConfigSchema,
      path: ['output', 'format'],
    },
    {
      key: 'CODEC',
      values: AUDIO_FORMATS,
      schema: InstrumentalMakerConfigSchema,
      path: ['output', 'format'],
    },
  ];

  it.each(cases)('$key: each of ours, in any case, is written as it is', ({ key, values, schema, path }) => {
    for (const value of values) {
      expect(written(convert(key, value), schema, path)).toBe(value);
      expect(written(convert(key, value.toUpperCase()), schema, path)).toBe(value);
    }
  });

  it.each(cases)('$key: a value we do not take is refused, naming the ones we do', ({ key, values }) => {
    const refused = convert(key, 'cassette');
    expect(typeof refused).toBe('string');
    expect(refused).toContain(`${key}=cassette`);
    expect(refused).toContain(orList(values));
  });
});
