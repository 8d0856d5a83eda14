export { startSshd } from './sshd.ts';
export type { SshdServer, StartSshdOptions } from './sshd.ts';
export { startS3rver } from './s3rver.ts';
export type { S3Server } from './s3rver.ts';
export { startRcloneSftp } from './rclone-sftp.ts';
export type { RcloneServers } from './rclone-sftp.ts';
export { alive, descendants, freePort, waitForExit, waitForPort } from './processes.ts';
export { SSHFS_QUEUE_OPTIONS, mountSshfs, sshfsUsable } from './sshfs.ts';
export type { SshfsMount } from './sshfs.ts';
