// When the dashboard may not start (listening beyond loopback without a token), the error and `imk doctor`
// say what to run: `export IMK_WEB__TOKEN=$(openssl rand -hex 24)`. The secret redactor took the
// `$(openssl` of that instruction for a token value, so users were told to run
// `export IMK_WEB__TOKEN=[redacted] rand -hex 24)`. Real values stay redacted.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { redactText } from '@imk/log';
import { IMK } from './imk-bin.ts';

const imk = (...args: string[]) =>
  execa(process.execPath, [IMK, ...args], { reject: false, timeout: 60_000, stdin: 'ignore' });
const INSTRUCTION = 'export IMK_WEB__TOKEN=$(openssl rand -hex 24)';

let root = '';
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-token-hint-'));
  await mkdir(join(root, 'config'));
  await writeFile(join(root, 'config', 'web.yaml'), 'host: 0.0.0.0\n');
});
afterEach(() => rm(root, { recursive: true, force: true }));

describe('the command that makes a token is shown as it must be typed', () => {
  it('in the error of imk run web and in imk doctor', async () => {
    const run = await imk('run', 'web', '--root', root, '--log-format', 'pretty');
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toContain(INSTRUCTION);
    expect(run.stderr).not.toContain('[redacted] rand');

    const doctor = await imk('doctor', '--root', root);
    expect(doctor.stdout).toContain(INSTRUCTION);
  });

  it('while token values themselves are still redacted', () => {
    expect(redactText('IMK_WEB__TOKEN=0123456789abcdef0123 failed')).toBe('IMK_WEB__TOKEN=[redacted] failed');
    expect(redactText('{"token": "hunter2hunter2"}')).not.toContain('hunter2');
    expect(redactText(`set it: ${INSTRUCTION}`)).toBe(`set it: ${INSTRUCTION}`);
  });
});
