import { buildToken } from "./build-token.js";

/** Where a build's page lives; the token lets the link open a private repository's build. */
export interface Links {
  buildUrl(buildId: number): string;
}

export function buildLinks(publicUrl: string, key: string): Links {
  return { buildUrl: (id) => `${publicUrl}/builds/${id}?token=${buildToken(key, id)}` };
}
