// Encryption at rest for the kinds that ask for it (Secrets): AES-256-GCM via WebCrypto,
// a fresh random 12-byte IV per write, stored as the self-describing `enc:v1:<b64 iv>:<b64 ct>`
// so a key or format change can be told apart from plaintext rows written before it existed.
import type { ObjectKey, ValueTransformer } from "./types";

const PREFIX = "enc:v1:";
const IV_BYTES = 12;
const KEY_BYTES = 32;

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

export class SecretTransformer implements ValueTransformer {
  private readonly key: Promise<CryptoKey>;

  /**
   * `keyBase64`: base64 of 32 random bytes (env.SECRETS_ENCRYPTION_KEY); `encrypts`: which kinds
   * it encrypts, as an EncryptionConfiguration lists them.
   */
  constructor(
    keyBase64: string,
    private readonly encrypts: (key: Pick<ObjectKey, "group" | "resource">) => boolean,
  ) {
    const raw = fromBase64(keyBase64.trim());
    if (raw.length !== KEY_BYTES) {
      throw new Error(`SECRETS_ENCRYPTION_KEY must be base64 of ${KEY_BYTES} bytes, got ${raw.length}`);
    }
    this.key = crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]);
  }

  appliesTo(key: Pick<ObjectKey, "group" | "resource">): boolean {
    return this.encrypts(key);
  }

  async encode(plaintext: string): Promise<string> {
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const data = new TextEncoder().encode(plaintext);
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await this.key, data);
    return `${PREFIX}${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
  }

  async decode(stored: string): Promise<string> {
    // Rows written before encryption was switched on are plain JSON: read them as they are.
    if (!stored.startsWith(PREFIX)) return stored;
    const [iv, sealed] = stored.slice(PREFIX.length).split(":");
    if (iv === undefined || sealed === undefined) throw new Error("malformed encrypted value");
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, await this.key, fromBase64(sealed));
    return new TextDecoder().decode(plain);
  }
}
