import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fifoWaitSeen, within, type FifoEvidence } from './testing.ts';

const TSX = fileURLToPath(new URL('../../../node_modules/.bin/tsx', import.meta.url));
const FIFO_WAIT = fileURLToPath(new URL('./fifo-wait.ts', import.meta.url));
const root = process.getuid?.() === 0;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'imk-fifo-wait-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** What the child's threads wait in and which system call they are in (for a failing wait's message). */
function waitsOf(child: ChildProcess): string {
  const task = `/proc/${child.pid}/task/${child.pid}`;
  const read = (name: string) => {
    try {
      return readFileSync(`${task}/${name}`, 'utf8').trim().split(' ')[0];
    } catch (error) {
      return String(error);
    }
  };
  return `cat (pid ${child.pid}) in ${read('wchan')}, system call ${read('syscall')}`;
}

/** Looks until `fifoWaitSeen(ways)` sees a FIFO wait; says what it saw instead after 30 s. */
async function seenBy(ways: readonly FifoEvidence[], child: ChildProcess): Promise<FifoEvidence> {
  const look = async () => {
    for (;;) {
      const seen = fifoWaitSeen(ways);
      if (seen === 'stack' || seen === 'wchan') return seen;
      await sleep(20);
    }
  };
  return within(look(), 30_000, `the wait of cat on a FIFO to be seen by ${ways.join(' or ')}`, () =>
    waitsOf(child),
  );
}

/** `cat` opening a FIFO no writer opens: blocked in its open until the test opens the other end. */
async function catOnFifo(name: string): Promise<{ child: ChildProcess; release: () => Promise<void> }> {
  const fifo = join(dir, name);
  await promisify(execFile)('mkfifo', [fifo]);
  const child = spawn('cat', [fifo], { stdio: 'ignore' });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const release = async () => {
    const writer = await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).catch(() => undefined);
    await writer?.close();
    await exited;
  };
  return { child, release };
}

describe('fifoWaitSeen: a child blocked opening a FIFO', () => {
  it(`is seen by its kernel stack as root, by wchan and system call as another user (here: ${root ? 'root' : 'not root'})`, async () => {
    const { child, release } = await catOnFifo('default');
    try {
      expect(await seenBy(['stack', 'wchan'], child)).toBe(root ? 'stack' : 'wchan');
    } finally {
      await release();
    }
    expect(fifoWaitSeen()).toBe(false);
  });

  it('is seen by wchan and system call alone, and no longer once a writer came', async () => {
    const { child, release } = await catOnFifo('wchan');
    try {
      expect(await seenBy(['wchan'], child)).toBe('wchan');
    } finally {
      await release();
    }
    expect(fifoWaitSeen(['wchan'])).toBe(false);
  });

  it('is seen without a time limit by a user who cannot read kernel stacks ("nobody" when run as root)', async () => {
    // The script makes its own FIFO and cat (a child of its own) and says what it saw, and whether it could
    // read a kernel stack at all.
    const script = join(dir, 'as-user.mts');
    await writeFile(
      script,
      `import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { constants, readFileSync } from 'node:fs';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fifoWaitSeen } from ${JSON.stringify(FIFO_WAIT)};
const fifo = join(await mkdtemp(join(tmpdir(), 'imk-fifo-user-')), 'pipe');
execFileSync('mkfifo', [fifo]);
const cat = spawn('cat', [fifo], { stdio: 'ignore' });
let seen = fifoWaitSeen();
for (let i = 0; i < 1500 && seen !== 'stack' && seen !== 'wchan'; i++) {
  await new Promise((resolve) => setTimeout(resolve, 20));
  seen = fifoWaitSeen();
}
let stackReadable = true;
try { readFileSync(\`/proc/\${cat.pid}/task/\${cat.pid}/stack\`); } catch { stackReadable = false; }
await (await open(fifo, constants.O_WRONLY | constants.O_NONBLOCK)).close();
await rm(dirname(fifo), { recursive: true, force: true });
console.log(JSON.stringify({ seen: seen ?? 'nothing readable', stackReadable }));
`,
    );
    await chmod(dir, 0o755);
    const asUser = root ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'] : [];
    const [command = TSX, ...args] = [...asUser, TSX, script];
    const { stdout } = await promisify(execFile)(command, args, { env: { ...process.env, HOME: tmpdir() } });
    expect(JSON.parse(stdout.trim().split('\n').at(-1)!)).toEqual({ seen: 'wchan', stackReadable: false });
  });

  it('is not confused with a child blocked reading a FIFO that has no data, either way', async () => {
    // The FIFO is open (read and write, which does not wait) before cat gets it: cat waits in its read, not
    // in an open.
    const fifo = join(dir, 'empty');
    await promisify(execFile)('mkfifo', [fifo]);
    const both = await open(fifo, constants.O_RDWR);
    const child = spawn('cat', [], { stdio: [both.fd, 'ignore', 'ignore'] });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      // Asleep in its read (the positive sign that it is blocked), then looked at both ways.
      await within(
        (async () => {
          while (!/^\S+ \(cat\) S /.test(readFileSync(`/proc/${child.pid}/stat`, 'utf8'))) await sleep(20);
        })(),
        30_000,
        'cat to sleep reading the empty FIFO',
        () => waitsOf(child),
      );
      if (root) expect(fifoWaitSeen(['stack']), waitsOf(child)).toBe(false);
      expect(fifoWaitSeen(['wchan']), waitsOf(child)).toBe(false);
    } finally {
      child.kill();
      await exited;
      await both.close();
    }
  });
});
