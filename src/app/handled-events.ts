/**
 * Events Kickoff acts on. Everything else (including the `created` and `completed`
 * notifications of Kickoff's own check runs) is acknowledged and recorded without its
 * payload, so it costs one small row.
 */
const HANDLED: Record<string, ((action: string | null) => boolean) | undefined> = {
  push: () => true,
  pull_request: () => true,
  check_run: (action) => action === "rerequested" || action === "requested_action",
  check_suite: (action) => action === "rerequested",
  issue_comment: (action) => action === "created",
  deployment: (action) => action === "created",
};

export function isHandledEvent(event: string, action: string | null): boolean {
  return HANDLED[event]?.(action) ?? false;
}
