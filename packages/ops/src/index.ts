export {
  DiskGuardConfigSchema,
  FIRST_CLEANUP_AFTER_MS,
  OPERATIONS_SERVICE,
  OperationsConfigSchema,
  RetentionConfigSchema,
  bytesFromMb,
  loadOperationsConfig,
} from './config.ts';
export type { DiskGuardConfig, OperationsConfig, RetentionConfig } from './config.ts';
export { DEFAULT_DISK_CHECK_SECONDS, createDiskGuard, measureDiskSpace } from './disk-guard.ts';
export type { DiskGuard, DiskGuardOptions, DiskGuardStatus, DiskSpace } from './disk-guard.ts';
export { openDiskGuard } from './shared-disk-guard.ts';
export type { OpenDiskGuardOptions } from './shared-disk-guard.ts';
export { applyCleanup, planCleanup, treeBytes } from './retention.ts';
export type { CleanupEntry, CleanupPlan, CleanupProblem, PlanOptions, RetentionTarget } from './retention.ts';
export {
  ARCHIVE_SUBDIRS,
  CACHE_DIR,
  PROBLEM_FIX,
  TEMP_DIR,
  describeReason,
  hostClockNote,
  retentionTargets,
  runCleanup,
  startCleanupSchedule,
} from './cleanup.ts';
export type { CleanupOptions, CleanupReport, CleanupScheduleOptions } from './cleanup.ts';
export {
  HEALTH_DIR,
  HEALTHCHECK_MAX_AGE_SECONDS,
  HEARTBEAT_INTERVAL_MS,
  heartbeatFile,
  readHeartbeat,
  startHeartbeat,
} from './heartbeat.ts';
export type { Heartbeat, HeartbeatOptions, Heartbeats } from './heartbeat.ts';
