export { fsyncDir, fsyncFile, fsyncTree, writeFileAtomic, writeJsonAtomic } from './atomic.ts';
export type { WriteFileAtomicOptions } from './atomic.ts';
export type { FsyncTreeOptions } from './atomic.ts';
export {
  digestFile,
  digestHandle,
  sha256AndBytes,
  sha256AndBytesOf,
  sha256File,
  sha256Buffer,
} from './hash.ts';
export type { DigestOptions } from './hash.ts';
export { MAX_NAME_BYTES, fitBytes, fitName, safeFileName, windowsNameProblem } from './file-name.ts';
export { pathExists } from './exists.ts';
export { CLOCK_CHECK_PREFIX, fileSystemNow, passClock } from './fs-clock.ts';
export { moveNoClobber, moveToFreeName, writeFileNoClobber } from './no-clobber.ts';
export type { MoveToFreeNameOptions } from './no-clobber.ts';
export { copyOpenedFile, copyUntrustedFile } from './copy-untrusted.ts';
export type { CopiedFile, CopyOpenedOptions } from './copy-untrusted.ts';
export { listEntriesOrEmpty, listNamesOrEmpty } from './list-names.ts';
export { listNamesNotUtf8, mayNotBeUtf8, renameNamesNotUtf8, showName } from './names-not-utf8.ts';
export type { NameNotUtf8, RenameLogger, RenameNamesOptions, RenamedEntry } from './names-not-utf8.ts';
export {
  UntrustedFileError,
  appendUntrustedFile,
  assertRegularIfPresent,
  openUntrusted,
  readUntrustedFile,
  readUntrustedText,
  readUntrustedTextIfThere,
  untrustedErrnoError,
} from './untrusted.ts';
export type { UntrustedFileCode, UntrustedOpenOptions } from './untrusted.ts';
export { MAX_JSON_DEPTH, jsonDepth, parseUntrustedJson, readUntrustedJson } from './untrusted-json.ts';
export type { UntrustedJsonOptions } from './untrusted-json.ts';
export { assertRealFolder, equivalentName, lstatAnySpelling, openInside, resolveInside } from './contain.ts';
export type { ContainOptions, PathOutsideReason } from './contain.ts';
export { DEFAULT_TEXT_CAP, capText, cutText } from './cap.ts';
export { assertDatabaseIntact, corruptName, isCorruptDatabase, moveCorruptAside } from './corrupt-file.ts';
export { FS_SAFE_ERRORS } from './errors.ts';
export { describeKind } from './file-kind.ts';
export type { FileKindInfo } from './file-kind.ts';
export { isNoRoomError, writeError } from './write-error.ts';
export { writeFully } from './write-fully.ts';
export {
  FILE_TOO_BIG,
  NOT_REGULAR_FILE,
  REGULAR_FILE_MAX_BYTES,
  fileReadProblem,
  openRegularFile,
  openRegularFileSync,
  readRegularFile,
  readRegularFileSync,
} from './regular-file.ts';
export { processAlive } from './process-alive.ts';
export { decodeUtf16WithBom, decodeUtf8OrWindows1252 } from './text-encoding.ts';
