// Kickoff's ingress alone, as `kickoff start` wires it: the same HTTP server, intake
// handler, group-committing inbox and SQLite store (WAL, synchronous=NORMAL), loaded from
// the compiled dist/ (run `npm run build` first). The planner is not started, so this
// measures verify + durable store + 2xx; the stored deliveries are counted afterwards.
import pino from "pino";

const load = <T>(module: string): Promise<T> => import(new URL(`../../dist/${module}`, import.meta.url).href) as Promise<T>;
const { webhookIntake } = await load<typeof import("../../src/app/intake/webhook-intake.js")>("app/intake/webhook-intake.js");
const { systemClock } = await load<typeof import("../../src/shared/clock.js")>("shared/clock.js");
const { openStore } = await load<typeof import("../../src/store/database.js")>("store/database.js");
const { InboxWriter } = await load<typeof import("../../src/store/inbox-writer.js")>("store/inbox-writer.js");
const { createHttpServer } = await load<typeof import("../../src/web/http-server.js")>("web/http-server.js");

const port = Number(process.env.PORT ?? 3000);
const store = await openStore({ databaseUrl: null, dataDir: process.env.KICKOFF_DATA_DIR ?? ".kickoff-bench" });
const log = pino({ level: "warn" });
const server = createHttpServer(
  [
    {
      method: "POST",
      path: "/api/github/webhooks",
      handler: webhookIntake({ inbox: new InboxWriter(store.db), clock: systemClock, secret: process.env.WEBHOOK_SECRET ?? "", log, onStored: () => {} }),
    },
  ],
  log,
);
server.listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
// A normal exit, so `--cpu-prof` can write its profile when the benchmark stops the server.
process.once("SIGINT", () => server.close(() => process.exit(0)));
