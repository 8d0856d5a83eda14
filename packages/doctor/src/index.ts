export { createDoctor, formatReport } from './registry.ts';
export type { CheckOutcome, Doctor, DoctorReport } from './registry.ts';
export type { CheckResult, CheckStatus, DoctorCheck, DoctorContext } from './types.ts';
export { toolCheck } from './checks/tool.ts';
export type { ToolCheckOptions } from './checks/tool.ts';
export { freeDiskCheck, nearestExisting, queuesWritableCheck } from './checks/queues.ts';
export type { DiskCheckOptions } from './checks/queues.ts';
export { ffmpegChecks, systemChecks } from './checks/system.ts';
export { DOCTOR_ERRORS } from './errors.ts';
