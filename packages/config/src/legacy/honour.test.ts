import { describe, expect, it } from 'vitest';
import { warnLegacyEnv } from './honour.ts';

// warnLegacyEnv kept the variables it had warned of in one module-level set for the whole process: a second
// command run in the same process (a test, a service started again) heard nothing of them. Each command
// calls it once as it starts, so one warning per variable needs no memory between calls.
describe('warnLegacyEnv', () => {
  const env = { TARGET_LUFS: '-14', OUTPUTS_DIR: '/old/outputs', PATH: '/usr/bin' };
  const listener = () => {
    const said: string[] = [];
    return { said, warn: (fields: Record<string, unknown>) => said.push(String(fields.legacy_variable)) };
  };

  it('warns once of each variable of the earlier version, to every logger that asks', () => {
    const first = listener();
    const second = listener();
    warnLegacyEnv(first, env);
    warnLegacyEnv(second, env);
    expect(first.said.sort()).toEqual(['OUTPUTS_DIR', 'TARGET_LUFS']);
    expect(second.said.sort()).toEqual(['OUTPUTS_DIR', 'TARGET_LUFS']);
  });
});
