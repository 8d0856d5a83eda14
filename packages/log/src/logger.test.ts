import { execa } from 'execa';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.ts';

async function capture(write: (logger: ReturnType<typeof createLogger>) => void): Promise<string> {
  const out = new PassThrough();
  const chunks: string[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk.toString()));
  write(createLogger('test', { destination: out }));
  await new Promise((resolve) => setImmediate(resolve));
  return chunks.join('');
}

describe('createLogger', () => {
  it('never writes secrets, at any depth', async () => {
    const text = await capture((logger) =>
      logger.info(
        {
          arl: 'ARL-SECRET',
          backend: { secretAccessKey: 'S3-SECRET', name: 'nas', deep: { x: { password: 'PW-SECRET' } } },
        },
        'hello',
      ),
    );
    expect(text).toContain('hello');
    expect(text).toContain('nas');
    expect(text).not.toContain('ARL-SECRET');
    expect(text).not.toContain('S3-SECRET');
    expect(text).not.toContain('PW-SECRET');
  });

  it('strips credentials from URLs in fields, messages, errors and child bindings', async () => {
    const text = await capture((logger) => {
      logger.info(
        { url: 'http://alice:URL-PASS@nas.local/x' },
        'fetching http://bob:MSG-PASS@h/?token=Q-TOKEN',
      );
      logger.error({ err: new Error('GET https://carol:ERR-PASS@h failed') }, 'failed');
      logger.child({ endpoint: 'https://dave:CHILD-PASS@s3.local' }).child({ job_id: 'j1' }).warn('child');
      logger.warn('%s went wrong', 'https://erin:FMT-PASS@h');
    });
    for (const secret of ['URL-PASS', 'MSG-PASS', 'Q-TOKEN', 'ERR-PASS', 'CHILD-PASS', 'FMT-PASS'])
      expect(text).not.toContain(secret);
    expect(text).toContain('nas.local/x');
    expect(text).toContain('s3.local');
    expect(text).toMatch(/s3\.local.*j1/);
  });

  it('writes each key once per line: a child binding a key again, or a call naming a bound key, replaces it', async () => {
    // Seen in real logs: {"component":"sync-engine",…,"component":"sync-transfer"} from the sync engine's
    // transfer logger, and {"service":"up",…,"service":"inbox"} from imk up's supervisor; jq kept the last.
    const text = await capture((logger) => {
      const engine = logger.child({ component: 'sync-engine', job_id: 'j1' });
      engine.child({ component: 'sync-transfer' }).info({ file: 'a.flac' }, 'sent');
      engine.info({ component: 'sync-pass', job_id: 'j2' }, 'pass');
      logger.warn({ service: 'inbox' }, 'inbox failed');
    });
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(3);
    for (const line of lines) {
      const keys = topLevelKeys(line);
      expect(keys, line).toEqual([...new Set(keys)]);
    }
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(parsed[0]).toMatchObject({
      component: 'sync-transfer',
      job_id: 'j1',
      file: 'a.flac',
      msg: 'sent',
    });
    expect(parsed[1]).toMatchObject({ component: 'sync-pass', job_id: 'j2', msg: 'pass' });
    expect(parsed[2]).toMatchObject({ service: 'inbox', msg: 'inbox failed' });
    // Where the key first was: the service stays first, before the message.
    expect(topLevelKeys(lines[2]!).slice(0, 3)).toEqual(['level', 'time', 'service']);
  });
});

/** The keys of a JSON line's top-level object, in order, repeats included (JSON.parse keeps only the last). */
function topLevelKeys(line: string): string[] {
  const keys: string[] = [];
  let depth = 0;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') {
      let end = i + 1;
      while (line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
      const after = line.slice(end + 1).trimStart();
      if (depth === 1 && after.startsWith(':')) keys.push(JSON.parse(line.slice(i, end + 1)) as string);
      i = end;
    } else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') depth--;
  }
  return keys;
}

// An IMK_LOG_LEVEL pino does not know was handed to it as it was: "default level:verbose must be included in
// custom levels", and `imk up` did not start; INFO or WARNING (as the earlier version's LOG_LEVEL was written)
// did the same. Any case is read now, WARNING is warn, and an unknown one is ignored, said once.
describe('IMK_LOG_LEVEL', () => {
  const run = (value: string) =>
    execa(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { createLogger } from ${JSON.stringify(new URL('./logger.ts', import.meta.url).pathname)};
for (const service of ['imk-up', 'inbox', 'instrumental-maker']) { const l = createLogger(service); l.debug('detail'); l.info('started'); l.warn('careful'); }`,
      ],
      { env: { IMK_LOG_LEVEL: value, IMK_LOG_FORMAT: 'json' } },
    );
  const lines = (stderr: string, text: string) => stderr.split('\n').filter((l) => l.includes(text));

  it('an unknown level is ignored and said once, naming the variable and the levels', async () => {
    const { stderr } = await run('verbose');
    expect(lines(stderr, 'IMK_LOG_LEVEL').map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual([
      'IMK_LOG_LEVEL=verbose is not a log level: write fatal, error, warn, info, debug, trace, silent; ignored (info chosen)',
    ]);
    expect(lines(stderr, '"started"')).toHaveLength(3);
  });

  it('is read in any case, WARNING as warn', async () => {
    expect(lines((await run('DEBUG')).stderr, '"detail"')).toHaveLength(3);
    const warning = (await run('WARNING')).stderr;
    expect(lines(warning, '"started"')).toHaveLength(0);
    expect(lines(warning, '"careful"')).toHaveLength(3);
    expect(lines(warning, 'IMK_LOG_LEVEL')).toHaveLength(0);
  });
});
