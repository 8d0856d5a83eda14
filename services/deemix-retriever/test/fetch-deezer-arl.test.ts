import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fetchDeezer } from '../src/index.ts';
import { ARL, capturingLogger, deemixFixtures, setup } from './deemix-kit.ts';

deemixFixtures();

describe('fetchDeezer (deemix stand-in)', () => {
  it('says what to do when no ARL is configured, without running deemix', async () => {
    const { root, settings } = await setup();
    const { logger } = capturingLogger();
    const error = await fetchDeezer('https://www.deezer.com/track/1', {
      root,
      logger,
      settings,
      env: {},
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEEMIX_ARL_MISSING' });
    expect((error as Error).message).toMatch(/IMK_DEEMIX_ARL/);
  });

  it("reports a refused ARL clearly instead of hanging at deemix's prompt", async () => {
    const { root, settings, calls } = await setup();
    const { logger, lines } = capturingLogger();
    const error = await fetchDeezer('https://www.deezer.com/track/1', {
      root,
      logger,
      settings,
      env: { DEEZER_ARL: 'ffff0000' },
    }).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'DEEMIX_ARL_REFUSED' });
    expect((error as Error).message).toMatch(/copy the "arl" cookie again/);
    // Not timed: deemix's own words say its prompt read the end of its input at once (EOFError), and it was
    // refused, not stopped at timeoutMs (30 min, DEEMIX_TIMEOUT); nothing was left to answer the prompt.
    expect((error as Error).message).toMatch(/EOFError/);
    expect((await calls())[0]?.stdin).not.toBe('pipe');
    expect(lines.join('')).not.toContain('ffff0000');
  });

  it('reads the ARL from a secret file', async () => {
    const { root, settings } = await setup();
    const file = join(root, 'deezer.arl');
    await writeFile(file, `${ARL}\n`, { mode: 0o600 });
    const { logger } = capturingLogger();
    const result = await fetchDeezer('https://www.deezer.com/track/77', {
      root,
      logger,
      settings: { ...settings, arlFile: file },
      env: {},
    });
    expect(result.jobs).toHaveLength(1);
  });
});
