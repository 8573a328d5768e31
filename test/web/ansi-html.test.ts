import { describe, expect, it } from "vitest";
import { AnsiRenderer, ansiToHtml } from "../../src/web/ansi-html.js";

describe("ANSI to HTML", () => {
  it("escapes text and turns colours into classes, never inline styles", () => {
    const html = ansiToHtml(`<b>"x" & 'y'</b> \u001b[31mred\u001b[0m \u001b[1;32mbold green\u001b[0m \u001b[38;5;208mpalette\u001b[0m \u001b[38;2;1;2;3mtrue\u001b[0m`);
    expect(html).toContain("&lt;b&gt;&quot;x&quot; &amp; 'y'&lt;/b&gt;");
    expect(html).toContain('<span class="ansi-red-fg">red</span>');
    expect(html).toContain('<span class="ansi-green-fg ansi-bold">bold green</span>');
    expect(html).toContain('<span class="ansi-palette-208-fg">palette</span>');
    expect(html).not.toContain("style=");
  });

  it("drops window titles and hyperlinks (OSC) and cursor movement", () => {
    expect(ansiToHtml("\u001b]0;title\u0007a\u001b]8;;https://x.test\u001b\\link\u001b]8;;\u001b\\ \u001b[2Kb")).toBe("alink b");
  });

  it("carries a colour from one piece of a stream into the next", () => {
    const r = new AnsiRenderer();
    expect(r.render("\u001b[33mstarts yellow")).toBe('<span class="ansi-yellow-fg">starts yellow</span>');
    expect(r.render(" still yellow\n")).toBe('<span class="ansi-yellow-fg"> still yellow\n</span>');
    expect(r.render("\u001b[0mplain")).toBe("plain");
  });
});
