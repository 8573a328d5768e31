// A bare Probot 14 app that does nothing on `push`, on Probot's own server with its
// defaults (signature check, pino-http request log at info): what a Probot user gets.
import { generateKeyPairSync } from "node:crypto";
import { Probot, Server } from "probot";

const { privateKey } = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
});
const server = new Server({
  Probot: Probot.defaults({ appId: 1, privateKey, secret: process.env.WEBHOOK_SECRET ?? "" }),
  port: Number(process.env.PORT ?? 3000),
  host: "127.0.0.1",
});
await server.load((app) => {
  app.on("push", async () => {});
});
await server.start();
process.stdout.write("ready\n");
