// The ingress controller every node runs: watches Ingresses, IngressClasses, the Service
// catalog and the TLS Secrets our Ingresses name; on a change (coalesced) rebuilds the routing
// table and, when the rendered configuration differs, has nginx reload it. Nothing is served
// until every list has arrived, so a restarted agent never routes from a half-known cluster.
import type { ApiClient, Informer } from "../api-client";
import { ObjectWatches } from "../kubelet/object-watches";
import type { ServiceCatalog } from "../network/service-catalog";
import { defaultCertificate } from "./default-certificate";
import { renderNginxConfig, type NginxPaths } from "./nginx-config";
import { NginxProcess, refusedRegex } from "./nginx-process";
import { buildRouteTable, tlsSecretRefs } from "./routes";
import type { Ingress, IngressClass, TlsSecret } from "./types";

export interface IngressConfig {
  enabled: boolean;
  httpPort: number;
  httpsPort: number;
  /** Listen on this address only; default every address. */
  bindAddress?: string;
}

export const DEFAULT_INGRESS: IngressConfig = { enabled: true, httpPort: 80, httpsPort: 443 };
/** A burst of changes (a rollout touching many slices) becomes one reload. */
export const INGRESS_COALESCE_MS = 20;
/** After a failed apply (nginx refused or died), the next try. */
export const INGRESS_RETRY_MS = 2_000;
/** How long a TLS Secret's first list may hold back a configuration before it is served without it. */
export const SECRET_WAIT_MS = 3_000;
/** The placeholder directories a rendering is compared under (generations differ only in them). */
const COMPARE_PATHS: NginxPaths = { generation: "/gen", state: "/state" };

const keyOf = (o: { metadata: { namespace?: string; name: string } }) => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

export class IngressController {
  private readonly ingresses = new Map<string, Ingress>();
  private readonly classes = new Map<string, IngressClass>();
  private readonly synced = { ingresses: false, classes: false };
  private informers: Informer[] = [];
  private readonly secrets: ObjectWatches;
  private readonly nginx: NginxProcess;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private applied: string | undefined;
  private certificate: string | undefined;
  private lastProblems = "";
  private stopped = false;
  /** Regex paths nginx refused: left out of every later table (a changed path is a new one). */
  private readonly refused = new Set<string>();
  /** When each still-unlisted TLS Secret was first wanted. */
  private readonly secretWaits = new Map<string, number>();

  constructor(
    private readonly api: ApiClient,
    private readonly catalog: ServiceCatalog,
    private readonly config: IngressConfig,
    private readonly dataDir: string,
    private readonly log: (message: string) => void,
    nginxBinary?: string,
  ) {
    this.secrets = new ObjectWatches(api, () => this.schedule(), log, true);
    this.nginx = new NginxProcess(`${dataDir}/ingress`, log, nginxBinary);
  }

  /** Starts the watches; false (and a log line) when nginx is not installed. */
  async start(): Promise<boolean> {
    if (!(await this.nginx.available())) {
      this.log("ingress: nginx is not installed (apt-get install nginx); Ingress rules are not served on this node");
      return false;
    }
    this.certificate = await defaultCertificate(`${this.dataDir}/ingress-default.pem`);
    this.catalog.onChange(() => this.schedule());
    this.informers.push(
      this.api.informer<Ingress>("/apis/networking.k8s.io/v1/ingresses", {}, {
        replace: (items) => {
          this.ingresses.clear();
          for (const i of items) this.ingresses.set(keyOf(i), i);
          this.synced.ingresses = true;
          this.schedule();
        },
        event: (type, i) => {
          if (type === "DELETED") this.ingresses.delete(keyOf(i));
          else this.ingresses.set(keyOf(i), i);
          this.schedule();
        },
        error: (error) => this.log(`ingress: watch of ingresses: ${error instanceof Error ? error.message : String(error)}`),
      }),
      this.api.informer<IngressClass>("/apis/networking.k8s.io/v1/ingressclasses", {}, {
        replace: (items) => {
          this.classes.clear();
          for (const c of items) this.classes.set(c.metadata.name, c);
          this.synced.classes = true;
          this.schedule();
        },
        event: (type, c) => {
          if (type === "DELETED") this.classes.delete(c.metadata.name);
          else this.classes.set(c.metadata.name, c);
          this.schedule();
        },
        error: (error) => this.log(`ingress: watch of ingressclasses: ${error instanceof Error ? error.message : String(error)}`),
      }),
    );
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const informer of this.informers) informer.stop();
    this.informers = [];
    this.secrets.stop();
    if (this.timer) clearTimeout(this.timer);
    await this.nginx.stop();
  }

  private schedule(delay = INGRESS_COALESCE_MS): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.sync();
    }, delay);
  }

  private sync(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.syncOnce()
      .catch((error: unknown) => {
        this.applied = undefined;
        this.log(`ingress: ${error instanceof Error ? error.message : String(error)}; retrying`);
        this.schedule(INGRESS_RETRY_MS);
      })
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.schedule();
        }
      });
  }

  private async syncOnce(): Promise<void> {
    if (!this.synced.ingresses || !this.synced.classes || !this.catalog.ready) return;
    const refs = tlsSecretRefs(this.ingresses.values(), this.classes.values());
    this.secrets.retain([...refs].map((ref) => ({ kind: "secrets" as const, namespace: ref.split("/")[0]!, name: ref.split("/")[1]! })));
    const secrets = new Map<string, TlsSecret>();
    const now = Date.now();
    for (const ref of refs) {
      const [namespace, name] = ref.split("/") as [string, string];
      // A watch that dropped keeps its last answer: a reconnect must not take a host's certificate away.
      const secret = this.secrets.lastKnown<TlsSecret>("secrets", namespace, name);
      if (secret === undefined) {
        // Not listed yet: wait a little rather than serve its hosts the default certificate, but
        // never let one unreadable Secret hold back every other route.
        const since = this.secretWaits.get(ref) ?? now;
        this.secretWaits.set(ref, since);
        if (now - since < SECRET_WAIT_MS) {
          this.schedule(SECRET_WAIT_MS);
          return;
        }
        continue;
      }
      this.secretWaits.delete(ref);
      if (secret !== null) secrets.set(ref, secret);
    }
    for (const ref of this.secretWaits.keys()) if (!refs.has(ref)) this.secretWaits.delete(ref);
    const table = buildRouteTable({
      ingresses: this.ingresses.values(),
      classes: this.classes.values(),
      services: this.catalog.services,
      slicesOf: (ns, svc) => this.catalog.slicesOf(ns, svc),
      secrets,
      refusedRegex: this.refused,
    });
    const problems = table.problems.join("\n");
    if (problems !== this.lastProblems) {
      for (const p of table.problems) this.log(`ingress: ${p}`);
      this.lastProblems = problems;
    }
    const render = (paths: NginxPaths) =>
      renderNginxConfig(table, { ...paths, httpPort: this.config.httpPort, httpsPort: this.config.httpsPort, bindAddress: this.config.bindAddress, defaultCertificate: this.certificate!, http2: this.nginx.http2 });
    const signature = JSON.stringify([...render(COMPARE_PATHS)]);
    if (signature === this.applied && this.nginx.pid !== undefined) return;
    try {
      await this.nginx.apply(render);
    } catch (error) {
      // A path JavaScript accepted but nginx's PCRE does not: drop it and go again at once.
      const pattern = refusedRegex(error);
      if (pattern === undefined || this.refused.has(pattern)) throw error;
      this.refused.add(pattern);
      this.again = true;
      return;
    }
    this.applied = signature;
    this.log(`ingress: serving ${table.routes.length} routes for ${table.hosts.length} hosts on :${this.config.httpPort} and :${this.config.httpsPort}`);
  }
}
