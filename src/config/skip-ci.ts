// Commit-message markers that start nothing, as GitHub Actions honours them, plus
// Kickoff's own. https://docs.github.com/actions/managing-workflow-runs/skipping-workflow-runs

const SKIP_MARKERS = ["[skip ci]", "[ci skip]", "[no ci]", "[skip kickoff]", "[kickoff skip]"];
// Actions also skips on a `skip-checks: true` trailer (alone on its line).
const SKIP_TRAILER = /^skip-checks:\s*true\s*$/im;

export function isSkipCi(message: string | null | undefined): boolean {
  if (message === null || message === undefined || message === "") return false;
  const lower = message.toLowerCase();
  return SKIP_MARKERS.some((marker) => lower.includes(marker)) || SKIP_TRAILER.test(message);
}
