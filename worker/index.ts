// The Worker's entry: the Kubernetes API app and the Durable Object classes it binds.
import { createApp } from "./app";

export { ControllerLoop } from "./durable/controller-loop";
export { WatchHub } from "./durable/watch-hub";

export default createApp();
