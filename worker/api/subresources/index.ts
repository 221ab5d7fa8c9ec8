// Subresources with a handler of their own, which a kind serves when its ResourceDef lists them
// (status and scale are served by the generic verbs). How discovery shows each, and which handler
// answers which method: kube-apiserver's per-kind storage map (PodStorage{Binding, Log, Exec, …}).
import type { ServedSubresource } from "../../resources/types";
import type { ApiContext } from "../context";
import { bindingVerb } from "./binding";
import { podStreamVerb } from "./pod-stream";
import { tokenRequestVerb } from "./token-request";
import { updateVerb } from "../verbs/update";

type Handler = (ctx: ApiContext) => Promise<Response>;

interface Subresource {
  /** As kube-apiserver's discovery lists it. */
  discovery: { kind: string; group?: string; version?: string; verbs: string[] };
  methods: Partial<Record<"GET" | "POST" | "PUT", Handler>>;
}

export const SUBRESOURCES: Readonly<Record<ServedSubresource, Subresource>> = {
  binding: { discovery: { kind: "Binding", verbs: ["create"] }, methods: { POST: bindingVerb } },
  log: { discovery: { kind: "Pod", verbs: ["get"] }, methods: { GET: podStreamVerb } },
  // WebSocket clients open exec, attach and port-forward with GET, SPDY clients with POST.
  exec: { discovery: { kind: "PodExecOptions", verbs: ["create", "get"] }, methods: { GET: podStreamVerb, POST: podStreamVerb } },
  attach: { discovery: { kind: "PodAttachOptions", verbs: ["create", "get"] }, methods: { GET: podStreamVerb, POST: podStreamVerb } },
  portforward: { discovery: { kind: "PodPortForwardOptions", verbs: ["create", "get"] }, methods: { GET: podStreamVerb, POST: podStreamVerb } },
  token: { discovery: { kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] }, methods: { POST: tokenRequestVerb } },
  finalize: { discovery: { kind: "Namespace", verbs: ["update"] }, methods: { PUT: updateVerb } },
};

export function isServedSubresource(name: string): name is ServedSubresource {
  return Object.hasOwn(SUBRESOURCES, name);
}
