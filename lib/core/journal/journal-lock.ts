import { readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { JournalLockedError } from '../errors/journal.error.js';

const LOCK_FILE = 'LOCK';

function isErrno(error: unknown, code: string): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === code;
}

function readFileSyncSafe(path: string): string {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return '';
  }
}

function isAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return isErrno(error, 'EPERM');
  }
}

/**
 * Take the `LOCK` file of a journal directory (it holds the writer's pid). A lock left by a
 * dead process (e.g. killed) is taken over.
 * @throws JournalLockedError when a live process holds it
 * @internal
 */
export function acquireJournalLock(directory: string): void {
  const path = join(directory, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      return;
    } catch (error) {
      if (!isErrno(error, 'EEXIST')) throw error;
    }
    const pid = Number(readFileSyncSafe(path));
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new JournalLockedError(directory, pid);
    }
    // Stale lock of a dead writer: take it over.
    try {
      unlinkSync(path);
    } catch (error) {
      if (!isErrno(error, 'ENOENT')) throw error;
    }
  }
  throw new JournalLockedError(directory, Number(readFileSyncSafe(path)));
}

/** Remove the `LOCK` file if this process holds it. Best effort. @internal */
export function releaseJournalLock(directory: string): void {
  const path = join(directory, LOCK_FILE);
  try {
    if (readFileSyncSafe(path) === String(process.pid)) unlinkSync(path);
  } catch {
    // A leftover lock of a dead process is taken over on the next open.
  }
}
