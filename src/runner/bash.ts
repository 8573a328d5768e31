import { existsSync } from "node:fs";

/** The bash that runs scripts (and starts git); resolved once, not through PATH each time. */
export const BASH = ["/bin/bash", "/usr/bin/bash", "/usr/local/bin/bash"].find((p) => existsSync(p)) ?? "bash";
