// The Docker runtime passes the runtime conformance suite against the real engine.
import Dockerode from "dockerode";
import { describe } from "vitest";
import { DockerRuntime } from "../../node-agent/runtime/docker";
import { ensureBusyboxImage, requireDockerEngine } from "../e2e/docker-images";
import { runtimeConformance } from "./runtime-conformance";

const HAVE_DOCKER = await requireDockerEngine();

describe.skipIf(!HAVE_DOCKER)("Docker runtime", () => {
  runtimeConformance("docker", async () => {
    const docker = new Dockerode();
    const runtime = new DockerRuntime(docker, `conformance-${process.pid}-${Date.now().toString(36)}`);
    return {
      runtime,
      image: await ensureBusyboxImage(),
      runsCommands: true,
      async cleanup() {
        for (const c of await runtime.list()) await runtime.remove(c.id);
        await docker.getNetwork(runtime.network).remove().catch(() => undefined);
      },
    };
  });
});
