import { describe, expect, it } from "vitest";
import { LogTail, stripAnsi } from "../../src/runner/log-tail.js";

describe("LogTail", () => {
  it("keeps everything while under the limit", () => {
    const tail = new LogTail(100);
    tail.push(Buffer.from("one\n"));
    tail.push(Buffer.from("two\n"));
    expect(tail.text()).toBe("one\ntwo\n");
    expect(tail.totalBytes).toBe(8);
  });

  it("keeps the end and drops the first partial line when truncated", () => {
    const tail = new LogTail(10);
    for (const part of ["line 1\n", "line 2\n", "line 3\n"]) tail.push(Buffer.from(part));
    // The last 10 bytes are "2\nline 3\n"; "2" is a partial line.
    expect(tail.text()).toBe("line 3\n");
    expect(tail.totalBytes).toBe(21);
  });

  it("keeps a partial line when it is all there is", () => {
    const tail = new LogTail(5);
    tail.push(Buffer.from("abcdefghij"));
    expect(tail.text()).toBe("fghij");
  });

  it("handles a single chunk larger than the limit", () => {
    const tail = new LogTail(8);
    tail.push(Buffer.from("aaaa\nbbbb\ncccc\n"));
    expect(tail.text()).toBe("cccc\n");
  });

  it("never starts inside a multi-byte character", () => {
    // 6 bytes of "€€" (3 bytes each) preceded by ASCII; a 5-byte window starts mid-€.
    const tail = new LogTail(5);
    tail.push(Buffer.from("ab€€"));
    expect(tail.text()).toBe("€");
  });

  it("never ends inside a multi-byte character still being written", () => {
    const tail = new LogTail(100);
    const euro = Buffer.from("€");
    tail.push(Buffer.concat([Buffer.from("price: "), euro.subarray(0, 2)]));
    expect(tail.text()).toBe("price: ");
    tail.push(euro.subarray(2));
    expect(tail.text()).toBe("price: €");
  });

  it("produces no replacement characters for any cut of multi-byte text", () => {
    const text = "😀é€a\n".repeat(20);
    for (let max = 1; max < 40; max++) {
      const tail = new LogTail(max);
      for (const byte of Buffer.from(text)) tail.push(Buffer.from([byte]));
      expect(tail.text()).not.toContain("\uFFFD");
      expect(Buffer.byteLength(tail.text())).toBeLessThanOrEqual(max);
    }
  });

  it("keeps memory near the limit", () => {
    const tail = new LogTail(1024);
    for (let i = 0; i < 10_000; i++) tail.push(Buffer.alloc(100, 0x61));
    expect(tail.totalBytes).toBe(1_000_000);
    expect(tail.text()).toHaveLength(1024);
  });
});

describe("stripAnsi", () => {
  it("removes colours and other escape sequences", () => {
    expect(stripAnsi("\u001b[31mred\u001b[0m \u001b[1;32mbold green\u001b[m")).toBe("red bold green");
    expect(stripAnsi("\u001b]8;;https://example.com\u0007link\u001b]8;;\u0007")).toBe("link");
    expect(stripAnsi("plain\ttext\n")).toBe("plain\ttext\n");
  });
});
