import { stripVTControlCharacters } from "node:util";

// Node's own implementation: no dependency, and it covers CSI, OSC and the other escape
// sequences terminals interpret.
export function stripAnsi(text: string): string {
  return stripVTControlCharacters(text);
}
