// Which imagePullSecret credentials go with a pull: the image's registry host, exactly.
import { describe, expect, it } from "vitest";
import { credentialFor, registryOf } from "../../node-agent/runtime/docker";

const auth = (serveraddress: string) => ({ serveraddress, username: serveraddress, password: "p" });

describe("registry credentials", () => {
  it("names the registry an image pulls from, as Docker resolves it", () => {
    expect(registryOf("nginx")).toBe("docker.io");
    expect(registryOf("library/nginx:1.27")).toBe("docker.io");
    expect(registryOf("ghcr.io/org/app:1")).toBe("ghcr.io");
    expect(registryOf("localhost:5000/app")).toBe("localhost:5000");
  });

  it("matches the host exactly, never by substring", () => {
    const auths = [auth("notevil.example"), auth("registry.example:5000")];
    expect(credentialFor(auths, "evil.example/app")).toBeUndefined();
    expect(credentialFor(auths, "notevil.example/app")?.username).toBe("notevil.example");
    expect(credentialFor(auths, "registry.example/app")).toBeUndefined();
    expect(credentialFor(auths, "registry.example:5000/app")?.username).toBe("registry.example:5000");
    expect(credentialFor([auth("example")], "example.com/app")).toBeUndefined();
  });

  it("takes Docker Hub under any of its names, and a server written as a URL", () => {
    expect(credentialFor([auth("index.docker.io")], "nginx")?.username).toBe("index.docker.io");
    expect(credentialFor([auth("https://index.docker.io/v1/")], "org/app")?.username).toBe("https://index.docker.io/v1/");
    expect(credentialFor([auth("https://GHCR.io")], "ghcr.io/org/app")?.username).toBe("https://GHCR.io");
    expect(credentialFor([auth("docker.io")], "ghcr.io/org/app")).toBeUndefined();
  });
});
