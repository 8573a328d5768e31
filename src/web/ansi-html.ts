import Anser from "anser";

// Operating System Commands (window titles, hyperlinks: ESC ] … BEL or ESC \). Anser
// handles only CSI sequences; these would otherwise leave their text on the page.
const OSC = /\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?/g;
// An SGR parameter Anser ignores (10 = primary font). Prefixed to each piece so its
// leading text is wrapped in the colour state carried over from the previous piece.
const CARRY_STATE = "\u001b[10m";

/**
 * Turns log text with ANSI colour codes into HTML: the text is escaped first, and colours
 * become CSS classes (`ansi-red-fg`, `ansi-palette-208-fg`, `ansi-bold`…) rather than
 * inline styles, so the page's CSP can forbid inline styles altogether.
 *
 * One renderer follows one stream: colours set in one piece carry into the next.
 */
export class AnsiRenderer {
  private readonly anser = new Anser();

  render(text: string): string {
    if (text === "") return "";
    const escaped = Anser.escapeForHtml(text.replace(OSC, ""));
    return this.anser.ansiToHtml(CARRY_STATE + escaped, { use_classes: true });
  }
}

export function ansiToHtml(text: string): string {
  return new AnsiRenderer().render(text);
}
