import { EXTRA_KEYS } from './extra-keys.ts';
import { LAYOUT_KEYS } from './layout-keys.ts';
import { NAS_KEYS } from './nas-keys.ts';
import { PROCESSING_KEYS } from './processing-keys.ts';
import { SERVICE_KEYS } from './service-keys.ts';
import type { LegacyKey } from './types.ts';

/** Every variable of the earlier version, with our setting or why there is none: the one table. */
export const LEGACY_KEYS: readonly LegacyKey[] = [
  ...LAYOUT_KEYS,
  ...PROCESSING_KEYS,
  ...SERVICE_KEYS,
  ...NAS_KEYS,
  ...EXTRA_KEYS,
];

export function legacyKey(key: string): LegacyKey | undefined {
  return LEGACY_KEYS.find((entry) => entry.key === key);
}
