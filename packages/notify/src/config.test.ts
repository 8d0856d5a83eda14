import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNotifyConfig } from './config.ts';

// config/notify.yaml as people write it: a target block copied and not renamed, the address a phone
// subscribes to given as the ntfy server, a target's events list emptied to mute it.
const roots: string[] = [];
afterAll(async () => {
  await Promise.all(roots.map((root) => rm(root, { recursive: true, force: true })));
});

async function load(yaml: string): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'imk-notify-config-'));
  roots.push(root);
  await mkdir(join(root, 'config'));
  await writeFile(join(root, 'config', 'notify.yaml'), yaml);
  return loadNotifyConfig(root, {}).then(
    ({ config }) => `ok ${config.targets.length}`,
    (error: unknown) => String(error),
  );
}

describe('config/notify.yaml', () => {
  it('two targets of one name are refused naming the second: events are kept per name, one of them heard nothing', async () => {
    const copied = await load(
      'targets:\n  - name: phone\n    type: ntfy\n    topic: band\n  - name: phone\n    type: webhook\n    url: http://hass.lan/api/webhook/imk\n',
    );
    expect(copied).toContain(
      'targets.1.name: "phone" is also the name of targets.0: give each target a name of its own',
    );
    // A name given that is the one an unnamed target gets (<type>-<index>).
    expect(
      await load(
        'targets:\n  - type: webhook\n    url: http://a.lan/x\n  - name: webhook-0\n    type: ntfy\n    topic: t\n',
      ),
    ).toContain(
      'targets.1.name: "webhook-0" is also the name of targets.0 (a target without a name is called <type>-<index>)',
    );
    expect(
      await load(
        'targets:\n  - type: webhook\n    url: http://a.lan/x\n  - type: webhook\n    url: http://b.lan/x\n',
      ),
    ).toBe('ok 2');
  });

  it('an ntfy server given with the topic in it is refused saying what to write; a server under a path is fine', async () => {
    expect(
      await load('targets:\n  - type: ntfy\n    topic: band\n    server: https://ntfy.sh/band\n'),
    ).toContain(
      'targets.0.server: ends in the topic: messages are published to the server itself with the topic in the body; give the server alone (https://ntfy.sh) and the topic under topic',
    );
    expect(await load('targets:\n  - type: ntfy\n    topic: band\n    server: https://home.lan/ntfy\n')).toBe(
      'ok 1',
    );
  });

  it('a target events list left empty says what to write', async () => {
    expect(await load('targets:\n  - type: webhook\n    url: http://a.lan/x\n    events: []\n')).toContain(
      'targets.0.events: list at least one of job.succeeded, job.failed, sync.delivered, sync.failed; to send a target nothing, remove it',
    );
  });
  it('a section left empty ("events:" with nothing after it) says what to write, not zod\'s "received null"', async () => {
    const cases: [string, string, RegExp][] = [
      ['events:\n', 'events', /write its settings indented below it, or remove the line/],
      ['retry:\n', 'retry', /write its settings indented below it/],
      ['targets:\n', 'targets', /not as an empty list\): write its entries \("- …" lines\)/],
      [
        'targets:\n  - type: ntfy\n    topic: band\n    events:\n',
        'targets.0.events',
        /"events:" has nothing after it/,
      ],
    ];
    for (const [yaml, path, said] of cases) {
      const text = await load(yaml);
      expect(text, yaml).toContain(
        `${path}: "${path.split('.').at(-1)}:" has nothing after it (YAML reads that as null`,
      );
      expect(text, yaml).toMatch(said);
      expect(text, yaml).not.toMatch(/received null/);
    }
  });
});
