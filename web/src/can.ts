// What the signed-in user may do, asked of the server as kubectl auth can-i does (a
// SelfSubjectAccessReview), so the console offers only the actions the user can take. Answers are
// cached per token for the page's life; the server still judges every request.
import { useEffect, useState } from "preact/hooks";
import { apiSend } from "./api";

export interface Access {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  /** Omitted for a cluster-scoped object, or for "in every namespace". */
  namespace?: string;
  name?: string;
}

interface Review {
  status?: { allowed?: boolean };
}

const answers = new Map<string, Promise<boolean>>();

function keyOf(token: string, access: Access): string {
  return JSON.stringify([token, access.verb, access.group, access.resource, access.subresource ?? "", access.namespace ?? "", access.name ?? ""]);
}

export function can(token: string, access: Access): Promise<boolean> {
  const key = keyOf(token, access);
  let answer = answers.get(key);
  if (!answer) {
    const resourceAttributes = Object.fromEntries(Object.entries(access).filter(([, v]) => v !== undefined && v !== ""));
    answer = apiSend<Review>("POST", "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", token, {
      apiVersion: "authorization.k8s.io/v1",
      kind: "SelfSubjectAccessReview",
      spec: { resourceAttributes },
    }).then(
      (review) => review.status?.allowed === true,
      // No answer (the review failed): offer the action; the server refuses it if it must.
      () => {
        answers.delete(key);
        return true;
      },
    );
    answers.set(key, answer);
  }
  return answer;
}

/** True or false once the server has answered; undefined until then (show nothing yet). */
export function useCan(token: string, access: Access): boolean | undefined {
  const key = keyOf(token, access);
  const [answer, setAnswer] = useState<{ key: string; allowed: boolean }>();
  useEffect(() => {
    let current = true;
    void can(token, access).then((allowed) => current && setAnswer({ key, allowed }));
    return () => {
      current = false;
    };
    // The key is the access, whole: a new object each render must not ask again.
  }, [key]);
  return answer?.key === key ? answer.allowed : undefined;
}
