// The local cluster's PKI: a private CA and a serving certificate for localhost, made with
// @peculiar/x509 over WebCrypto. kubectl only sends bearer tokens over TLS, so `npm start` serves HTTPS.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { webcrypto } from "node:crypto";
import * as x509 from "@peculiar/x509";

/** ECDSA P-256: accepted by workerd's TLS stack and by Go's crypto/tls (kubectl), and fast to generate. */
const KEY_ALGORITHM: EcKeyGenParams = { name: "ECDSA", namedCurve: "P-256" };
const SIGNING_ALGORITHM: EcdsaParams = { name: "ECDSA", hash: "SHA-256" };
const DAY_MS = 24 * 60 * 60 * 1000;
const CA_LIFETIME_MS = 10 * 365 * DAY_MS;
const SERVER_LIFETIME_MS = 365 * DAY_MS;
/** A serving certificate closer than this to expiry is re-issued (by the same CA) on start. */
const SERVER_RENEW_BEFORE_MS = 30 * DAY_MS;
/** Backdating absorbs small clock differences between the issuer and the verifier. */
const BACKDATE_MS = 60 * 60 * 1000;

export const SERVER_DNS_NAMES = ["localhost"];
export const SERVER_IP_ADDRESSES = ["127.0.0.1", "::1"];

export interface PkiPaths {
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export interface Pki {
  paths: PkiPaths;
  /** PEM of the CA certificate: what a kubeconfig's certificate-authority-data carries. */
  caPem: string;
  /** Which parts this call had to create (false = reused from disk). */
  created: { ca: boolean; server: boolean };
}

export function pkiPaths(dir: string): PkiPaths {
  return {
    caCert: join(dir, "ca.crt"),
    caKey: join(dir, "ca.key"),
    serverCert: join(dir, "server.crt"),
    serverKey: join(dir, "server.key"),
  };
}

const subtle = webcrypto.subtle as SubtleCrypto;
x509.cryptoProvider.set(webcrypto as Crypto);

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await subtle.generateKey(KEY_ALGORITHM, true, ["sign", "verify"])) as CryptoKeyPair;
}

async function privateKeyPem(key: CryptoKey): Promise<string> {
  const der = await subtle.exportKey("pkcs8", key);
  return x509.PemConverter.encode(der, "PRIVATE KEY");
}

async function importPrivateKey(pem: string): Promise<CryptoKey> {
  const der = x509.PemConverter.decodeFirst(pem);
  return subtle.importKey("pkcs8", der, KEY_ALGORITHM, false, ["sign"]);
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] = bytes[0]! & 0x7f; // a positive INTEGER, as RFC 5280 requires
  return Buffer.from(bytes).toString("hex");
}

async function writeSecretFile(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o600 });
}

async function createCa(paths: PkiPaths, now: number): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: "CN=edgeplane-ca,O=edgeplane",
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + CA_LIFETIME_MS),
    keys,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  await writeSecretFile(paths.caKey, await privateKeyPem(keys.privateKey));
  await writeFile(paths.caCert, cert.toString("pem") + "\n");
  return { cert, key: keys.privateKey };
}

async function createServerCert(
  paths: PkiPaths,
  ca: { cert: x509.X509Certificate; key: CryptoKey },
  now: number,
): Promise<void> {
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: "CN=edgeplane-apiserver,O=edgeplane",
    issuer: ca.cert.subject,
    notBefore: new Date(now - BACKDATE_MS),
    notAfter: new Date(now + SERVER_LIFETIME_MS),
    publicKey: keys.publicKey,
    signingKey: ca.key,
    signingAlgorithm: SIGNING_ALGORITHM,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([
        ...SERVER_DNS_NAMES.map((value) => ({ type: "dns" as const, value })),
        ...SERVER_IP_ADDRESSES.map((value) => ({ type: "ip" as const, value })),
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  await writeSecretFile(paths.serverKey, await privateKeyPem(keys.privateKey));
  await writeFile(paths.serverCert, cert.toString("pem") + "\n");
}

/** True when the serving certificate on disk was issued by `ca` and is not about to expire. */
async function serverCertUsable(paths: PkiPaths, ca: x509.X509Certificate, now: number): Promise<boolean> {
  if (!existsSync(paths.serverCert) || !existsSync(paths.serverKey)) return false;
  try {
    const cert = new x509.X509Certificate(await readFile(paths.serverCert, "utf8"));
    if (cert.notAfter.getTime() - now < SERVER_RENEW_BEFORE_MS) return false;
    return await cert.verify({ publicKey: ca, signatureOnly: true });
  } catch {
    return false;
  }
}

/**
 * Loads the PKI under `dir`, creating what is missing: the CA once (its loss would invalidate
 * every kubeconfig handed out), the serving certificate whenever it is absent, foreign or expiring.
 */
export async function ensurePki(dir: string, now = Date.now()): Promise<Pki> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const paths = pkiPaths(dir);
  let ca: { cert: x509.X509Certificate; key: CryptoKey };
  let caCreated = false;
  if (existsSync(paths.caCert) && existsSync(paths.caKey)) {
    ca = {
      cert: new x509.X509Certificate(await readFile(paths.caCert, "utf8")),
      key: await importPrivateKey(await readFile(paths.caKey, "utf8")),
    };
  } else {
    ca = await createCa(paths, now);
    caCreated = true;
  }
  let serverCreated = false;
  if (caCreated || !(await serverCertUsable(paths, ca.cert, now))) {
    await createServerCert(paths, ca, now);
    serverCreated = true;
  }
  return { paths, caPem: ca.cert.toString("pem") + "\n", created: { ca: caCreated, server: serverCreated } };
}
