import { parseArgs } from "node:util";
import { config as loadDotenv } from "dotenv";
import { lint } from "./lint-command.js";
import { serve } from "./start-command.js";

const USAGE = `Usage: kickoff <command> [options]

Commands:
  start [--no-worker]   webhook intake, planner, reports, dashboard and (unless --no-worker) a worker
  worker                only run builds (needs a shared PostgreSQL DATABASE_URL to be useful)
  lint [file]           validate a .github/kickoff.yml (default: ./.github/kickoff.yml)

Settings come from the environment and ./.env; see .env.example.
`;

/** The `kickoff` command. Returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case "start": {
        const { values } = parseArgs({ args: rest, options: { "no-worker": { type: "boolean", default: false }, help: { type: "boolean", short: "h" } }, strict: true });
        if (values.help) return help();
        loadDotenv({ quiet: true });
        return await serve({ server: true, worker: !values["no-worker"] });
      }
      case "worker": {
        const { values } = parseArgs({ args: rest, options: { help: { type: "boolean", short: "h" } }, strict: true });
        if (values.help) return help();
        loadDotenv({ quiet: true });
        return await serve({ server: false, worker: true });
      }
      case "lint": {
        const { values, positionals } = parseArgs({ args: rest, options: { help: { type: "boolean", short: "h" } }, allowPositionals: true, strict: true });
        if (values.help) return help();
        if (positionals.length > 1) throw new TypeError("lint takes at most one file");
        return await lint(positionals[0]);
      }
      case undefined:
      case "help":
      case "--help":
      case "-h":
        return help();
      default:
        process.stderr.write(`kickoff: unknown command "${command}"\n\n${USAGE}`);
        return 2;
    }
  } catch (error) {
    if (error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS")) {
      process.stderr.write(`kickoff: ${error.message}\n`);
      return 2;
    }
    if (error instanceof TypeError) {
      process.stderr.write(`kickoff: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
}

function help(): number {
  process.stdout.write(USAGE);
  return 0;
}
