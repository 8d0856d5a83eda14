export { createProgram, main } from './main.ts';
export type { CommandContext } from './context.ts';
