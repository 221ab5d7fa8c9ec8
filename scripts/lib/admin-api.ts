// One request to the cluster's /edgeplane/v1 admin paths with a kubeconfig's server, CA and
// token (npm run reencrypt, npm run tokens): the JSON answer, or an error with the Status message.
import { request } from "node:https";
import { readKubeconfig } from "./kubeconfig";

export async function adminCall<T>(kubeconfig: string, method: string, path: string): Promise<T> {
  const kc = readKubeconfig(kubeconfig);
  const url = new URL(path, kc.server);
  const { status, body } = await new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request(url, { method, ca: kc.caPem, headers: { authorization: `Bearer ${kc.token}`, accept: "application/json" } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end();
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(body || "null");
  } catch {
    parsed = undefined;
  }
  if (status < 200 || status >= 300) throw new Error(`${method} ${url.href}: ${status} ${(parsed as { message?: string } | undefined)?.message ?? body}`);
  return parsed as T;
}
