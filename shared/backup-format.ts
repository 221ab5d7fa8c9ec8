// The backup file (`npm run backup`, `npm run restore`): newline-delimited JSON, a header line,
// then every object as stored (least recently written first, so resourceVersion order is kept,
// Secrets still encrypted) and every token record (hashes only). Written by the Worker, read by
// the restore script; the same shape in both. Internal rows go too (group edgeplane.dev: the
// ClusterIP and NodePort reservations), so restored Services keep their addresses reserved.

export const BACKUP_API_VERSION = "edgeplane.dev/v1";
export const BACKUP_KIND = "Backup";

export interface BackupHeader {
  apiVersion: typeof BACKUP_API_VERSION;
  kind: typeof BACKUP_KIND;
  /** The store revision the backup was read at. */
  revision: number;
  /** When it was taken (RFC 3339). */
  created: string;
  objects: number;
  tokens: number;
}

export interface BackupObject {
  group: string;
  resource: string;
  namespace: string;
  name: string;
  revision: number;
  /** The stored text: JSON, or a Secret's encrypted envelope. */
  value: string;
}

export interface BackupToken {
  hash: string;
  user: string;
  kind: "admin" | "serviceaccount" | "node";
  scope: string;
  expiresAt: number | null;
  boundUid?: string | null;
}

export type BackupLine = { header: BackupHeader } | { object: BackupObject } | { token: BackupToken };

/** Reads one line, or says what is wrong with it (the line number is the caller's). */
export function parseBackupLine(line: string): BackupLine {
  const parsed = JSON.parse(line) as Record<string, unknown>;
  if (parsed && typeof parsed === "object") {
    if ("header" in parsed) {
      const h = parsed.header as BackupHeader;
      if (h?.apiVersion !== BACKUP_API_VERSION || h.kind !== BACKUP_KIND) throw new Error(`not an edgeplane backup (apiVersion ${String(h?.apiVersion)}, kind ${String(h?.kind)})`);
      return { header: h };
    }
    if ("object" in parsed) {
      const o = parsed.object as BackupObject;
      if (typeof o?.resource !== "string" || typeof o.name !== "string" || typeof o.value !== "string" || typeof o.namespace !== "string" || typeof o.group !== "string") throw new Error("an object line lacks group, resource, namespace, name or value");
      return { object: o };
    }
    if ("token" in parsed) {
      const t = parsed.token as BackupToken;
      if (typeof t?.hash !== "string" || !/^[0-9a-f]{64}$/.test(t.hash) || !["admin", "serviceaccount", "node"].includes(t.kind)) throw new Error("a token line has no valid hash or kind");
      return { token: t };
    }
  }
  throw new Error("a line is neither header, object nor token");
}
