import { cp, mkdir, mkdtemp, readFile, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { IMK, makeRoot, makeSong, publishV1, removeRoot } from './helpers.ts';

// A real full filesystem: a 24 MB tmpfs (mounted directly as root, else inside `unshare -Urm`, where an
// unprivileged user may mount one), filled to the last byte before the worker starts.
const SCENARIO = `
set -eu
mount -t tmpfs -o size=24m tmpfs "$MNT"
cp -a "$SRC" "$MNT/root"
dd if=/dev/zero of="$MNT/fill" bs=1M 2>/dev/null || true
IMK_LOG_LEVEL=info "$IMK" run --once --root "$MNT/root" > "$OUT/worker.log" 2>&1 &
worker=$!
for i in $(seq 1 300); do
  grep -q 'waiting for space' "$OUT/worker.log" && break
  sleep 0.1
done
sleep 1
kill -0 $worker && echo "alive while full" > "$OUT/alive"
rm "$MNT/fill"
set +e
wait $worker
echo $? > "$OUT/exit"
cp -a "$MNT/root/outputs" "$OUT/outputs"
umount "$MNT"
`;

describe('a full disk at start-up', () => {
  let root: string;
  let work: string;
  afterAll(async () => {
    await removeRoot(root);
    await removeRoot(work);
  });

  it('makes the worker wait for space and then carry on, not exit for good', async () => {
    root = await makeRoot({ pollMs: 100 });
    await writeFile(
      join(root, 'config', 'operations.yaml'),
      stringify({ diskGuard: { enabled: true, minFreeMb: 6, resumeFreeMb: 6, checkIntervalSeconds: 1 } }),
    );
    const song = join(root, 'song.m4a');
    await makeSong(song, 1);
    await publishV1(
      root,
      'other',
      { job_id: 'after_full', source_type: 'local', audio_path: 'audio.m4a' },
      {
        'audio.m4a': song,
      },
    );
    work = await mkdtemp(join(tmpdir(), 'imk-disk-full-'));
    const mnt = join(work, 'mnt');
    const out = join(work, 'out');
    await mkdir(mnt);
    await mkdir(out);
    const src = join(work, 'src');
    await cp(root, src, { recursive: true });
    const env = { MNT: mnt, SRC: src, OUT: out, IMK };
    const command =
      process.getuid?.() === 0 ? ['bash', '-c', SCENARIO] : ['unshare', '-Urm', 'bash', '-c', SCENARIO];
    const result = await execa(command[0]!, command.slice(1), {
      env,
      reject: false,
      all: true,
      timeout: 180_000,
    });
    const log = await readFile(join(out, 'worker.log'), 'utf8').catch(() => '');
    expect(result.exitCode, `${String(result.all)}\n${log}`).toBe(0);
    expect(log).toMatch(/disk full at start-up: waiting for space/);
    expect(await readFile(join(out, 'alive'), 'utf8')).toMatch(/alive/);
    expect((await readFile(join(out, 'exit'), 'utf8')).trim()).toBe('0');
    expect(await readdir(join(out, 'outputs', 'after_full'))).toContain('manifest.json');
  }, 200_000);
});
