import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sweepWorkspaces } from "../../src/runner/workspace-sweep.js";
import type { Store } from "../../src/store/database.js";
import { newBuild } from "../support/builds.js";
import { storeKinds } from "../support/stores.js";

describe.each(storeKinds())("sweepWorkspaces ($name)", (kind) => {
  let store: Store & { cleanup(): Promise<void> };
  const tmp = mkdtempSync(path.join(os.tmpdir(), "kickoff-sweep-"));
  beforeAll(async () => {
    store = await kind.open();
  });
  afterAll(async () => {
    await store.cleanup();
    rmSync(tmp, { recursive: true, force: true });
  });

  it("removes the workspaces of finished and deleted builds, and keeps queued and running ones", async () => {
    const insert = async (status: "queued" | "running" | "done") =>
      Number((await store.db.insertInto("builds").values(newBuild({ status })).returning("id").executeTakeFirstOrThrow()).id);
    const ids = { done: await insert("done"), running: await insert("running"), queued: await insert("queued") };
    const deleted = ids.queued + 1000;
    const buildsDir = path.join(tmp, "builds");
    for (const id of [ids.done, ids.running, ids.queued, deleted]) {
      mkdirSync(path.join(buildsDir, String(id), "src", ".git"), { recursive: true });
      writeFileSync(path.join(buildsDir, String(id), "src", "file"), "x");
    }
    // Not a build's workspace: left alone.
    mkdirSync(path.join(buildsDir, "notes"));

    expect(await sweepWorkspaces(store.db, buildsDir)).toBe(2);
    expect(existsSync(path.join(buildsDir, String(ids.done)))).toBe(false);
    expect(existsSync(path.join(buildsDir, String(deleted)))).toBe(false);
    expect(existsSync(path.join(buildsDir, String(ids.running), "src", "file"))).toBe(true);
    expect(existsSync(path.join(buildsDir, String(ids.queued), "src", "file"))).toBe(true);
    expect(existsSync(path.join(buildsDir, "notes"))).toBe(true);
  });

  it("is fine without a builds directory", async () => {
    expect(await sweepWorkspaces(store.db, path.join(tmp, "never-made"))).toBe(0);
  });
});
