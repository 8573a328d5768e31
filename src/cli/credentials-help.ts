/** What a newcomer sees when `npm start` finds no GitHub App credentials. */
export function credentialsHelp(missing: string[]): string {
  return `Kickoff cannot start: missing ${missing.join(", ")}.

Kickoff is a GitHub App. Register one (see README, "Register the GitHub App"):
  1. GitHub → Settings → Developer settings → GitHub Apps → New GitHub App
     (or use app.yml in this repository as the manifest).
  2. Webhook URL: https://<your host>/api/github/webhooks; pick a webhook secret.
  3. Generate a private key and download the .pem file.
Then put these in .env (copy .env.example) or the environment:
  APP_ID=<the App ID shown on the App's page>
  PRIVATE_KEY_PATH=<path to the downloaded .pem>   (or PRIVATE_KEY=<its contents>)
  WEBHOOK_SECRET=<the webhook secret you chose>
and run npm start again.`;
}
