import { describe, expect, it } from "vitest";
import { AnnotationCollector, parseWorkflowCommand } from "../../src/runner/annotations.js";
import type { Annotation } from "../../src/runner/annotations.js";

const blank: Annotation = {
  level: "failure",
  message: "",
  path: null,
  startLine: null,
  endLine: null,
  startColumn: null,
  endColumn: null,
  title: null,
};

describe("parseWorkflowCommand", () => {
  it.each<[string, Partial<Annotation> | null]>([
    ["::error::boom", { message: "boom" }],
    ["::warning::careful", { level: "warning", message: "careful" }],
    ["::notice::fyi", { level: "notice", message: "fyi" }],
    [
      "::error file=src/a.ts,line=3,col=5,endLine=4,endColumn=9,title=Type error::Expected string",
      { path: "src/a.ts", startLine: 3, startColumn: 5, endLine: 4, endColumn: 9, title: "Type error", message: "Expected string" },
    ],
    ["::error file=a.ts::no line", { path: "a.ts", message: "no line" }],
    ["::error line=12::no file", { startLine: 12, message: "no file" }],
    ["::error title=T::", { title: "T", message: "" }],
    ["   ::error::indented like Actions allows", { message: "indented like Actions allows" }],
    ["\t::warning::tab", { level: "warning", message: "tab" }],
    // Escaping: message knows %25 %0D %0A; properties also %3A %2C.
    ["::error::50%25 done%0Anext line%0D", { message: "50% done\nnext line\r" }],
    ["::error::literal %250A stays", { message: "literal %0A stays" }],
    ["::error::colons :: in the message are fine", { message: "colons :: in the message are fine" }],
    ["::error::%3A and %2C are not message escapes", { message: "%3A and %2C are not message escapes" }],
    ["::error file=a%2Cb%3Ac.ts,title=x%25y%0Az::m", { path: "a,b:c.ts", title: "x%y\nz", message: "m" }],
    // Malformed properties are ignored, like the runner does.
    ["::error line=abc,col=-1,endLine=0,file=::m", { message: "m" }],
    ["::error ,,line=2,,::m", { startLine: 2, message: "m" }],
    ["::error unknown=1,file=f::m", { path: "f", message: "m" }],
    ["::error line=1.5::m", { message: "m" }],
    // Not annotations.
    ["error::no leading colons", null],
    ["::error no closing marker", null],
    ["::debug::not an annotation", null],
    ["::set-output name=x::y", null],
    ["::ERROR::case matters", null],
    ["::constructor::prototype names are not levels", null],
    ["text ::error::not at the start", null],
    ["", null],
  ])("%j", (line, expected) => {
    expect(parseWorkflowCommand(line)).toEqual(expected === null ? null : { ...blank, ...expected });
  });
});

describe("AnnotationCollector", () => {
  it("collects annotations and ignores other lines", () => {
    const collector = new AnnotationCollector();
    for (const line of ["building", "::error file=a.ts,line=1::bad", "::notice::ok", "done"]) collector.push(line);
    expect(collector.annotations.map((a) => a.message)).toEqual(["bad", "ok"]);
    expect(collector.dropped).toBe(0);
  });

  it("keeps at most `limit` annotations and counts the rest", () => {
    const collector = new AnnotationCollector(2);
    for (let i = 0; i < 5; i++) collector.push(`::warning::w${i}`);
    expect(collector.annotations.map((a) => a.message)).toEqual(["w0", "w1"]);
    expect(collector.dropped).toBe(3);
  });

  it("defaults to 1000", () => {
    const collector = new AnnotationCollector();
    for (let i = 0; i < 1005; i++) collector.push("::error::x");
    expect(collector.annotations).toHaveLength(1000);
    expect(collector.dropped).toBe(5);
  });

  it("ignores commands between ::stop-commands::TOKEN and ::TOKEN::", () => {
    const collector = new AnnotationCollector();
    for (const line of [
      "::error::before",
      "::stop-commands::pause-123",
      "::error::untrusted text",
      "::pause-124::wrong token",
      "::stop-commands::nested does not change the token",
      "  ::pause-123::",
      "::error::after",
    ]) {
      collector.push(line);
    }
    expect(collector.annotations.map((a) => a.message)).toEqual(["before", "after"]);
  });

  it("refuses stop tokens that would let an annotation switch commands back on", () => {
    const collector = new AnnotationCollector();
    for (const line of ["::stop-commands::", "::error::empty token ignored", "::stop-commands::error", "::error::command-name token ignored"]) {
      collector.push(line);
    }
    expect(collector.annotations.map((a) => a.message)).toEqual(["empty token ignored", "command-name token ignored"]);
  });
});
