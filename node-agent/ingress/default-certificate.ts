// The certificate HTTPS answers with for names no Ingress TLS Secret covers (ingress-nginx's
// "Kubernetes Ingress Controller Fake Certificate"): self-signed, made once per node and kept in
// the data directory, renewed when it nears its end.
import { webcrypto } from "node:crypto";
import { existsSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import * as x509 from "@peculiar/x509";

const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
const LIFETIME_MS = 365 * DAY_MS;
const RENEW_BEFORE_MS = 30 * DAY_MS;
const BACKDATE_MS = 60 * 60 * 1000;
export const DEFAULT_CERTIFICATE_CN = "edgeplane ingress default certificate";

x509.cryptoProvider.set(webcrypto as Crypto);

/** PEM (certificate, then key) from `path`, made or renewed as needed. */
export async function defaultCertificate(path: string, now = Date.now()): Promise<string> {
  if (existsSync(path)) {
    const pem = await readFile(path, "utf8");
    try {
      const cert = new x509.X509Certificate(x509.PemConverter.decodeFirst(pem));
      if (cert.notAfter.getTime() - now > RENEW_BEFORE_MS) return pem;
    } catch {
      // unreadable: make a new one
    }
  }
  const subtle = webcrypto.subtle as SubtleCrypto;
  const keys = (await subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
  const serial = webcrypto.getRandomValues(new Uint8Array(16));
  serial[0] = serial[0]! & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(serial).toString("hex"),
    name: `CN=${DEFAULT_CERTIFICATE_CN},O=edgeplane`,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: "dns", value: "ingress.local" }]),
    ],
  });
  const key = x509.PemConverter.encode(await subtle.exportKey("pkcs8", keys.privateKey), "PRIVATE KEY");
  const pem = `${cert.toString("pem")}\n${key}\n`;
  await writeFile(path, pem, { mode: 0o600 });
  return pem;
}
