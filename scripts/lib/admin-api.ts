// One request to the cluster's API with a kubeconfig's server, CA and token (npm run reencrypt,
// npm run tokens, the cluster-info npm start publishes): the JSON answer, or an error with the
// Status message.
import { request } from "node:https";
import { readKubeconfig } from "./kubeconfig";

export async function adminCall<T>(kubeconfig: string, method: string, path: string, body?: unknown, contentType = "application/json"): Promise<T> {
  const kc = readKubeconfig(kubeconfig);
  const url = new URL(path, kc.server);
  const { status, body: answer } = await new Promise<{ status: number; body: string }>((done, fail) => {
    const req = request(url, { method, ca: kc.caPem, headers: { authorization: `Bearer ${kc.token}`, accept: "application/json", ...(body === undefined ? {} : { "content-type": contentType }) } }, (res) => {
      let text = "";
      res.setEncoding("utf8").on("data", (c: string) => (text += c)).on("end", () => done({ status: res.statusCode ?? 0, body: text }));
    });
    req.on("error", fail);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
  let parsed: unknown;
  try {
    parsed = JSON.parse(answer || "null");
  } catch {
    parsed = undefined;
  }
  if (status < 200 || status >= 300) throw new Error(`${method} ${url.href}: ${status} ${(parsed as { message?: string } | undefined)?.message ?? answer}`);
  return parsed as T;
}
