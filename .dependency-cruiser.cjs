// The import rules `npm test` enforces (dependency-cruiser): no cycles, type-only imports
// included, and the layers: the agent and the Worker share code only through shared/, which
// imports neither; product code never imports tests, benchmarks or scripts.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A cycle, even of types only, ties every module in it to every other (issue 12).",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    {
      name: "agent-not-to-worker",
      comment: "The node agent runs on a VM; what it shares with the Worker lives in shared/.",
      severity: "error",
      from: { path: "^node-agent/" },
      to: { path: "^worker/" },
    },
    {
      name: "worker-not-to-agent",
      severity: "error",
      from: { path: "^worker/" },
      to: { path: "^node-agent/" },
    },
    {
      name: "shared-is-a-leaf",
      comment: "shared/ depends on nothing of either side, so both can take it whole.",
      severity: "error",
      from: { path: "^shared/" },
      to: { path: "^(worker|node-agent|web|test|bench|scripts)/" },
    },
    {
      name: "product-not-to-tests",
      severity: "error",
      from: { path: "^(shared|worker|node-agent|web)/" },
      to: { path: "^(test|bench|scripts)/" },
    },
  ],
  options: {
    tsConfig: { fileName: "tsconfig.json" },
    // Type-only imports count: `env.ts` typing its bindings by the Durable Object classes once put
    // nearly every module of the Worker in one cycle.
    tsPreCompilationDeps: true,
    doNotFollow: { path: "node_modules" },
    exclude: { path: "node_modules" },
  },
};
