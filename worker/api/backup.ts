// GET /edgeplane/v1/backup: the whole cluster state as one consistent read (shared/backup-format.ts),
// streamed as it is encoded. Only system:masters: a backup holds every object, Secrets included
// (still encrypted), and every credential's hash, as an etcd snapshot holds what etcd holds.
import { BACKUP_API_VERSION, BACKUP_KIND, type BackupLine } from "../../shared/backup-format";
import { StatusError } from "../../shared/status-error";
import { timestamp } from "../../shared/time";
import type { Store } from "../store/types";
import type { Principal } from "./access";
import { inSystemMasters } from "./auth";

export async function backupResponse(store: Store, principal: Principal, now: Date): Promise<Response> {
  if (!inSystemMasters(principal)) {
    throw new StatusError(403, "Forbidden", `forbidden: User "${principal.user}" cannot get path "/edgeplane/v1/backup": only system:masters may read a backup`);
  }
  const snapshot = await store.snapshot();
  const lines: (() => BackupLine)[] = [
    () => ({ header: { apiVersion: BACKUP_API_VERSION, kind: BACKUP_KIND, revision: snapshot.revision, created: timestamp(now), objects: snapshot.objects.length, tokens: snapshot.tokens.length } }),
    ...snapshot.objects.map((o) => () => ({ object: { group: o.key.group, resource: o.key.resource, namespace: o.key.namespace, name: o.key.name, revision: o.revision, value: o.value } })),
    ...snapshot.tokens.map((t) => () => ({ token: t })),
  ];
  const encoder = new TextEncoder();
  let next = 0;
  // A few hundred lines per chunk: no second copy of the whole state in memory.
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (next >= lines.length) return controller.close();
      const end = Math.min(lines.length, next + 256);
      let text = "";
      for (; next < end; next++) text += `${JSON.stringify(lines[next]!())}\n`;
      controller.enqueue(encoder.encode(text));
    },
  });
  return new Response(body, { headers: { "content-type": "application/x-ndjson", "cache-control": "no-store" } });
}
