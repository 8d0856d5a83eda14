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

/** The YAML blocks of the README and docs/*.md whose first line says they hold the defaults. */
async function defaultsExamples(): Promise<{ file: string; service: string; text: string }[]> {
  const files = [
    'README.md',
    ...(await readdir(join(repo, 'docs'))).filter((n) => n.endsWith('.md')).map((n) => `docs/${n}`),
  ];
  const found = [];
  for (const file of files)
    for (const example of await configExamples(file)) {
      const markdown = await readFile(join(repo, file), 'utf8');
      const header = new RegExp(`\`\`\`yaml\\n# config/${example.service}\\.yaml([^\\n]*)\\n`, 'g');
      const says = [...markdown.matchAll(header)].some(
        (match) => /these are the defaults/.test(match[1]!) && markdown.includes(match[0] + example.text),
      );
      if (says) found.push({ file, ...example });
    }
  return found;
}

describe('configuration examples that say they are the defaults', () => {
  // Copied as they are (a user's first config file), they must change nothing: docs/retrievers.md's set
  // ytDlpPath: /usr/local/bin/yt-dlp, so the retriever stopped finding Debian's /usr/bin/yt-dlp on PATH.
  it('are the defaults, every value they set', async () => {
    const schemas = new Map((await configFiles()).map((file) => [file.service, file.schema]));
    const examples = await defaultsExamples();
    expect(examples.map((e) => `${e.file}: ${e.service}`)).toContain('docs/retrievers.md: youtube-retriever');
    for (const example of examples) {
      const schema = schemas.get(example.service)!;
      const asWritten = validateConfig(schema, parse(example.text));
      const defaults = validateConfig(schema, {});
      expect(asWritten.ok && asWritten.config, `${example.file}: config/${example.service}.yaml`).toEqual(
        defaults.ok && defaults.config,
      );
    }
  });
});
