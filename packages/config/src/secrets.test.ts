import { mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isImkError } from '@imk/errors';
import { envSecret, fileSecret, readSecretRef } from './secrets.ts';

// The one rule every secret of the product is read by (sync backends, notify, Deezer ARL, web and API tokens).
describe('reading a secret', () => {
  it('drops the spaces and line breaks around it, from a variable or a file (a link to one, as Kubernetes mounts)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-secret-'));
    try {
      for (const raw of ['k3y\n', 'k3y\r\n', '  k3y  \n\n', 'k3y']) {
        expect(envSecret({ KEY: raw }, 'KEY')).toBe('k3y');
        await writeFile(join(dir, 'data'), raw);
        await rm(join(dir, 'link'), { force: true });
        await symlink(join(dir, 'data'), join(dir, 'link'));
        expect(await fileSecret(join(dir, 'link'))).toBe('k3y');
        expect(readSecretRef({ file: join(dir, 'link') }, {})).toBe('k3y');
      }
      expect(envSecret({ KEY: '\n' }, 'KEY')).toBeUndefined();
      // The one secret that is a list (Apprise URLs, one per line) keeps its lines, trimmed around.
      expect(envSecret({ URLS: 'a://x\nb://y\n' }, 'URLS', 'many')).toBe('a://x\nb://y');
      expect(envSecret({}, 'KEY')).toBeUndefined();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a line break inside is an error naming the variable or the file, never quoting the value', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-secret-'));
    try {
      await writeFile(join(dir, 'two'), 'hunter2-old\r\nhunter2-new\n');
      const failures = [
        (() => {
          try {
            return readSecretRef({ env: 'NAS_PASSWORD' }, { NAS_PASSWORD: 'hunter2-a\nhunter2-b' });
          } catch (error) {
            return error;
          }
        })(),
        await fileSecret(join(dir, 'two')).catch((error: unknown) => error),
      ];
      expect(failures.map((f) => isImkError(f, 'SECRET_INVALID'))).toEqual([true, true]);
      expect((failures[0] as Error).message).toContain('environment variable NAS_PASSWORD');
      expect((failures[1] as Error).message).toContain(join(dir, 'two'));
      for (const failure of failures) expect((failure as Error).message).not.toContain('hunter2');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an unset variable, a missing file or a FIFO is SECRET_MISSING naming it (a FIFO is never waited on)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-secret-'));
    try {
      execFileSync('mkfifo', [join(dir, 'fifo')]);
      for (const ref of [{ env: 'UNSET_VAR' }, { file: join(dir, 'nope') }, { file: join(dir, 'fifo') }]) {
        let failure: unknown;
        try {
          readSecretRef(ref, {});
        } catch (error) {
          failure = error;
        }
        expect(isImkError(failure, 'SECRET_MISSING')).toBe(true);
        expect((failure as Error).message).toContain('env' in ref ? ref.env : ref.file);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a variable set to nothing or to spaces, a file holding only a line break: said as empty, not as missing', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'imk-secret-'));
    try {
      await writeFile(join(dir, 'blank'), '\r\n');
      const said = (ref: { env: string } | { file: string }, env: NodeJS.ProcessEnv) => {
        try {
          return readSecretRef(ref, env);
        } catch (error) {
          return `${(error as { code?: string }).code ?? ''}: ${(error as Error).message}`;
        }
      };
      expect(said({ env: 'HOOK_SECRET' }, { HOOK_SECRET: '' })).toBe(
        'SECRET_MISSING: environment variable HOOK_SECRET is empty (set, but to no secret)',
      );
      expect(said({ env: 'HOOK_SECRET' }, { HOOK_SECRET: ' \n' })).toBe(
        'SECRET_MISSING: environment variable HOOK_SECRET is empty (set, but to no secret)',
      );
      expect(said({ env: 'HOOK_SECRET' }, {})).toBe(
        'SECRET_MISSING: environment variable HOOK_SECRET is not set',
      );
      expect(said({ file: join(dir, 'blank') }, {})).toBe(
        `SECRET_MISSING: secret file ${join(dir, 'blank')} is empty`,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
