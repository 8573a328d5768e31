// Writes the benchmark push body and its signature for shell-driven runs.
import { writeFileSync } from "node:fs";
import { sign } from "@octokit/webhooks-methods";
import { pushBody } from "./payload.js";

const [bodyFile, signatureFile, secret = "bench-secret"] = process.argv.slice(2);
const body = pushBody();
writeFileSync(bodyFile!, body);
writeFileSync(signatureFile!, await sign(secret, body));
