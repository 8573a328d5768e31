import type { Logger } from "pino";
import type { PlannerDeps } from "../planner/planner-deps.js";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import type { AdminAuth } from "./admin-session.js";
import type { Assets } from "./assets.js";

/** What the pages and their endpoints need. */
export interface WebDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  /** Signs build links (`?token=`). */
  signingKey: string;
  auth: AdminAuth;
  assets: Assets;
  /** For the admin's cancel and re-run buttons. */
  control: PlannerDeps;
  /** Mark the session cookie `Secure` (the public URL is https). */
  secureCookies: boolean;
  /** How often a live page's event stream looks for new log chunks (ms). */
  livePollMs?: number;
}
