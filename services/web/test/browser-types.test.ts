import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// The page's modules (services/web/public/*.js, // @ts-check) read the API's answers through the server's
// own types (src/api-types.ts). These checks run the page's tsconfig, as `npm run typecheck` does, over a
// server whose answer changed (in memory): the page's check must fail where the page reads the old field.
const publicDir = resolve(import.meta.dirname, '..', 'public');
const srcDir = resolve(import.meta.dirname, '..', 'src');

interface Edit {
  file: string;
  from: string;
  to: string;
}

/** The page's type errors as `file.js: message`, with `edits` applied to server source files first. */
function checkPage(edits: Edit[]): string[] {
  const config = ts.readConfigFile(join(publicDir, 'tsconfig.json'), (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, publicDir);
  const host = ts.createCompilerHost(parsed.options);
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => {
    let text = readFile(path);
    for (const edit of edits.filter((e) => e.file === resolve(path))) {
      if (!text?.includes(edit.from)) throw new Error(`${edit.file} no longer holds "${edit.from}"`);
      text = text.replace(edit.from, edit.to);
    }
    return text;
  };
  const program = ts.createProgram(parsed.fileNames, parsed.options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file ? d.file.fileName.slice(d.file.fileName.lastIndexOf('/') + 1) : '';
    return `${where}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`;
  });
}

describe('the page shares the server response types', () => {
  it('checks every module of the page', () => {
    const config = ts.readConfigFile(join(publicDir, 'tsconfig.json'), (path) => ts.sys.readFile(path));
    const files = ts.parseJsonConfigFileContent(config.config, ts.sys, publicDir).fileNames;
    const modules = readdirSync(publicDir).filter((name) => name.endsWith('.js'));
    expect(modules).toEqual(expect.arrayContaining(['app.js', 'job-page.js', 'lib.js', 'mixer.js']));
    expect(files.map((f) => f.slice(f.lastIndexOf('/') + 1)).sort()).toEqual(modules.sort());
  });

  // One program for the three changes (each check of the page takes some 20 s on a busy machine);
  // `npm run typecheck` shows the page has no error as it is.
  it("fails the page's check where it reads what a server answer changed", () => {
    const errors = checkPage([
      // The outputs list renames a field the library table reads (its type and where it is built).
      {
        file: join(srcDir, 'system', 'outputs.ts'),
        from: '  processed_at: string | undefined;\n  artifacts: number;',
        to: '  processedAt: string | undefined;\n  artifacts: number;',
      },
      {
        file: join(srcDir, 'system', 'outputs.ts'),
        from: '      processed_at:\n        processedAtIso(',
        to: '      processedAt:\n        processedAtIso(',
      },
      // A job's detail drops what the retry button reads.
      { file: join(srcDir, 'api-types.ts'), from: '  canRetry: boolean;\n', to: '' },
      // The mixer's stems become a map.
      {
        file: join(srcDir, 'api-types.ts'),
        from: '  stems: MixerStem[];',
        to: '  stems: Record<string, MixerStem>;',
      },
    ]);
    expect(errors).toContainEqual(expect.stringMatching(/^app\.js: Property 'processed_at' does not exist/));
    expect(errors).toContainEqual(expect.stringMatching(/^job-page\.js: Property 'canRetry' does not exist/));
    expect(errors).toContainEqual(expect.stringMatching(/^mixer\.js: /));
    // Nothing else: the errors are the page's reads of the changed fields.
    expect(errors.filter((e) => !/^(app|job-page|mixer)\.js: /.test(e))).toEqual([]);
  });
});
