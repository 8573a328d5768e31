// The generic `::name key=value,key=value::data` syntax of GitHub Actions workflow
// commands, parsed the way the Actions runner does (ActionCommand.TryParseV2), so output
// written for Actions behaves the same here.

export interface WorkflowCommand {
  name: string;
  properties: Map<string, string>;
  data: string;
}

const MARKER = "::";

export function parseCommandSyntax(line: string): WorkflowCommand | null {
  const text = line.trimStart();
  if (!text.startsWith(MARKER)) return null;
  const end = text.indexOf(MARKER, MARKER.length);
  if (end < 0) return null;
  const info = text.slice(MARKER.length, end);
  const space = info.indexOf(" ");
  const name = space < 0 ? info : info.slice(0, space);
  if (name === "") return null;
  const properties = new Map<string, string>();
  if (space > 0) {
    for (const pair of info
      .slice(space + 1)
      .trim()
      .split(",")) {
      const eq = pair.indexOf("=");
      // Like the runner: a property needs a non-empty key and a non-empty value.
      if (eq <= 0 || eq === pair.length - 1) continue;
      properties.set(pair.slice(0, eq), unescapeProperty(pair.slice(eq + 1)));
    }
  }
  return { name, properties, data: unescapeData(text.slice(end + MARKER.length)) };
}

// `%25` is decoded last so that an escaped `%0A` (written `%250A`) stays literal.
export function unescapeData(value: string): string {
  return value.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%25", "%");
}

export function unescapeProperty(value: string): string {
  return value.replaceAll("%0D", "\r").replaceAll("%0A", "\n").replaceAll("%3A", ":").replaceAll("%2C", ",").replaceAll("%25", "%");
}
