// `imk run` as a user runs it, in a child process: human lines with --log-format pretty or on a terminal
// (a real pseudo-terminal from util-linux `script`), JSON when stderr is a pipe or a file.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMK } from '../test/imk-bin.ts';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'imk-logfmt-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

// The worker with --once on empty queues logs "started" and "stopped", then exits.
const args = () => ['run', 'instrumental-maker', '--once', '--concurrency', '1', '--root', root];
const env = (): NodeJS.ProcessEnv => {
  const clean: NodeJS.ProcessEnv = { ...process.env, IMK_LOG_LEVEL: 'info' };
  delete clean.IMK_LOG_FORMAT;
  return clean;
};
const HUMAN = /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: instrumental-maker instrumental-maker started \{/;
const stripAnsi = (text: string) => text.replace(new RegExp(String.raw`\u001b\[[0-9;]*m`, 'g'), '');

describe('imk run log lines', () => {
  it('pretty with --log-format pretty, JSON by default off a terminal, pretty on a terminal, unknown refused', async () => {
    const [pretty, piped, terminal, wrong] = await Promise.all([
      execa(IMK, [...args(), '--log-format', 'pretty'], { env: env(), extendEnv: false, stdin: 'ignore' }),
      execa(IMK, args(), { env: env(), extendEnv: false, stdin: 'ignore' }),
      // `script` gives the child a pseudo-terminal for stdin, stdout and stderr; its output is the terminal's.
      execa('script', ['-qec', [IMK, ...args()].map((a) => `'${a}'`).join(' '), '/dev/null'], {
        env: env(),
        extendEnv: false,
        stdin: 'ignore',
      }),
      execa(IMK, [...args(), '--log-format', 'xml'], { reject: false, stdin: 'ignore' }),
    ]);

    const prettyLines = pretty.stderr.split('\n');
    expect(prettyLines[0]).toMatch(HUMAN);
    expect(prettyLines.some((line) => /INFO: instrumental-maker instrumental-maker stopped/.test(line))).toBe(
      true,
    );
    expect(prettyLines.filter((line) => line.startsWith('{'))).toEqual([]);
    expect(pretty.stderr).not.toContain('\u001b['); // no colours into a pipe
    expect(JSON.parse(pretty.stdout)).toMatchObject({ ok: true }); // the command's own output is unchanged

    const jsonLines = piped.stderr.split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(jsonLines[0]).toMatchObject({
      level: 30,
      service: 'instrumental-maker',
      msg: 'instrumental-maker started',
    });

    const screen = stripAnsi(terminal.stdout).split(/\r?\n/);
    expect(screen.find((line) => line.includes('instrumental-maker started'))).toMatch(HUMAN);
    expect(screen.filter((line) => line.startsWith('{"level"'))).toEqual([]);

    expect(wrong.exitCode).not.toBe(0);
    expect(wrong.stderr).toMatch(/--log-format.*json, pretty/);
  });

  it('--log-format is read regardless of case, as IMK_LOG_FORMAT is', async () => {
    const [upper, fromEnv] = await Promise.all([
      execa(IMK, [...args(), '--log-format', 'PRETTY'], { env: env(), extendEnv: false, stdin: 'ignore' }),
      execa(IMK, args(), { env: { ...env(), IMK_LOG_FORMAT: 'Pretty' }, extendEnv: false, stdin: 'ignore' }),
    ]);
    expect(upper.stderr.split('\n')[0]).toMatch(HUMAN);
    expect(fromEnv.stderr.split('\n')[0]).toMatch(HUMAN);
  });
});
