// SHA-256 as lowercase hex, with Web Crypto (in the Worker and in Node alike): tokens are stored
// and compared by this digest only.
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}
