import { loadSettings, missingAppCredentials, SettingsError } from "../config/settings.js";
import { createLogger } from "../shared/logger.js";
import { credentialsHelp } from "./credentials-help.js";

export interface ServeOptions {
  server: boolean;
  worker: boolean;
}

/** `kickoff start` and `kickoff worker`: run until SIGINT or SIGTERM. */
export async function serve(options: ServeOptions, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let settings;
  try {
    settings = loadSettings(env);
  } catch (error) {
    if (error instanceof SettingsError) {
      process.stderr.write(`kickoff: invalid setting ${error.message}\n`);
      return 1;
    }
    throw error;
  }
  const missing = missingAppCredentials(settings).filter((m) => options.server || m !== "WEBHOOK_SECRET");
  if (missing.length > 0) {
    process.stderr.write(`${credentialsHelp(missing, options.server ? "npm start" : "kickoff worker")}\n`);
    return 1;
  }
  const log = createLogger(settings.logLevel, settings.logFormat);
  let kickoff;
  try {
    // Imported only now: a first run without credentials answers without loading Probot.
    const { startKickoff } = await import("../kickoff.js");
    kickoff = await startKickoff({ settings, log, server: options.server, worker: options.worker });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kickoff: could not start: ${message.split("\n")[0]}\n`);
    return 1;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      log.info({ signal }, "shutting down");
      resolve();
    };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  await kickoff.close();
  log.flush();
  return 0;
}
