import { describe, expect, it } from "vitest";
import { SecretMasker } from "../../src/runner/secret-masker.js";

function streamThrough(masker: SecretMasker, chunks: string[]): string {
  return Buffer.concat([...chunks.map((c) => masker.push(Buffer.from(c))), masker.end()]).toString();
}

describe("SecretMasker", () => {
  const secret = "hunter2-Sup3r-s3cret";
  const b64 = Buffer.from(secret).toString("base64");

  it("masks a secret printed whole, and its base64 forms", () => {
    const m = new SecretMasker([secret]);
    expect(streamThrough(m, [`token=${secret}\n`, `b64=${b64}\n`, `url=${Buffer.from(secret).toString("base64url")}\n`])).toBe("token=***\nb64=***\nurl=***\n");
  });

  it("masks a secret split across chunks at every position", () => {
    const text = `before ${secret} after\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const m = new SecretMasker([secret]);
      expect(streamThrough(m, [text.slice(0, cut), text.slice(cut)])).toBe("before *** after\n");
    }
    const m = new SecretMasker([secret]);
    expect(streamThrough(m, text.split(""))).toBe("before *** after\n");
  });

  it("masks several secrets, the longest first, and every line of a multi-line secret", () => {
    const m = new SecretMasker(["abc", "abcdef", "-----BEGIN KEY-----\nMIIEpAIBAAKCAQEA\n-----END KEY-----"]);
    expect(m.maskText("abcdef abc x MIIEpAIBAAKCAQEA")).toBe("*** *** x ***");
  });

  it("leaves output alone when there is nothing to mask, and ignores values too short to mask", () => {
    const m = new SecretMasker(["", "ab"]);
    expect(m.active).toBe(false);
    const chunk = Buffer.from("ab ab\n");
    expect(m.push(chunk)).toBe(chunk);
  });
});
