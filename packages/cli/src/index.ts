export { createProgram, main } from './main.ts';
export type { CommandContext } from './context.ts';
export { CLI_ERRORS } from './errors.ts';
