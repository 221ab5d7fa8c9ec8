// A backend image fast enough to measure proxies in front of it: Debian's nginx binary (the
// machine's own package) and the libraries `ldd` names, answering every request with a short
// body over keep-alive. busybox httpd closes each connection, and would be what a benchmark of
// proxies measured. Built locally with `docker import`, as the test images are (no registry).
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { copyFile, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export const NGINX_IMAGE = "edgeplane.bench/nginx:1";
export const NGINX_BINARY = "/usr/sbin/nginx";
/** The port the backend listens on inside its pod. */
export const BACKEND_PORT = 8080;

const CONFIG = `worker_processes 1;
pid /tmp/nginx.pid;
error_log stderr warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path /tmp/body;
  proxy_temp_path /tmp/proxy;
  fastcgi_temp_path /tmp/fastcgi;
  uwsgi_temp_path /tmp/uwsgi;
  scgi_temp_path /tmp/scgi;
  keepalive_requests 100000;
  server {
    listen ${BACKEND_PORT};
    location / { default_type text/plain; return 200 "ok $hostname $request_uri\\n"; }
  }
}
`;

async function imagePresent(image: string): Promise<boolean> {
  return run("docker", ["image", "inspect", image]).then(() => true, () => false);
}

/** Builds NGINX_IMAGE unless the engine has it; needs Debian's nginx on the machine. */
export async function ensureNginxImage(): Promise<string> {
  if (await imagePresent(NGINX_IMAGE)) return NGINX_IMAGE;
  if (!existsSync(NGINX_BINARY)) throw new Error(`${NGINX_BINARY} not found: apt-get install -y nginx`);
  const root = await mkdtemp(join(tmpdir(), "edgeplane-nginx-image-"));
  try {
    const { stdout } = await run("ldd", [NGINX_BINARY]);
    const files = [NGINX_BINARY, ...[...stdout.matchAll(/(\/\S+\.so[.\d]*)/g)].map((m) => m[1]!)];
    for (const file of files) {
      await mkdir(join(root, dirname(file)), { recursive: true });
      await copyFile(file, join(root, file));
    }
    for (const dir of ["tmp", "etc/nginx"]) await mkdir(join(root, dir), { recursive: true });
    await writeFile(join(root, "etc/nginx/nginx.conf"), CONFIG);
    await writeFile(join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n");
    await writeFile(join(root, "etc/group"), "root:x:0:\nnogroup:x:65534:\n");
    await run("sh", ["-c", `tar -C ${root} -c . | docker import -c 'CMD ["${NGINX_BINARY}", "-g", "daemon off;"]' - ${NGINX_IMAGE}`], { maxBuffer: 64 * 1024 * 1024 });
    return NGINX_IMAGE;
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}
