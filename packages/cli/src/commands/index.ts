import type { Command } from 'commander';
import { registerSchema } from './schema.ts';

/** Each verb lives in its own file and registers itself here. */
export const COMMANDS: ((program: Command) => void)[] = [registerSchema];
