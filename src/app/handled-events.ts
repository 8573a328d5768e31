/**
 * Events Kickoff acts on. Everything else is acknowledged and recorded without its
 * payload, so unknown events and Kickoff's own check notifications cost one small row.
 */
const HANDLED: Record<string, ((action: string | null) => boolean) | undefined> = {
  push: () => true,
  pull_request: () => true,
};

export function isHandledEvent(event: string, action: string | null): boolean {
  return HANDLED[event]?.(action) ?? false;
}
