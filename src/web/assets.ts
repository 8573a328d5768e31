import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";

// public/ sits beside src/ and dist/, so this resolves from either.
const PUBLIC_DIR = new URL("../../public/", import.meta.url);

const TYPES: Record<string, string> = { ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".svg": "image/svg+xml" };

interface Asset {
  body: Buffer;
  type: string;
  version: string;
}

/**
 * Kickoff's scripts and styles, served from /assets so the CSP can allow `'self'` and
 * nothing inline. Read once at start; URLs carry a content hash, so browsers may cache
 * them for long and still never run a stale script after an upgrade.
 */
export class Assets {
  private readonly files = new Map<string, Asset>();

  constructor(names: string[], generated: Record<string, string> = {}) {
    for (const name of names) this.add(name, readFileSync(fileURLToPath(new URL(name, PUBLIC_DIR))));
    for (const [name, text] of Object.entries(generated)) this.add(name, Buffer.from(text));
  }

  url(name: string): string {
    const asset = this.files.get(name);
    if (!asset) throw new Error(`unknown asset ${name}`);
    return `/assets/${name}?v=${asset.version}`;
  }

  handler() {
    return async (_req: IncomingMessage, res: ServerResponse, params: Record<string, string | undefined>): Promise<void> => {
      const asset = this.files.get(params.name ?? "");
      if (!asset) {
        res.writeHead(404, { "content-type": "text/plain; charset=utf-8" });
        res.end("not found\n");
        return;
      }
      res.writeHead(200, { "content-type": asset.type, "cache-control": "public, max-age=86400", "content-length": asset.body.length });
      res.end(asset.body);
    };
  }

  private add(name: string, body: Buffer): void {
    const ext = name.slice(name.lastIndexOf("."));
    const type = TYPES[ext];
    if (!type) throw new Error(`asset ${name} has no known type`);
    this.files.set(name, { body, type, version: createHash("sha256").update(body).digest("hex").slice(0, 12) });
  }
}
