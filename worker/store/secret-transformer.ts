// Encryption at rest for the kinds that ask for it (Secrets): AES-256-GCM via WebCrypto, as
// kube-apiserver's EncryptionConfiguration with an aesgcm provider. SECRETS_ENCRYPTION_KEY holds
// one key or a comma-separated list: the first encrypts, every one decrypts, so a key is rotated
// by putting a new one first, re-encrypting (`npm run reencrypt`), then dropping the old one.
// The stored envelope is `enc:v2:<key id>:<b64 iv>:<b64 ciphertext>`; the key id is the first
// 8 bytes of the key's SHA-256, and the associated data is the object's key, so a ciphertext
// moved to another row does not open there. `enc:v1:` rows (no key id, no associated data) from
// before are still read, with every key.
import type { ObjectKey, ValueTransformer } from "./types";

const V1 = "enc:v1:";
const V2 = "enc:v2:";
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

/** The associated data: what the ciphertext belongs to. */
function context(key: ObjectKey): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${key.group}/${key.resource}/${key.namespace}/${key.name}`);
}

interface Key {
  id: string;
  key: CryptoKey;
}

async function importKey(base64: string): Promise<Key> {
  const raw = fromBase64(base64);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", raw));
  const id = [...digest.subarray(0, 8)].map((b) => b.toString(16).padStart(2, "0")).join("");
  return { id, key: await crypto.subtle.importKey("raw", raw, { name: "AES-GCM" }, false, ["encrypt", "decrypt"]) };
}

export class SecretTransformer implements ValueTransformer {
  private readonly keys: Promise<Key[]>;

  /**
   * `keysBase64`: base64 of 32 random bytes, or several separated by commas, the first the one
   * that encrypts (env.SECRETS_ENCRYPTION_KEY); `encrypts`: which kinds it encrypts.
   */
  constructor(
    keysBase64: string,
    private readonly encrypts: (key: Pick<ObjectKey, "group" | "resource">) => boolean,
  ) {
    const list = keysBase64.split(",").map((k) => k.trim()).filter(Boolean);
    if (list.length === 0) throw new Error("SECRETS_ENCRYPTION_KEY names no key");
    for (const [i, k] of list.entries()) {
      const length = fromBase64(k).length;
      if (length !== KEY_BYTES) throw new Error(`SECRETS_ENCRYPTION_KEY: key ${i + 1} must be base64 of ${KEY_BYTES} bytes, got ${length}`);
    }
    this.keys = Promise.all(list.map(importKey));
  }

  appliesTo(key: Pick<ObjectKey, "group" | "resource">): boolean {
    return this.encrypts(key);
  }

  /** The id of the key new writes are sealed with. */
  async writeKeyId(): Promise<string> {
    return (await this.keys)[0]!.id;
  }

  async encode(plaintext: string, key: ObjectKey): Promise<string> {
    const { id, key: cryptoKey } = (await this.keys)[0]!;
    const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: context(key) }, cryptoKey, new TextEncoder().encode(plaintext));
    return `${V2}${id}:${toBase64(iv)}:${toBase64(new Uint8Array(sealed))}`;
  }

  async decode(stored: string, key: ObjectKey): Promise<string> {
    // Rows written before encryption was switched on are plain JSON: read them as they are.
    if (stored.startsWith(V2)) {
      const [id, iv, sealed] = stored.slice(V2.length).split(":");
      if (id === undefined || iv === undefined || sealed === undefined) throw new Error("malformed encrypted value");
      const found = (await this.keys).find((k) => k.id === id);
      if (!found) throw new Error(`encrypted with key ${id}, which SECRETS_ENCRYPTION_KEY does not hold`);
      const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv), additionalData: context(key) }, found.key, fromBase64(sealed));
      return new TextDecoder().decode(plain);
    }
    if (stored.startsWith(V1)) {
      const [iv, sealed] = stored.slice(V1.length).split(":");
      if (iv === undefined || sealed === undefined) throw new Error("malformed encrypted value");
      for (const { key: cryptoKey } of await this.keys) {
        try {
          return new TextDecoder().decode(await crypto.subtle.decrypt({ name: "AES-GCM", iv: fromBase64(iv) }, cryptoKey, fromBase64(sealed)));
        } catch {
          // another key's
        }
      }
      throw new Error("encrypted with a key SECRETS_ENCRYPTION_KEY does not hold");
    }
    return stored;
  }

  /** Whether a stored value should be sealed again: plaintext, the old envelope, or another key. */
  async stale(stored: string): Promise<boolean> {
    if (!stored.startsWith(V2)) return true;
    return !stored.startsWith(`${V2}${await this.writeKeyId()}:`);
  }
}
