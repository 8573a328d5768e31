import type { Logger } from "pino";
import type { Clock } from "../shared/clock.js";
import type { Store } from "../store/database.js";
import type { Links } from "../web/links.js";
import type { Environments } from "../config/environments.js";

export interface PlannerDeps {
  store: Store;
  clock: Clock;
  links: Links;
  log: Logger;
  defaultTimeoutMs: number;
  /** The deploy environments from the server's environments file. */
  environments: Environments;
  /** Tell this process's loops that rows are waiting (other processes poll). */
  wake(): void;
  /** Tell a build running in this process that it was asked to stop. */
  notifyCancel(buildId: number): void;
}
