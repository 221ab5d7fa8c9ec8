// Renews the node credential before it lapses, as kubelet rotates its client certificate: at a
// random point between 70 % and 90 % of its life (so a fleet joined together does not renew
// together), through POST /edgeplane/v1/node-credential with the credential itself. The new one
// goes to the API client and the tunnel at once, then to credential.json; the old one works an
// hour longer, for requests already under way and for a reply that was lost.
import { ApiError, type ApiClient } from "../api-client";
import { credentialFrom, saveCredential, type SavedCredential } from "../join";

export const RENEW_PATH = "/edgeplane/v1/node-credential";
/** kubelet's nextRotationDeadline: 70 % of the life plus up to 20 % more, at random. */
const RENEW_AT = 0.7;
const RENEW_JITTER = 0.2;
export const RENEW_RETRY_MIN_MS = 5_000;
export const RENEW_RETRY_MAX_MS = 300_000;
/** setTimeout holds at most 2^31-1 ms (24.8 days); longer waits are taken in steps. */
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * When a credential should be renewed (ms since the epoch). One of unknown life (saved by an
 * agent from before credentials lapsed) is renewed at once, which tells its life.
 */
export function renewalDeadline(credential: SavedCredential, now: number, random = Math.random()): number {
  if (credential.expiresAt === undefined) return now;
  const issuedAt = Math.min(credential.issuedAt ?? now, credential.expiresAt);
  return issuedAt + (credential.expiresAt - issuedAt) * (RENEW_AT + RENEW_JITTER * random);
}

export class CredentialRotation {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private failures = 0;

  constructor(
    private credential: SavedCredential,
    private readonly api: ApiClient,
    private readonly path: string,
    private readonly log: (message: string) => void,
  ) {}

  get token(): string {
    return this.credential.token;
  }

  start(): void {
    this.schedule(renewalDeadline(this.credential, Date.now()));
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(at: number): void {
    if (this.stopped) return;
    const wait = Math.max(0, at - Date.now());
    this.timer = setTimeout(() => (wait > MAX_TIMER_MS ? this.schedule(at) : void this.renew()), Math.min(wait, MAX_TIMER_MS));
    this.timer.unref();
  }

  /** One renewal; on failure, tried again with backoff (the old credential is still good). */
  async renew(): Promise<void> {
    try {
      const body = await this.api.create<{ token?: unknown; expirationTimestamp?: unknown }>(RENEW_PATH, {});
      const next = credentialFrom(body, Date.now());
      // In use at once (the old one lapses within the hour): the API client's next request and
      // the tunnel's next connect (it reads `token`). Then saved for the next start.
      this.credential = next;
      this.api.setToken(next.token);
      await saveCredential(this.path, next).catch((error: unknown) =>
        this.log(`saving the renewed node credential to ${this.path}: ${error instanceof Error ? error.message : String(error)}; it is saved again at the next renewal, and a restart before then must join again`),
      );
      this.failures = 0;
      if (next.expiresAt === undefined) {
        this.log("node credential renewed; the server gave no expiry, so it is not renewed again");
        return;
      }
      this.log(`node credential renewed; it expires at ${new Date(next.expiresAt).toISOString()}`);
      this.schedule(renewalDeadline(next, Date.now()));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const expired = error instanceof ApiError && error.code === 401;
      this.log(
        expired
          ? `renewing the node credential: ${message}; it was revoked or has expired: delete ${this.path} and join again with a new join token`
          : `renewing the node credential: ${message}; retrying`,
      );
      const delay = Math.min(RENEW_RETRY_MAX_MS, RENEW_RETRY_MIN_MS * 2 ** this.failures++);
      this.schedule(Date.now() + delay);
    }
  }
}
