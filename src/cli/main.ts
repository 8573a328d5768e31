import { parseArgs, type ParseArgsConfig } from "node:util";
import { loadDotenvFile } from "./dotenv-file.js";
import { COMMAND_HELP, MAIN_HELP } from "./help-text.js";
import { UsageError } from "./usage-error.js";

type Options = NonNullable<ParseArgsConfig["options"]>;
type Values = Record<string, string | boolean | (string | boolean)[] | undefined>;

interface Command {
  options: Options;
  /** How many positional arguments it takes. */
  positionals: "none" | "at-most-one" | "any";
  /** Whether it reads ./.env (the server's settings). `run` and `lint` act on someone's repository, whose .env is theirs. */
  dotenv: boolean;
  run(values: Values, positionals: string[]): Promise<number>;
}

const HELP: Options = { help: { type: "boolean", short: "h" } };

// Command modules are imported when used: `kickoff lint` need not load Probot.
const COMMANDS: Record<string, Command> = {
  start: {
    options: { ...HELP, "no-worker": { type: "boolean" } },
    positionals: "none",
    dotenv: true,
    run: async (values) => (await import("./start-command.js")).serve({ server: true, worker: values["no-worker"] !== true }),
  },
  worker: {
    options: HELP,
    positionals: "none",
    dotenv: true,
    run: async () => (await import("./start-command.js")).serve({ server: false, worker: true }),
  },
  run: {
    options: { ...HELP, event: { type: "string" }, branch: { type: "string" }, dirty: { type: "boolean" }, concurrency: { type: "string" } },
    positionals: "any",
    dotenv: false,
    run: async (values, positionals) =>
      (await import("./run-command.js")).runCommand({
        pipelines: positionals,
        event: stringValue(values.event),
        branch: stringValue(values.branch),
        dirty: values.dirty === true,
        concurrency: stringValue(values.concurrency),
      }),
  },
  lint: {
    options: HELP,
    positionals: "at-most-one",
    dotenv: false,
    run: async (_values, positionals) => (await import("./lint-command.js")).lint(positionals[0]),
  },
  redeliver: {
    options: { ...HELP, since: { type: "string" }, "dry-run": { type: "boolean" } },
    positionals: "none",
    dotenv: true,
    run: async (values) => (await import("./redeliver-command.js")).redeliverCommand({ since: stringValue(values.since), dryRun: values["dry-run"] === true }),
  },
};

/** The `kickoff` command. Returns the exit code: 0 fine, 1 failed, 2 called wrongly. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    process.stdout.write(MAIN_HELP);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    const what = name.startsWith("-") ? `unknown option ${name}` : `unknown command "${name}"`;
    process.stderr.write(`kickoff: ${what} (commands: ${Object.keys(COMMANDS).join(", ")}; see kickoff --help)\n`);
    return 2;
  }
  try {
    const { values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals !== "none", strict: true });
    if (values.help === true) {
      process.stdout.write(COMMAND_HELP[name] ?? MAIN_HELP);
      return 0;
    }
    if (command.positionals === "at-most-one" && positionals.length > 1) throw new UsageError(`takes at most one argument, got ${positionals.length}`);
    if (command.dotenv) {
      const problem = loadDotenvFile();
      if (problem !== null) {
        process.stderr.write(`kickoff: ${problem}\n`);
        return 1;
      }
    }
    return await command.run(values, positionals);
  } catch (error) {
    const usage = usageMessage(error);
    if (usage !== null) {
      process.stderr.write(`kickoff ${name}: ${usage} (see kickoff ${name} --help)\n`);
      return 2;
    }
    // Never a stack trace for a newcomer: one line; KICKOFF_DEBUG=1 shows the rest.
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`kickoff ${name}: ${message.split("\n")[0]}\n`);
    if (process.env.KICKOFF_DEBUG && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

function stringValue(value: Values[string]): string | undefined {
  return typeof value === "string" ? value : undefined;
}

// Node's parseArgs messages carry advice about `--` that reads as noise here.
function usageMessage(error: unknown): string | null {
  if (error instanceof UsageError) return error.message;
  if (!(error instanceof TypeError) || !("code" in error)) return null;
  const code = String(error.code);
  const quoted = /'([^']+)'/.exec(error.message)?.[1];
  if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") return `unknown option ${quoted ?? ""}`.trim();
  if (code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return quoted ? `unexpected argument "${quoted}"` : "takes no arguments";
  if (code.startsWith("ERR_PARSE_ARGS")) return error.message.split(". ")[0] ?? error.message;
  return null;
}
