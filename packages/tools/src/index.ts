export { KNOWN_TOOLS, clearToolCache, defaultEnvVar, resolveTool } from './tool-resolver.ts';
export type { ResolveToolOptions, ToolSpec } from './tool-resolver.ts';
export { TOOLS_ERRORS } from './errors.ts';
export { OWN_PROCESS_GROUP, endToolGroups, trackToolGroup } from './tool-group.ts';
export { graceAfter } from './grace.ts';
export type { Grace } from './grace.ts';
