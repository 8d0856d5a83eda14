import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_TIMER_MS, configFile, loadServiceConfig } from '@imk/config';
import { deref, jsonSchemaOf, type JsonSchemaNode } from '@imk/protocol';
import { configFiles } from '../src/config-reference.ts';

// A duration setting a timer waits for (a poll interval, a grace period, a backoff, a timeout) is held to
// what a Node.js timer can wait (2^31 - 1 ms, about 24.8 days). Longer was taken as written and then not
// waited for: setTimeout fires after 1 ms, so nasSync.pollIntervalSec: 99999999 (meant as "never, only the
// watcher") ran sync passes back to back, hammering the NAS; gracePeriodSec of a year stopped the transfers
// at the first Ctrl-C; notify's timeoutSec made every send throw (AbortSignal.timeout refuses it).

/** The unit a duration setting is written in, by its name's ending. */
const UNIT_MS: [RegExp, number][] = [
  [/Ms$/, 1],
  [/(Sec|Seconds)$/, 1000],
  [/Minutes$/, 60_000],
];

/** Durations nothing waits for: a song's length and a tolerance, compared with a number. */
const NOT_WAITED_FOR = new Set(['maxDurationSec', 'durationCheck.toleranceSec']);

interface DurationField {
  path: string;
  unitMs: number;
  maximum: number | undefined;
}

function durationFields(root: JsonSchemaNode): DurationField[] {
  const out: DurationField[] = [];
  const seen = new Set<string>();
  const walk = (raw: JsonSchemaNode, path: string): void => {
    const node = deref(raw, root);
    for (const variant of [...(node.anyOf ?? []), ...(node.oneOf ?? [])]) walk(variant, path);
    for (const [key, child] of Object.entries(node.properties ?? {}))
      walk(child, path ? `${path}.${key}` : key);
    if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}.<name>`);
    const type = [node.type].flat();
    if (!type.includes('number') && !type.includes('integer')) return;
    const name = path.slice(path.lastIndexOf('.') + 1);
    const unitMs = UNIT_MS.find(([pattern]) => pattern.test(name))?.[1];
    if (unitMs === undefined || NOT_WAITED_FOR.has(path) || seen.has(path)) return;
    seen.add(path);
    out.push({ path, unitMs, maximum: (node as JsonSchemaNode & { maximum?: number }).maximum });
  };
  walk(root, '');
  return out;
}

describe('duration settings a timer waits for', () => {
  it('every config file holds each one to what a timer can wait (about 24 days)', async () => {
    const tooLong: string[] = [];
    let checked = 0;
    for (const file of await configFiles()) {
      for (const field of durationFields(jsonSchemaOf(file.schema))) {
        checked += 1;
        if (field.maximum === undefined || field.maximum > MAX_TIMER_MS / field.unitMs)
          tooLong.push(`${file.service}: ${field.path} (max ${String(field.maximum ?? 'none')})`);
      }
    }
    expect(checked).toBeGreaterThan(25);
    expect(tooLong).toEqual([]);
  });

  it('nas-sync.yaml asking for a longer poll interval or grace period is refused, naming the field and the limit', async () => {
    const root = await mkdtemp(join(tmpdir(), 'imk-timer-settings-'));
    try {
      await mkdir(join(root, 'config'));
      await writeFile(
        configFile(root, 'nas-sync'),
        'nasSync:\n  enabled: true\n  pollIntervalSec: 99999999\n  gracePeriodSec: 31536000\n',
      );
      const nasSync = (await configFiles()).find((file) => file.service === 'nas-sync');
      expect(nasSync).toBeDefined();
      const error = await loadServiceConfig({ root, service: 'nas-sync', schema: nasSync!.schema }).then(
        () => undefined,
        (e: unknown) => e as Error & { code?: string },
      );
      expect(error?.code).toBe('CONFIG_INVALID');
      expect(error?.message).toContain(
        'nasSync.pollIntervalSec: at most 2147483 seconds (about 24 days): a longer wait cannot be timed (found 99999999)',
      );
      expect(error?.message).toContain('nasSync.gracePeriodSec: at most 2147483 seconds');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('waits made from those settings', () => {
  it("nas-sync's backoff at the longest maxDelaySec, jitter included, is never past what a timer can wait", async () => {
    const { RetryPolicySchema, backoffMs } = await import('@imk/sync');
    const policy = RetryPolicySchema.parse({ initialDelaySec: 1, maxDelaySec: MAX_TIMER_MS / 1000 });
    const waits = Array.from({ length: 200 }, (_, i) => backoffMs(policy, 40 + (i % 3)));
    expect(Math.max(...waits)).toBeLessThanOrEqual(MAX_TIMER_MS);
    expect(Math.min(...waits)).toBeGreaterThan(0.85 * MAX_TIMER_MS);
  });
});
