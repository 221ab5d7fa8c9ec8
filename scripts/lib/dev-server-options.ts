// What the local cluster's Worker server is started with (dev-server.ts, as a child process).
export interface DevServerOptions {
  config: string;
  persistTo: string;
  host: string;
  port: number;
  tlsKey: string;
  tlsCert: string;
  envFile: string;
  /** A DevTools inspector on this port; none when absent. */
  inspectorPort?: number;
  /** A line per request served; without it, warnings and errors only. */
  requestLog: boolean;
  /**
   * Rebuild and reload on an edit of the Worker's code or assets, as `wrangler dev` does (npm
   * start). Tests turn it off: one test rebuilding the agent bundle reloaded every running cluster.
   */
  watch?: boolean;
}
