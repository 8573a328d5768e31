// Kickoff's ingress alone, as `kickoff start` wires it: the same HTTP server, intake
// handler and SQLite store (WAL, synchronous=NORMAL). The planner is not started, so the
// measurement is verify + durable store + 2xx; the inbox is drained after the run.
import pino from "pino";
import { webhookIntake } from "../../src/app/intake/webhook-intake.js";
import { systemClock } from "../../src/shared/clock.js";
import { openStore } from "../../src/store/database.js";
import { InboxWriter } from "../../src/store/inbox-writer.js";
import { createHttpServer } from "../../src/web/http-server.js";

const port = Number(process.env.PORT ?? 3000);
const store = await openStore({ databaseUrl: null, dataDir: process.env.KICKOFF_DATA_DIR ?? ".kickoff-bench" });
const log = pino({ level: "warn" });
const server = createHttpServer(
  [{ method: "POST", path: "/api/github/webhooks", handler: webhookIntake({ inbox: new InboxWriter(store.db), clock: systemClock, secret: process.env.WEBHOOK_SECRET ?? "", log, onStored: () => {} }) }],
  log,
);
server.listen(port, "127.0.0.1", () => process.stdout.write("ready\n"));
