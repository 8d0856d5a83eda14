import type { Command } from 'commander';
import { registerEval } from './eval.ts';
import { registerSchema } from './schema.ts';
import { registerSeparate } from './separate.ts';

/** Each verb lives in its own file and registers itself here. */
export const COMMANDS: ((program: Command) => void)[] = [registerSchema, registerSeparate, registerEval];
