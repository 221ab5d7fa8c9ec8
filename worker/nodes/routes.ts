// Routes for joining nodes: the install script, the bundled agent and the join-token exchange.
import { Hono } from "hono";
import type { AppEnv } from "../app-env";

export function nodeRoutes(): Hono<AppEnv> {
  return new Hono<AppEnv>();
}
