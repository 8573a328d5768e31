import { describe, expect, it } from "vitest";
import { LineSplitter } from "../../src/runner/line-splitter.js";

function splitAll(chunks: Array<string | Buffer>, max?: number): string[] {
  const splitter = new LineSplitter(max);
  return [...chunks.flatMap((chunk) => splitter.push(chunk)), ...splitter.end()];
}

describe("LineSplitter", () => {
  it("splits on \\n and \\r\\n", () => {
    expect(splitAll(["a\nb\r\nc\n"])).toEqual(["a", "b", "c"]);
  });

  it("keeps a bare \\r inside a line", () => {
    expect(splitAll(["progress 1\rprogress 2\n"])).toEqual(["progress 1\rprogress 2"]);
  });

  it("joins partial lines across chunks, \\r\\n split between chunks included", () => {
    expect(splitAll(["hel", "lo\r", "\nwor", "ld\n"])).toEqual(["hello", "world"]);
  });

  it("returns the unterminated last line at the end, and nothing more", () => {
    const splitter = new LineSplitter();
    expect(splitter.push("a\nb")).toEqual(["a"]);
    expect(splitter.end()).toEqual(["b"]);
    expect(splitter.end()).toEqual([]);
  });

  it("keeps empty lines", () => {
    expect(splitAll(["\n\na\n\n"])).toEqual(["", "", "a", ""]);
  });

  it("reassembles a multi-byte character split between chunks", () => {
    const bytes = Buffer.from("héllo → wörld\n");
    const chunks = [...bytes].map((byte) => Buffer.from([byte]));
    expect(splitAll(chunks)).toEqual(["héllo → wörld"]);
  });

  it("caps an over-long line and resumes at the next newline", () => {
    const lines = splitAll(["x".repeat(10), "y".repeat(10), "\nnext\n"], 16);
    expect(lines).toEqual(["x".repeat(10) + "y".repeat(6), "next"]);
  });

  it("caps within one chunk too, and at the end of the stream", () => {
    expect(splitAll(["abcdefghij\nklmnopqrstuvwxyz"], 4)).toEqual(["abcd", "klmn"]);
  });

  it("never cuts a multi-byte character in half at the cap", () => {
    // "é" is two bytes; a cap of 4 bytes falls inside the third one.
    expect(splitAll(["aéé\n"], 4)).toEqual(["aé"]);
  });

  it("holds at most the cap for a huge line without newlines", () => {
    const splitter = new LineSplitter(64 * 1024);
    const chunk = Buffer.alloc(1024 * 1024, 0x61);
    for (let i = 0; i < 50; i++) expect(splitter.push(chunk)).toEqual([]);
    const [line] = splitter.push("\n");
    expect(line).toHaveLength(64 * 1024);
  });
});

describe("LineSplitter fast path", () => {
  it("finds every `::` line whether chunks are read or skipped, including `::` split across chunks", () => {
    const text = "plain line\nmore: text\n::error::one\nx:\n:notice::no\nend :\n::warning::two\n";
    for (let size = 1; size <= text.length; size++) {
      const splitter = new LineSplitter();
      const found: string[] = [];
      for (let i = 0; i < text.length; i += size) {
        const chunk = Buffer.from(text.slice(i, i + size));
        if (splitter.mayHoldCommand(chunk)) found.push(...splitter.push(chunk));
        else splitter.skip(chunk);
      }
      found.push(...splitter.end());
      expect(found.filter((l) => l.startsWith("::"))).toEqual(["::error::one", "::warning::two"]);
    }
  });
});
