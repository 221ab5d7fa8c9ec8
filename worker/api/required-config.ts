// What the Worker refuses to serve without: a deployment that forgot SECRETS_ENCRYPTION_KEY
// would store every Secret in plaintext, silently. It answers 503 with the fix instead, unless
// plaintext is chosen on purpose (ALLOW_PLAINTEXT_SECRETS=true). `npm start` always has a key.
import type { Env } from "../env";

export function missingConfiguration(env: Pick<Env, "SECRETS_ENCRYPTION_KEY" | "ALLOW_PLAINTEXT_SECRETS">): string | undefined {
  if (env.SECRETS_ENCRYPTION_KEY || env.ALLOW_PLAINTEXT_SECRETS === "true") return undefined;
  return (
    "SECRETS_ENCRYPTION_KEY is not set, so Secrets would be stored in plaintext: set it (base64 of 32 random bytes, " +
    "`wrangler secret put SECRETS_ENCRYPTION_KEY`), or set ALLOW_PLAINTEXT_SECRETS=true to run without encryption at rest"
  );
}
