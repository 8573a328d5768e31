// Where each GitHub App setting comes from, worded for someone who has never registered
// an App: what `npm start` (or `kickoff redeliver`) prints when some are missing.
const WHERE: Record<string, string> = {
  APP_ID: "APP_ID=<the App ID, shown at the top of the App's settings page>",
  "PRIVATE_KEY or PRIVATE_KEY_PATH": 'PRIVATE_KEY_PATH=<path to the .pem that "Generate a private key" on that page downloads>\n    (or PRIVATE_KEY=<the contents of that .pem>)',
  WEBHOOK_SECRET: "WEBHOOK_SECRET=<the webhook secret you typed when registering the App>",
};

/** What a newcomer sees when `npm start` finds no GitHub App credentials. `missing` names settings as missingAppCredentials does. */
export function credentialsHelp(missing: string[], rerun = "npm start"): string {
  const lines = missing.map((name) => `  ${WHERE[name] ?? `${name}=<…>`}`);
  return `Kickoff cannot start: missing ${missing.join(", ")}.

Kickoff is a GitHub App. If you have not registered one yet (README, "Register the GitHub App"):
  1. GitHub → Settings → Developer settings → GitHub Apps → New GitHub App
     (or register it from app.yml in this repository, as a manifest).
  2. Webhook URL: https://<your host>/api/github/webhooks; choose a webhook secret.
  3. On the App's page, "Generate a private key" downloads a .pem file.
Then set these in .env (copy .env.example) or in the environment:
${lines.join("\n")}
For GitHub Enterprise Server also set GHE_HOST=<your GitHub host>.
Then run ${rerun} again.`;
}
