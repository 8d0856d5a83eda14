export type {
  BackendContext,
  BackendFactory,
  PutRequest,
  PutResult,
  RemoteEntry,
  SyncBackend,
  VerifiedBy,
  VerifyMode,
} from './types.ts';
export { SYNC_ERRORS, isRetryable, isDestinationFault, isVerifyFinding, syncError } from './errors.ts';
export type { SyncErrorCode, SyncErrorPolicy } from './errors.ts';
export { BACKEND_TYPES, BackendOptionsSchema, createBackend, pathOnDestination } from './backends/index.ts';
export type { BackendOptions, BackendType } from './backends/index.ts';
export { LOCAL_BACKEND, LocalOptionsSchema, createLocalBackend } from './backends/local.ts';
export type { LocalOptions } from './backends/local.ts';
export { RSYNC_BACKEND, RsyncOptionsSchema, createRsyncBackend } from './backends/rsync.ts';
export type { RsyncBackend } from './backends/rsync.ts';
export type { RsyncOptions } from './backends/rsync.ts';
export { sweepRsyncLeftovers } from './backends/rsync-leftovers.ts';
export type { RsyncLeftover, SweepRsyncLeftoversOptions } from './backends/rsync-leftovers.ts';
export { SFTP_BACKEND, SftpOptionsSchema, createSftpBackend } from './backends/sftp.ts';
export type { SftpOptions } from './backends/sftp.ts';
export { S3_BACKEND, S3OptionsSchema, createS3Backend } from './backends/s3.ts';
export type { S3Options } from './backends/s3.ts';
export { RCLONE_BACKEND, RcloneOptionsSchema, createRcloneBackend } from './backends/rclone.ts';
export type { RcloneOptions } from './backends/rclone.ts';
export {
  DEFAULT_BACKEND,
  FILE_EXTENSIONS,
  RouteMatchSchema,
  RouteSchema,
  TEMPLATE_FIELDS,
  compileTemplate,
  fitName,
  renderTemplate,
  withFileName,
  routeMatches,
} from './routes.ts';
export type { CompiledTemplate, Route, RouteMatch, TemplateField, TemplateValues } from './routes.ts';
export { compileRoutes } from './plan.ts';
export { assertShareMounted, mountTables } from './util/mounts.ts';
export type { MountTables } from './util/mounts.ts';
export {
  CONFLICT_POLICIES,
  destinationKey,
  holdsPath,
  isAlteredCopy,
  numberedPath,
  pathHolders,
} from './conflicts.ts';
export type { ConflictPolicy, PathHolder } from './conflicts.ts';
export { folderSilent } from './places.ts';
export type { DestinationPlaces } from './places.ts';
export type {
  PlannedTransfer,
  TransferState,
  UnroutedArtifact,
  SkippedArtifact,
  RoutingProblem,
} from './plan.ts';
export { ReceiptStore, RECEIPTS_FILE_NAME, receiptsFile, receiptKey } from './receipts.ts';
export type { Receipt, ReceiptKey } from './receipts.ts';
export { RetryPolicySchema, DEFAULT_RETRY_POLICY, backoffMs } from './retry-policy.ts';
export type { RetryPolicy } from './retry-policy.ts';
export { createSyncEngine } from './engine.ts';
export { SHARE_TIMEOUT_RANGE_SEC, SYNC_DEFAULTS } from './defaults.ts';
export type { PassSummary, RunPassOptions, SyncEngine, SyncEngineOptions, SyncPlan } from './engine.ts';
export type { TransferOutcome } from './run-transfers.ts';
export type { VerifiedCopy, VerifyReport } from './verify.ts';
export { listCompleteJobs, readJobManifest, MANIFEST_FILE } from './manifests.ts';
export type { CompleteJob, JobManifest, SyncArtifact } from './manifests.ts';
export { BandwidthSchema, parseBandwidth } from './util/bandwidth.ts';
export { SecretPathSchema } from './util/secrets.ts';
export type { SecretPath } from './util/secrets.ts';
export { backendPrograms } from './util/programs.ts';
export type { BackendProgram } from './util/programs.ts';
