// The engines the registry makes, by name: in a file of their own (no engine loaded), so that a config
// schema can name them in its description without loading an engine.

export const ENGINE_NAMES = ['builtin', 'demucs', 'mdx'] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}
