import { readFile } from "node:fs/promises";
import { CONFIG_PATH } from "../config/kickoff-config.js";
import { parseKickoffConfig } from "../config/parse-kickoff-config.js";

/** `kickoff lint [file]`: every problem as `file:line:col: message`; exit 1 on errors. */
export async function lint(file = CONFIG_PATH): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    process.stderr.write(`${file}: cannot read: ${(error as NodeJS.ErrnoException).code ?? String(error)}\n`);
    return 1;
  }
  const result = parseKickoffConfig(text);
  const problems = [...(result.ok ? [] : result.errors), ...result.warnings].sort((a, b) => a.line - b.line || a.column - b.column);
  for (const p of problems) process.stdout.write(`${file}:${p.line}:${p.column}: ${p.severity}: ${p.message}\n`);
  if (result.ok) process.stdout.write(`${file}: ${result.config.pipelines.length} pipeline(s) OK\n`);
  return result.ok ? 0 : 1;
}
