export { startNasSync, runNasSyncOnce, verifyNasSync } from './service.ts';
export type { NasSyncOptions, RunOnceOptions, RunOnceResult, VerifyResult } from './service.ts';
export { NasSyncSchema, NasSyncFileSchema, SERVICE_NAME, loadNasSyncConfig } from './config.ts';
export type { LoadedNasSync, NasSyncConfig } from './config.ts';
export { getSyncStatus, resetFailedTransfers } from './status.ts';
export type { RowConflict, StatusRow, SyncStatus } from './status.ts';
export { describeConflict, formatStatus, formatSummary, formatVerify } from './format.ts';
export { healthChecks } from './health.ts';
export { NAS_SYNC_ERRORS } from './errors.ts';
