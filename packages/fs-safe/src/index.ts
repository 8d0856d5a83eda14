export { fsyncDir, fsyncFile, fsyncTree, writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export { digestFile, sha256File, sha256Buffer } from './hash.ts';
export { safeFileName } from './file-name.ts';
export { pathExists } from './exists.ts';
