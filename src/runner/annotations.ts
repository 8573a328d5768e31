import { parseCommandSyntax } from "./workflow-command.js";
import type { WorkflowCommand } from "./workflow-command.js";

export interface Annotation {
  level: "failure" | "warning" | "notice";
  message: string;
  path: string | null;
  startLine: number | null;
  endLine: number | null;
  startColumn: number | null;
  endColumn: number | null;
  title: string | null;
}

// A Map, not an object literal: `::constructor::x` must not find a prototype member.
const LEVELS = new Map<string, Annotation["level"]>([
  ["error", "failure"],
  ["warning", "warning"],
  ["notice", "notice"],
]);

const STOP_COMMANDS = "stop-commands";

/** One output line as an annotation, or null when it is not an annotation command. */
export function parseWorkflowCommand(line: string): Annotation | null {
  const command = parseCommandSyntax(line);
  return command === null ? null : toAnnotation(command);
}

function toAnnotation(command: WorkflowCommand): Annotation | null {
  const level = LEVELS.get(command.name);
  if (level === undefined) return null;
  const props = command.properties;
  return {
    level,
    message: command.data,
    path: props.get("file") ?? null,
    startLine: positiveInt(props.get("line")),
    endLine: positiveInt(props.get("endLine")),
    startColumn: positiveInt(props.get("col")),
    endColumn: positiveInt(props.get("endColumn")),
    title: props.get("title") ?? null,
  };
}

function positiveInt(value: string | undefined): number | null {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/**
 * Collects annotations from output lines, up to `limit` (the rest are only counted).
 * Honours `::stop-commands::TOKEN` … `::TOKEN::`, which scripts use to print untrusted
 * text (say, a test's output) without its lines turning into annotations.
 */
export class AnnotationCollector {
  private readonly collected: Annotation[] = [];
  private droppedCount = 0;
  private stopToken: string | null = null;

  constructor(private readonly limit: number = 1000) {}

  get annotations(): Annotation[] {
    return this.collected;
  }

  get dropped(): number {
    return this.droppedCount;
  }

  push(line: string): void {
    const command = parseCommandSyntax(line);
    if (command === null) return;
    if (this.stopToken !== null) {
      if (command.name === this.stopToken) this.stopToken = null;
      return;
    }
    if (command.name === STOP_COMMANDS) {
      // Like the runner, refuse a token that is itself a command name: `::error::` must
      // not be the way to switch commands back on.
      const token = command.data;
      if (token !== "" && !LEVELS.has(token) && token !== STOP_COMMANDS) this.stopToken = token;
      return;
    }
    const annotation = toAnnotation(command);
    if (annotation === null) return;
    if (this.collected.length < this.limit) this.collected.push(annotation);
    else this.droppedCount++;
  }
}
