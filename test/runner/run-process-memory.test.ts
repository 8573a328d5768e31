import os from "node:os";
import { describe, expect, it } from "vitest";
import { AnnotationCollector } from "../../src/runner/annotations.js";
import { LineSplitter } from "../../src/runner/line-splitter.js";
import { LogTail } from "../../src/runner/log-tail.js";
import { runProcess } from "../../src/runner/run-process.js";

// Its own file, so that vitest runs it in its own process and RSS means something.
describe("runProcess with a lot of output", () => {
  it("keeps memory bounded for 50 MB of output", async () => {
    const tail = new LogTail(64 * 1024);
    const lines = new LineSplitter();
    const annotations = new AnnotationCollector();
    global.gc?.();
    const before = process.memoryUsage.rss();
    let peak = before;
    let sampled = 0;
    const result = await runProcess({
      // Short lines, then 20 MB without a newline. (`yes` dies of SIGPIPE, which pipefail
      // would turn into exit 141.)
      script: "(yes 'some ordinary build output line' || true) | head -c 30000000; head -c 20000000 /dev/zero | tr '\\0' x",
      cwd: os.tmpdir(),
      env: { PATH: "/usr/bin:/bin" },
      timeoutMs: 120_000,
      onOutput: (chunk) => {
        tail.push(chunk);
        for (const line of lines.push(chunk)) annotations.push(line);
        if (++sampled % 64 === 0) peak = Math.max(peak, process.memoryUsage.rss());
      },
    });
    peak = Math.max(peak, process.memoryUsage.rss());
    const growthMb = (peak - before) / 2 ** 20;
    console.log(`RSS growth for 50 MB of output: ${growthMb.toFixed(1)} MB`);
    expect(result.exitCode).toBe(0);
    expect(tail.totalBytes).toBe(50_000_000);
    expect(tail.text().length).toBeLessThanOrEqual(64 * 1024);
    expect(growthMb).toBeLessThan(64);
  });
});
