import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { validateConfig } from '@imk/config';
import { loadService } from '../src/services.ts';

const repo = join(import.meta.dirname, '..', '..', '..');

/** The YAML blocks of a Markdown file whose first line names a config file: `# config/<service>.yaml`. */
async function configExamples(file: string): Promise<{ service: string; text: string }[]> {
  const markdown = await readFile(join(repo, file), 'utf8');
  const blocks = [...markdown.matchAll(/```yaml\n# config\/([a-z-]+)\.yaml[^\n]*\n([\s\S]*?)```/g)];
  return blocks.map((match) => ({ service: match[1]!, text: match[2]! }));
}

describe('configuration examples in the README', () => {
  it('are valid for the service they name, as written', async () => {
    const examples = await configExamples('README.md');
    expect(examples.map((e) => e.service)).toEqual(['instrumental-maker', 'nas-sync']);
    for (const example of examples) {
      const { configSchema } = await loadService(example.service);
      expect(configSchema, example.service).toBeDefined();
      const result = validateConfig(configSchema!, parse(example.text));
      expect(result.ok ? [] : result.problems, `README example for config/${example.service}.yaml`).toEqual(
        [],
      );
    }
  });
});
