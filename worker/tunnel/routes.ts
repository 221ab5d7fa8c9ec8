// The route a node agent opens its outbound tunnel on (logs, exec, attach, port-forward).
import { Hono } from "hono";
import type { AppEnv } from "../app-env";

export function tunnelRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
