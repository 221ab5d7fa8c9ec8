// SHA-256 as lowercase hex, with Web Crypto (in the Worker and in Node alike): tokens are stored
// and compared by this digest only.
export async function sha256Hex(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
  // Every authenticated request hashes its token: a table, not a formatted string per byte.
  let hex = "";
  for (const byte of digest) hex += HEX[byte];
  return hex;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
