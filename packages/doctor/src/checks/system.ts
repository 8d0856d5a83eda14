import type { DoctorCheck } from '../types.ts';
import { freeDiskCheck, queuesWritableCheck } from './queues.ts';
import { toolCheck } from './tool.ts';

/** ffmpeg and ffprobe: doctor's, and the running worker's (without them every job fails). */
export function ffmpegChecks(): DoctorCheck[] {
  return [
    toolCheck('ffmpeg', { install: 'sudo apt-get install -y ffmpeg (or set IMK_FFMPEG to its path)' }),
    toolCheck('ffprobe', {
      install: 'sudo apt-get install -y ffmpeg (it ships ffprobe; or set IMK_FFPROBE)',
    }),
  ];
}

/** Checks every installation needs: ffmpeg and ffprobe, writable queue folders, free disk. */
export function systemChecks(): DoctorCheck[] {
  return [...ffmpegChecks(), queuesWritableCheck, freeDiskCheck()];
}
