import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";

/**
 * Starts a worker thread that runs `body` with `db` (its own better-sqlite3 connection to
 * `file`), `parentPort` and `workerData` in scope.
 */
export function startSqliteThread(file: string, body: string, data: Record<string, unknown> = {}): Worker {
  const module = pathToFileURL(createRequire(import.meta.url).resolve("better-sqlite3")).href;
  // import(), not require: eval code is CommonJS or an ES module depending on the flags
  // node was started with (tsx runs it with --input-type=module); import() works in both.
  // A failure rejects the function's promise, which ends the thread with an error its
  // owner hears. No execArgv: a loader the main thread was started with is not needed.
  // better-sqlite3's errors do not cross threads whole (they arrive without a message), so
  // a failure is rethrown as a plain Error with the message and code.
  const code = `(async () => {
  const { parentPort, workerData } = await import("node:worker_threads");
  const { default: Database } = await import(workerData.module);
  const db = new Database(workerData.file, { fileMustExist: true });
${body}
})().catch((error) => {
  const plain = new Error(String((error && error.message) || error));
  plain.code = error && error.code;
  throw plain;
});`;
  return new Worker(code, { eval: true, execArgv: [], workerData: { ...data, file, module } });
}
