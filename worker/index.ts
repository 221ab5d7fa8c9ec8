// The Worker's entry: the Kubernetes API app and the Durable Object classes it binds.
import { createApp } from "./app";

export { WatchHub } from "./durable/watch-hub";

export default createApp();
