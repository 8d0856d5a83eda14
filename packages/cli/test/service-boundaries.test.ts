import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Services talk through folders and the two documents; only the CLI composes them (STYLE 14). This test
// fails when a services/* package depends on, or imports, another services/* package.
const REPO = join(import.meta.dirname, '..', '..', '..');
const SERVICES = join(REPO, 'services');

async function servicePackages(): Promise<{ dir: string; name: string; deps: string[] }[]> {
  const dirs = (await readdir(SERVICES, { withFileTypes: true })).filter((d) => d.isDirectory());
  return Promise.all(
    dirs.map(async (d) => {
      const json = JSON.parse(await readFile(join(SERVICES, d.name, 'package.json'), 'utf8')) as {
        name: string;
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      return {
        dir: join(SERVICES, d.name),
        name: json.name,
        deps: Object.keys({ ...json.dependencies, ...json.devDependencies }),
      };
    }),
  );
}

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isFile() && /\.(?:ts|js|mjs)$/.test(entry.name) && !path.includes('node_modules'))
      files.push(path);
  }
  return files;
}

// import … from 'x', import('x'), export … from 'x', require('x')
const SPECIFIERS = /(?:\bfrom\s*|\bimport\s*\(\s*|\brequire\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm;

describe('service boundaries', () => {
  it('no services/* package depends on or imports another services/* package', async () => {
    const services = await servicePackages();
    const names = new Set(services.map((s) => s.name));
    const problems: string[] = [];
    for (const service of services) {
      for (const dep of service.deps)
        if (names.has(dep) && dep !== service.name)
          problems.push(`${relative(REPO, service.dir)}/package.json depends on ${dep}`);
      for (const file of await sourceFiles(service.dir)) {
        const text = await readFile(file, 'utf8');
        for (const match of text.matchAll(SPECIFIERS)) {
          const specifier = match[1] ?? '';
          const otherPackage = [...names].find(
            (name) => name !== service.name && (specifier === name || specifier.startsWith(`${name}/`)),
          );
          // A relative path that climbs into another service's folder is the same import by another name.
          const climbs =
            /^\.\.?\//.test(specifier) && join(file, '..', specifier).startsWith(SERVICES)
              ? !join(file, '..', specifier).startsWith(service.dir + '/')
              : false;
          if (otherPackage !== undefined || climbs)
            problems.push(`${relative(REPO, file)} imports ${specifier}`);
        }
      }
    }
    expect(services.length).toBeGreaterThan(3);
    expect(problems).toEqual([]);
  });

  it('no library (packages/* but the CLI, which composes them) depends on or imports a service, tests included', async () => {
    const names = new Set((await servicePackages()).map((s) => s.name));
    const PACKAGES = join(REPO, 'packages');
    const problems: string[] = [];
    for (const dir of (await readdir(PACKAGES, { withFileTypes: true })).filter((d) => d.isDirectory())) {
      if (dir.name === 'cli') continue;
      const root = join(PACKAGES, dir.name);
      const json = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
        devDependencies?: Record<string, string>;
      };
      for (const dep of Object.keys({ ...json.dependencies, ...json.devDependencies }))
        if (names.has(dep)) problems.push(`${relative(REPO, root)}/package.json depends on ${dep}`);
      for (const file of await sourceFiles(root)) {
        for (const match of (await readFile(file, 'utf8')).matchAll(SPECIFIERS)) {
          const specifier = match[1] ?? '';
          const service = [...names].some((n) => specifier === n || specifier.startsWith(`${n}/`));
          const climbs = /^\.\.?\//.test(specifier) && join(file, '..', specifier).startsWith(SERVICES + '/');
          if (service || climbs) problems.push(`${relative(REPO, file)} imports ${specifier}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
