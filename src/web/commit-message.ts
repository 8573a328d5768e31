import type { Kysely } from "kysely";
import type { Build, Database } from "../store/schema.js";

/**
 * What the commit says, for the build page: the head commit's message of the push that
 * started the build, or the pull request's title. Builds do not store it; the delivery
 * that started them does (until retention removes it), and only one page reads it.
 */
export async function commitMessage(db: Kysely<Database>, build: Build): Promise<{ label: string; text: string } | null> {
  if (build.trigger_delivery === null) return null;
  const row = await db.selectFrom("deliveries").select("payload").where("id", "=", build.trigger_delivery).executeTakeFirst();
  if (!row) return null;
  let payload: { head_commit?: { id?: unknown; message?: unknown } | null; pull_request?: { title?: unknown } | null };
  try {
    payload = JSON.parse(row.payload) as typeof payload;
  } catch {
    return null;
  }
  if (payload.head_commit?.id === build.sha && typeof payload.head_commit.message === "string") return { label: "Message", text: payload.head_commit.message };
  if (typeof payload.pull_request?.title === "string") return { label: "Pull request title", text: payload.pull_request.title };
  return null;
}
