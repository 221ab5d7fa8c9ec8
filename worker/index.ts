// The Worker's entry: the Kubernetes API app and the Durable Object classes it binds.
import { createApp } from "./app";

export { ControllerLoop } from "./durable/controller-loop";
export { NodeLeases } from "./durable/node-leases";
export { NodeTunnel } from "./durable/node-tunnel";
export { WatchHub } from "./durable/watch-hub";

export default createApp();
