import { z } from "zod";
import { mapList } from "../worker/resources/meta";
const a = mapList(z.object({ name: z.string() }), "name").meta({ "x-kubernetes-patch-strategy": "merge,retainKeys" }).optional();
console.log(JSON.stringify(z.toJSONSchema(z.object({ a }), { io: "input", unrepresentable: "any" })));
const inner = z.object({x: z.string()});
console.log(JSON.stringify(z.toJSONSchema(z.object({ a: inner, b: inner, c: inner.optional() }), { io: "input" })));
