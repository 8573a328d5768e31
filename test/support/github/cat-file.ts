import { type ChildProcess, spawn } from "node:child_process";
import { gitEnv } from "./git.js";

export interface CatFileObject {
  oid: string;
  type: string;
  content: Buffer;
}

/**
 * One long-running `git cat-file --batch` per repository, so reading a file at a commit
 * costs a pipe round trip instead of several git processes. GitHub answers such reads
 * from caches; spawning git per request made the stand-in, not Kickoff, dominate the
 * latency benchmarks.
 */
export class CatFile {
  private child: ChildProcess | null = null;
  private buffer = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve(o: CatFileObject | null): void; reject(e: Error): void }> = [];

  constructor(
    private readonly cwd: string,
    private readonly home: string,
  ) {}

  /** `object` is anything `git cat-file` names: a sha, `sha:path`, `sha^{commit}`. */
  read(object: string): Promise<CatFileObject | null> {
    if (/[\r\n]/.test(object)) return Promise.resolve(null);
    const child = this.start();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      child.stdin!.write(`${object}\n`);
    });
  }

  close(): void {
    this.child?.stdin?.end();
    this.child?.kill();
    this.child = null;
  }

  private start(): ChildProcess {
    if (this.child) return this.child;
    const child = spawn("git", ["cat-file", "--batch"], { cwd: this.cwd, env: gitEnv(this.home), stdio: ["pipe", "pipe", "ignore"] });
    child.stdout!.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.drain();
    });
    child.once("exit", () => {
      if (this.child === child) this.child = null;
      for (const w of this.waiting.splice(0)) w.reject(new Error("git cat-file exited"));
    });
    this.child = child;
    return child;
  }

  private drain(): void {
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl === -1) return;
      const header = this.buffer.subarray(0, nl).toString("utf8");
      if (header.endsWith(" missing") || header.endsWith(" ambiguous")) {
        this.buffer = this.buffer.subarray(nl + 1);
        this.waiting.shift()?.resolve(null);
        continue;
      }
      const [oid = "", type = "", size = "0"] = header.split(" ");
      const end = nl + 1 + Number(size);
      if (this.buffer.length < end + 1) return;
      const content = Buffer.from(this.buffer.subarray(nl + 1, end));
      this.buffer = this.buffer.subarray(end + 1);
      this.waiting.shift()?.resolve({ oid, type, content });
    }
  }
}
