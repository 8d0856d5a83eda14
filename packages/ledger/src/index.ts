export { openLedger } from './ledger.ts';
export type { Ledger, OpenLedgerOptions } from './ledger.ts';
export { LEDGER_FILE_NAME, ledgerFile } from './open-database.ts';
export type { ProgressUpdate } from './progress-writer.ts';
export type { ListJobsOptions } from './queries.ts';
export { readProgress, subscribeProgress } from './subscribe.ts';
export type { ProgressReaderOptions, SubscribeProgressOptions } from './subscribe.ts';
export { openLedgerRecovering, rebuildLedger } from './rebuild.ts';
export { adoptOutputs } from './adopt-outputs.ts';
export type { AdoptedOutputs } from './adopt-outputs.ts';
export { recordQueuedCancel } from './record-cancel.ts';
export type { RebuildLedgerOptions, RebuildResult } from './rebuild.ts';
export { LEDGER_SCHEMA_VERSION } from './schema.ts';
export { LEDGER_STATES } from './types.ts';
export type {
  ArtifactRecord,
  ErrorRecord,
  ErrorRow,
  EventRow,
  JobDetail,
  JobFacts,
  JobRow,
  LedgerState,
  ProgressRow,
  StageOutcome,
  StageRecord,
  StageRow,
  StateChange,
} from './types.ts';
export { LEDGER_ERRORS } from './errors.ts';
export { LEDGER_DEFAULTS } from './defaults.ts';
