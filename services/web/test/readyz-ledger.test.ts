// /readyz is what an operator (or a container health check's log) reads when the system is not ready.
// With a corrupt job ledger it said only "the job ledger could not be opened", while the reason and the
// repair (`imk ledger rebuild`) went to the service log once. The check now carries them.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempRootServedLater } from './helpers.ts';

const late = tempRootServedLater();

describe('/readyz with a corrupt job ledger', () => {
  it('answers 503 and says why and how to repair it', async () => {
    const { root } = late;
    await mkdir(join(root, 'state'), { recursive: true });
    await writeFile(join(root, 'state', 'ledger.sqlite'), 'this is not a SQLite database, just text');
    const web = await late.serve();

    const response = await fetch(`${web.url}/readyz`);

    expect(response.status).toBe(503);
    const body = (await response.json()) as { checks: { name: string; ok: boolean; detail?: string }[] };
    const ledger = body.checks.find((c) => c.name === 'ledger');
    expect(ledger?.ok).toBe(false);
    expect(ledger?.detail).toContain(join(root, 'state', 'ledger.sqlite'));
    expect(ledger?.detail).toContain('corrupt');
    expect(ledger?.detail).toContain('imk ledger rebuild');
  });

  // The dashboard showed every service green and no banner while /readyz answered 503: it reads
  // /api/status, which carried only the services. It now carries what /readyz fails on, in the same words.
  it('is told on the dashboard too (/api/status problems), in the words /readyz uses', async () => {
    const { root } = late;
    await mkdir(join(root, 'state'), { recursive: true });
    await writeFile(join(root, 'state', 'ledger.sqlite'), 'this is not a SQLite database, just text');
    const web = await late.serve();

    const ready = (await (await fetch(`${web.url}/readyz`)).json()) as {
      checks: { name: string; ok: boolean; detail?: string }[];
    };
    const status = (await (await fetch(`${web.url}/api/status`)).json()) as {
      problems?: { name: string; detail: string }[];
    };
    expect(status.problems).toEqual(
      ready.checks.filter((c) => !c.ok).map((c) => ({ name: c.name, detail: c.detail })),
    );
    expect(status.problems?.map((p) => p.name)).toEqual(['ledger']);
    expect(status.problems?.[0]?.detail).toContain('imk ledger rebuild');
  });
});
