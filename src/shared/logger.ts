import pino, { type Logger } from "pino";

/** JSON lines by default; `LOG_FORMAT=pretty` for reading in a terminal. */
export function createLogger(level: string, format: "json" | "pretty"): Logger {
  if (format === "pretty") {
    return pino({ level, transport: { target: "pino-pretty", options: { colorize: true, translateTime: "SYS:HH:MM:ss.l", ignore: "pid,hostname" } } });
  }
  return pino({ level, base: undefined });
}
