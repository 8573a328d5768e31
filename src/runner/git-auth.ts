// The installation token reaches git only through its environment (GIT_CONFIG_*), for
// the one fetch that needs it: never argv (visible to every user in `ps`), never a
// config file, never an error message.

/** Environment entries that make git send the token to the clone URL's host only. */
export function tokenEnvironment(cloneUrl: string, token: string | null): Record<string, string> {
  if (token === null || token === "") return {};
  return {
    GIT_CONFIG_COUNT: "1",
    GIT_CONFIG_KEY_0: `http.${urlScope(cloneUrl)}extraHeader`,
    GIT_CONFIG_VALUE_0: `Authorization: ${authorizationHeader(token)}`,
  };
}

/** The Authorization header value git sends for an installation token. */
export function authorizationHeader(token: string): string {
  return `Basic ${basicCredentials(token)}`;
}

// `http.<url>.extraHeader` applies only to requests to that scheme, host and port, so a
// redirect to another host cannot carry the token along.
function urlScope(cloneUrl: string): string {
  try {
    const url = new URL(cloneUrl);
    if (url.protocol === "https:" || url.protocol === "http:") return `${url.origin}/.`;
  } catch {
    // Not a URL: a local path, where the header is never sent anyway.
  }
  return "";
}

function basicCredentials(token: string): string {
  return Buffer.from(`x-access-token:${token}`).toString("base64");
}

/** `text` with the token, its header form and any URL credentials replaced by ***. */
export function redact(text: string, token: string | null): string {
  let out = text.replace(/(\b[a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, "$1***@");
  if (token) {
    out = out.replaceAll(token, "***").replaceAll(basicCredentials(token), "***");
  }
  return out;
}
