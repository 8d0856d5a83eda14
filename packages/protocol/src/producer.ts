import { hostname } from 'node:os';

/** The `producer` block every document we write carries. */
export function producerInfo(
  name: string,
  version = '0.1.0',
): { name: string; version: string; host: string } {
  return { name, version, host: hostname() };
}
