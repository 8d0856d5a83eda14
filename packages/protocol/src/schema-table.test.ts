import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { jsonSchemaOf, schemaFields } from './schema-table.ts';

const fieldsOf = (schema: z.ZodType) =>
  Object.fromEntries(schemaFields(jsonSchemaOf(schema)).map((f) => [f.path, f]));

// The one generator behind docs/configuration.md and the field tables of docs/protocol.md.
describe('schemaFields', () => {
  it('lists nested fields dotted, with type, default, required and description', () => {
    const fields = fieldsOf(
      z.object({
        name: z.string().describe('The name.'),
        retry: z.object({ attempts: z.number().int().default(3) }).prefault({}),
        stems: z.record(z.string(), z.number()).optional(),
        kind: z.enum(['audio', 'video']),
      }),
    );
    expect(Object.keys(fields)).toEqual(['name', 'retry', 'retry.attempts', 'stems', 'kind']);
    expect(fields.name).toMatchObject({
      type: 'string',
      required: true,
      description: 'The name.',
      keys: ['name'],
    });
    expect(fields.retry).toMatchObject({
      type: 'object',
      required: false,
      default: {},
      object: true,
    });
    expect(fields['retry.attempts']).toMatchObject({
      type: 'integer',
      default: 3,
      keys: ['retry', 'attempts'],
    });
    expect(fields.stems?.type).toBe('map of number');
    expect(fields.kind?.type).toBe('`"audio"` | `"video"`');
  });

  it('walks into an object that may be null, naming it by its variant description', () => {
    const fields = fieldsOf(
      z.object({
        youtube: z.object({ url: z.string() }).describe('What YouTube said.').nullable().optional(),
      }),
    );
    expect(fields.youtube).toMatchObject({ type: 'object | null', description: 'What YouTube said.' });
    expect(fields['youtube.url']).toMatchObject({ type: 'string', required: true, keys: ['youtube', 'url'] });
  });

  it('lists each variant of a tagged union, also inside a list and a map, without env keys', () => {
    const target = z.discriminatedUnion('type', [
      z.object({ type: z.literal('webhook'), url: z.string() }),
      z.object({ type: z.literal('ntfy'), topic: z.string().describe('Topic.') }),
    ]);
    const fields = schemaFields(
      jsonSchemaOf(z.object({ targets: z.array(target), named: z.record(z.string(), target) })),
    );
    const rows = fields.map((f) => `${f.path}: ${f.description}`);
    expect(rows).toEqual([
      'targets: ',
      'targets[].type: (with type: "webhook") ',
      'targets[].url: (with type: "webhook") ',
      'targets[].type: (with type: "ntfy") ',
      'targets[].topic: (with type: "ntfy") Topic.',
      'named: ',
      'named.<name>.type: (with type: "webhook") ',
      'named.<name>.url: (with type: "webhook") ',
      'named.<name>.type: (with type: "ntfy") ',
      'named.<name>.topic: (with type: "ntfy") Topic.',
    ]);
    expect(fields.filter((f) => f.path.includes('.')).every((f) => f.keys === undefined)).toBe(true);
  });
});
