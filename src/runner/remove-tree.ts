import { chmod, lstat, readdir, rm } from "node:fs/promises";
import path from "node:path";

/**
 * `rm -rf`, also for trees a build made read-only (Go's module cache, `chmod -R a-w`),
 * which a plain recursive rm cannot empty.
 */
export async function removeTree(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 2 });
    return;
  } catch (error) {
    if (!isPermissionError(error)) throw error;
  }
  await makeWritable(dir);
  await rm(dir, { recursive: true, force: true, maxRetries: 2 });
}

async function makeWritable(dir: string): Promise<void> {
  const stat = await lstat(dir).catch(() => null);
  // Only real directories: chmod on a symlink would change whatever it points to.
  if (stat === null || !stat.isDirectory()) return;
  await chmod(dir, 0o700).catch(() => undefined);
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (entry.isDirectory()) await makeWritable(path.join(dir, entry.name));
  }
}

function isPermissionError(error: unknown): boolean {
  const code = typeof error === "object" && error !== null && "code" in error ? error.code : null;
  return code === "EACCES" || code === "EPERM";
}
