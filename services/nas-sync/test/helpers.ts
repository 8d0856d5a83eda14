import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { capturingLogger as captureLines } from '@imk/sync/testing';

/** A temp root with config/, outputs/ and a NAS folder. */
export async function tempRoot(): Promise<{
  root: string;
  outputs: string;
  nas: string;
  remove(): Promise<void>;
}> {
  const root = await mkdtemp(join(tmpdir(), 'imk-nas-sync-'));
  await mkdir(join(root, 'config'));
  await mkdir(join(root, 'outputs'));
  return {
    root,
    outputs: join(root, 'outputs'),
    nas: join(root, 'nas'),
    remove: () => rm(root, { recursive: true, force: true }),
  };
}

export async function writeConfig(root: string, yaml: string): Promise<void> {
  await writeFile(join(root, 'config', 'nas-sync.yaml'), yaml);
}

/** A logger whose JSON lines are kept for assertions. */
export const capturingLogger = () => captureLines('nas-sync');

/** A minimal enabled config delivering audio to a local folder. */
export function localConfig(nas: string, extra = ''): string {
  return `nasSync:
  enabled: true
  pollIntervalSec: 0.2
  remoteRoots:
    audio: ${nas}/Music
  backends:
    nas:
      type: local
      fsync: false${extra}
  routes:
    - match: { kind: audio }
      to: "\${remoteRoots.audio}/{artist}/{title} ({variant}).{ext}"
      backend: nas
`;
}
