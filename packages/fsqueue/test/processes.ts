import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { nodeScript } from '../../cli/test/bundle/scripts.ts';

export const CONSUMER_SCRIPT = fileURLToPath(new URL('./fixtures/consumer.ts', import.meta.url));
export const PRODUCER_SCRIPT = fileURLToPath(new URL('./fixtures/producer.ts', import.meta.url));

export interface ConsumerProcessArgs {
  queueDir: string;
  consumerId: string;
  leaseMs?: number;
  heartbeatMs?: number;
  pollMs?: number;
  maxAttempts?: number;
  workMs?: number;
  idleExitMs?: number;
  maxClaims?: number;
  hold?: boolean;
  watch?: boolean;
}

export interface ConsumerProcess {
  id: string;
  log: string;
  child: ResultPromise;
  events(): Promise<ConsumerEvent[]>;
}

export interface ConsumerEvent {
  kind: 'claimed' | 'completed' | 'lost';
  jobId: string;
  attempt?: number;
  at: number;
}

/** Starts the consumer fixture as a real child process: `node consumer <json>` (see nodeScript). */
export function startConsumer(logDir: string, args: ConsumerProcessArgs): ConsumerProcess {
  const log = join(logDir, `${args.consumerId}.log`);
  const child = execa('node', [...nodeScript(CONSUMER_SCRIPT), JSON.stringify({ ...args, log })], {
    reject: false,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { IMK_LOG_LEVEL: 'silent' },
  });
  return { id: args.consumerId, log, child, events: () => readEvents(log) };
}

export async function readEvents(log: string): Promise<ConsumerEvent[]> {
  const text = await readFile(log, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const parts = line.split(' ');
      const kind = parts[0] as ConsumerEvent['kind'];
      if (kind === 'claimed')
        return { kind, jobId: parts[1]!, attempt: Number(parts[2]), at: Number(parts[3]) };
      return { kind, jobId: parts[1]!, at: Number(parts[2]) };
    });
}

export async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** Kills what is still running (SIGCONT first, in case a test stopped it). */
export async function stopAll(processes: { child: ResultPromise }[]): Promise<void> {
  for (const { child } of processes) {
    if (child.exitCode === null && child.pid !== undefined) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  }
  await Promise.all(processes.map(({ child }) => child));
}
