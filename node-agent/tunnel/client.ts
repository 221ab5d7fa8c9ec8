// The agent's end of the node tunnel: one outbound WebSocket to the control plane over which
// logs, exec, attach and port-forward streams arrive (nodes behind NAT need no inbound port).
import type Dockerode from "dockerode";

export interface TunnelOptions {
  /** Control-plane base URL, e.g. https://127.0.0.1:8443 */
  server: string;
  /** The node credential (bearer token). */
  token: string;
  /** PEM of the CA that signs the server's certificate; system trust when absent. */
  ca?: string;
  nodeName: string;
  docker: Dockerode;
  log?: (message: string) => void;
}

export interface Tunnel {
  stop(): Promise<void>;
}

export function startTunnel(_options: TunnelOptions): Tunnel {
  return { stop: async () => {} };
}
