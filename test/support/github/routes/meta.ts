import { route, type Route } from "../http.js";
import type { StandInState } from "../state.js";

type S = StandInState;

/** GitHub's published webhook source ranges (GET /meta `hooks`), as github.com lists them. */
export const GITHUB_HOOK_RANGES = ["192.30.252.0/22", "185.199.108.0/22", "140.82.112.0/20", "143.55.64.0/20", "2a0a:a440::/29", "2606:50c0::/32"];

export function metaRoutes(): Route<S>[] {
  return [
    // Open to anyone, as on GitHub; only the fields Kickoff reads, plus a few neighbours.
    route<S>("GET", "/meta", "none", ({ state }) => ({
      status: 200,
      json: { verifiable_password_authentication: false, hooks: [...state.hookRanges], web: ["192.30.252.0/22"], api: ["192.30.252.0/22"], git: ["192.30.252.0/22"] },
    })),
  ];
}
