// The Hono environment every route shares: Worker bindings, plus the authenticated principal and
// the opened store that the auth middleware sets for API routes.
import type { Principal } from "./api/access";
import type { Env } from "./env";
import type { Store } from "./store/types";

export type AppEnv = { Bindings: Env; Variables: { principal: Principal; store: Store } };
