import { readFileSync } from "node:fs";
import { createSecureContext } from "node:tls";
import { SettingsError } from "../config/settings.js";

export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

/**
 * Reads KICKOFF_TLS_CERT and KICKOFF_TLS_KEY and checks that they make a usable pair, so
 * a wrong file stops startup with one line instead of failing every handshake later.
 */
export function readTlsFiles(certFile: string, keyFile: string): TlsFiles {
  const cert = readOne("KICKOFF_TLS_CERT", certFile);
  const key = readOne("KICKOFF_TLS_KEY", keyFile);
  try {
    createSecureContext({ cert, key });
  } catch (error) {
    const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new SettingsError("KICKOFF_TLS_CERT", `${certFile} and ${keyFile} are not a usable certificate and private key (PEM): ${message}`);
  }
  return { cert, key };
}

function readOne(setting: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a directory" : code === "EACCES" ? "permission denied" : (code ?? "unreadable");
    throw new SettingsError(setting, `cannot read "${file}": ${why}`);
  }
}
