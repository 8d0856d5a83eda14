import { vi } from 'vitest';
import { main } from '../src/main.ts';

/**
 * Runs an `imk` command line through the CLI's main() in the test's own process: what it printed to stdout
 * and the exit code it set. An `imk` process costs 1-3 s CPU (tsx and the services a command loads), so a
 * test that runs the same command many times checks each behaviour that depends on the process (an exit
 * code, stderr, where logs go) through a real `imk` run and the further runs through this. Logs (pino, fd 2)
 * are not captured: they go to the test's stderr, at IMK_LOG_LEVEL=error.
 */
export async function imkInProcess(...args: string[]): Promise<{ stdout: string; exitCode: number }> {
  const chunks: string[] = [];
  const stdout = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(chunk.toString());
    return true;
  });
  const level = process.env.IMK_LOG_LEVEL;
  process.env.IMK_LOG_LEVEL = 'error';
  process.exitCode = undefined;
  try {
    await main(['node', 'imk', ...args]);
    return { stdout: chunks.join('').replace(/\n$/, ''), exitCode: Number(process.exitCode ?? 0) };
  } finally {
    stdout.mockRestore();
    process.exitCode = undefined;
    if (level === undefined) delete process.env.IMK_LOG_LEVEL;
    else process.env.IMK_LOG_LEVEL = level;
  }
}
