/** A `/kickoff` command from a pull request comment. */
export type CommentCommand = { name: "run"; pipeline: string | null } | { name: "cancel" } | { name: "approve" } | { name: "unknown"; text: string };

export const COMMAND_HELP = [
  "`/kickoff run` runs every pipeline a pull request starts, on the head commit",
  "`/kickoff run <pipeline>` runs one pipeline (and the `needs` it lacks), whatever its triggers",
  "`/kickoff cancel` cancels every queued or running build of this pull request",
  "`/kickoff approve` lets a fork's head commit run",
].join("\n- ");

/** The first line starting with `/kickoff`, or null when the comment holds no command. */
export function parseCommentCommand(body: string): CommentCommand | null {
  const line = body
    .split(/\r?\n/)
    .map((l) => l.trim())
    .find((l) => /^\/kickoff(\s|$)/.test(l));
  if (line === undefined) return null;
  const [, verb = "", ...rest] = line.split(/\s+/);
  if (verb === "run" && rest.length <= 1) return { name: "run", pipeline: rest[0] ?? null };
  if (verb === "cancel" && rest.length === 0) return { name: "cancel" };
  if (verb === "approve" && rest.length === 0) return { name: "approve" };
  return { name: "unknown", text: line.slice(0, 100) };
}
