// `kickoff --help` and `kickoff <command> --help`. Every option a command accepts is
// described here; main.ts rejects anything else.

export const MAIN_HELP = `Usage: kickoff <command> [options]

Commands:
  start [--no-worker]            the bot: webhook intake, planner, reports, build pages and a worker
  worker                         only run builds (shares the queue through a PostgreSQL DATABASE_URL)
  run [pipeline…]                run this repository's .github/kickoff.yml pipelines here, as the bot would
  lint [file]                    check a .github/kickoff.yml and warn about likely mistakes
  redeliver [--since 24h]        ask GitHub to redeliver webhooks that failed (say, while Kickoff was down)

Options:
  -h, --help                     this help; \`kickoff <command> --help\` describes a command

start, worker and redeliver read settings from the environment and ./.env (see .env.example).
`;

export const COMMAND_HELP: Record<string, string> = {
  start: `Usage: kickoff start [--no-worker]

Runs the bot: webhook intake, planner, GitHub reports, build pages and (unless
--no-worker) a build worker, until SIGINT or SIGTERM. Settings come from the environment
and ./.env; without GitHub App credentials it prints which ones to set.

Options:
  --no-worker      serve webhooks and pages only; builds run in \`kickoff worker\` processes
  -h, --help       this help
`,
  worker: `Usage: kickoff worker

Runs builds only: no HTTP, no webhooks. Useful with a PostgreSQL DATABASE_URL shared with
a \`kickoff start --no-worker\`. Needs APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH).

Options:
  -h, --help       this help
`,
  run: `Usage: kickoff run [options] [pipeline…]

Runs the pipelines of the current git repository's .github/kickoff.yml on this machine,
the way the bot would: a fresh checkout of HEAD (a local clone, no network), a clean
environment, the pipeline's timeout, \`needs\` order (a failed need skips its dependents),
annotations and KICKOFF_SUMMARY. No GitHub account needed.

Without names it runs the pipelines the event would start (deploy pipelines only when
named; \`paths\` filters are not applied). With names it runs those pipelines, whatever
their triggers, and the pipelines they need.

Options:
  --event EVENT      push (default) or pull_request
  --branch NAME      the pushed branch, or the pull request's base branch
                     (default: the current branch)
  --dirty            run in the work tree as it is, uncommitted changes included,
                     instead of a fresh checkout of HEAD
  --concurrency N    pipelines at once (default: the number of CPUs)
  -h, --help         this help

Exit code: 0 when every pipeline it ran succeeded, 1 otherwise, 130 after Ctrl-C
(Ctrl-C cancels the running pipelines; a second one kills them at once).
`,
  lint: `Usage: kickoff lint [file]

Checks a kickoff configuration (default: .github/kickoff.yml) and prints every problem as
\`file:line:col: error: message\`, then warnings for likely mistakes: a pipeline no event
can start, and a \`paths\`/\`paths-ignore\` pattern that matches no file of the git
repository the file is in.

Options:
  -h, --help       this help

Exit code: 0 when the file is valid (warnings or not), 1 on errors.
`,
  redeliver: `Usage: kickoff redeliver [--since DURATION] [--dry-run]

Asks GitHub to redeliver every webhook delivery to this App that failed since the given
time and did not succeed later, once each (the App's hook deliveries API). Kickoff ignores
deliveries it already has, so this is safe to repeat. Needs APP_ID and PRIVATE_KEY (or
PRIVATE_KEY_PATH), and GHE_HOST for GitHub Enterprise Server, from the environment or .env.

Options:
  --since DURATION   how far back to look, e.g. 30m, 6h, 3d (default: 24h)
  --dry-run          only list what would be redelivered
  -h, --help         this help

Exit code: 0 when every redelivery request was accepted, 1 otherwise.
`,
};
