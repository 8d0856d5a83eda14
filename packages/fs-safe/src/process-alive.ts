/**
 * Whether a process of this host with this pid exists (a writer named in a marker, a heartbeat or a runner
 * record): `kill(pid, 0)` succeeds, or is refused for want of permission (it exists, another user's).
 * Only meaningful for a pid written on this host.
 */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
