// What doctor needs to check MDX-Net models and ONNX Runtime, without loading the engines (`@imk/separation/models`).
export { checkMdxRuntime, describeUnusedProviders } from './mdx/model-session.ts';
export type { UnusedProvider } from './mdx/model-session.ts';
export { inspectMdxModel } from './mdx/inspect.ts';
export {
  configuredModelsPath,
  listMdxModelFiles,
  modelsDir,
  modelsFolderPath,
  resolveModelInFolder,
  MODELS_FOLDER,
} from './mdx/models-folder.ts';
export type { MdxModelReport } from './mdx/inspect.ts';
