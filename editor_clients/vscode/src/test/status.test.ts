// Unit tests of src/status.ts: the status bar item's text and tooltip per state.
import assert from "node:assert/strict";
import { test } from "node:test";

import type { ServerStatus } from "../protocol";
import { statusView } from "../status";

const status: ServerStatus = {
  server: "safecoder-lsp",
  version: "0.1.0",
  backend: "SmolLM2-135M-Instruct in process (transformers engine)",
  backend_ready: true,
  api_key_set: false,
  completion_requests: 7,
  generations: 4,
  analyses: 12,
  fixes_offered: 1,
  fixes_refused: 2,
  gate_actions: { reranked: 1, passed: 3 },
  cache: { entries: 4, hits: 2, typed_ahead_hits: 1, misses: 4 },
};

test("a running server shows its backend, counters and gate actions", () => {
  const view = statusView("running", status);
  assert.equal(view.text, "$(shield) SafeCoder");
  assert.match(view.tooltip, /SmolLM2-135M-Instruct in process/);
  assert.match(view.tooltip, /7 requests, 4 generated, 3 from cache/);
  assert.match(view.tooltip, /security gate: passed 3, reranked 1/);
  assert.match(view.tooltip, /fixes offered 1, refused 2/);
});

test("a model still loading spins", () => {
  const view = statusView("running", { ...status, backend_ready: false });
  assert.equal(view.text, "$(sync~spin) SafeCoder");
  assert.match(view.tooltip, /\(loading\)/);
});

test("off, starting and failed states say so", () => {
  assert.match(statusView("off").tooltip, /off: click to turn it on/);
  assert.equal(statusView("starting").text, "$(sync~spin) SafeCoder");
  const failed = statusView("failed", undefined, "spawn safecoder ENOENT");
  assert.equal(failed.text, "$(error) SafeCoder");
  assert.match(failed.tooltip, /failed: spawn safecoder ENOENT/);
});
