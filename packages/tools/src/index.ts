export { KNOWN_TOOLS, clearToolCache, defaultEnvVar, resolveTool } from './tool-resolver.ts';
export type { ResolveToolOptions, ToolSpec } from './tool-resolver.ts';
export { TOOLS_ERRORS } from './errors.ts';
