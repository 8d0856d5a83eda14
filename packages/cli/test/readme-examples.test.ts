import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '@imk/config';
import { configFiles } from '../src/config-reference.ts';

const repo = join(import.meta.dirname, '..', '..', '..');

/** The YAML blocks of a Markdown file whose first line names a config file: `# config/<service>.yaml …`. */
async function configExamples(file: string): Promise<{ service: string; text: string }[]> {
  const markdown = await readFile(join(repo, file), 'utf8');
  const blocks = [...markdown.matchAll(/```yaml\n# config\/([a-z-]+)\.yaml[^\n]*\n([\s\S]*?)```/g)];
  return blocks.map((match) => ({ service: match[1]!, text: match[2]! }));
}

describe('configuration examples in the README and docs/', () => {
  it('are valid for the config file they name, as written', async () => {
    const schemas = new Map((await configFiles()).map((file) => [file.service, file.schema]));
    const readme = await configExamples('README.md');
    expect(readme.map((e) => e.service)).toEqual(['instrumental-maker', 'nas-sync', 'notify']);
    const docs = (await readdir(join(repo, 'docs'))).filter((name) => name.endsWith('.md')).sort();
    const examples = [...readme.map((e) => ({ ...e, file: 'README.md' }))];
    for (const name of docs)
      for (const example of await configExamples(join('docs', name)))
        examples.push({ ...example, file: `docs/${name}` });
    // Every config file has at least one complete example somewhere.
    expect(new Set(examples.map((e) => e.service))).toEqual(new Set(schemas.keys()));
    for (const example of examples) {
      const schema = schemas.get(example.service);
      expect(schema, `${example.file}: config/${example.service}.yaml is no config file`).toBeDefined();
      const result = validateConfig(schema!, parse(example.text));
      expect(
        result.ok ? [] : result.problems,
        `${example.file}: example for config/${example.service}.yaml`,
      ).toEqual([]);
    }
  });
});
