// Unit tests of src/settings.ts: reading VS Code settings, checking them, and what the
// language server receives. They run under node (no VS Code needed).
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  DEFAULT_SETTINGS,
  needsRestart,
  readSettings,
  serverCommand,
  serverSettings,
  settingProblems,
  type SafeCoderSettings,
} from "../settings";

function settingsWith(overrides: Partial<SafeCoderSettings>): SafeCoderSettings {
  return { ...DEFAULT_SETTINGS, ...overrides };
}

test("readSettings asks for every setting under its own key and keeps the user's values", () => {
  const asked: string[] = [];
  const user: Record<string, unknown> = { serverUrl: "http://10.0.0.5:8000", gate: "block" };
  const settings = readSettings(<T>(key: string, fallback: T): T => {
    asked.push(key);
    return key in user ? (user[key] as T) : fallback;
  });
  assert.deepEqual(asked.sort(), Object.keys(DEFAULT_SETTINGS).sort());
  assert.equal(settings.serverUrl, "http://10.0.0.5:8000");
  assert.equal(settings.gate, "block");
  assert.equal(settings.completions, true);
});

test("valid settings have no problems", () => {
  assert.deepEqual(settingProblems(DEFAULT_SETTINGS), []);
  assert.deepEqual(settingProblems(settingsWith({ serverUrl: "https://safecoder.example.com" })), []);
});

test("each bad setting is named with how to fix it", () => {
  const problems = settingProblems(
    settingsWith({ serverUrl: "localhost:8000", gate: "strict" as never, completionDebounceMs: -5, command: " " }),
  );
  assert.equal(problems.length, 4);
  assert.match(problems[0], /safecoder\.serverUrl "localhost:8000".*http:\/\//);
  assert.match(problems[1], /safecoder\.gate "strict" is not one of off, annotate, rerank, block/);
  assert.match(problems[2], /safecoder\.completionDebounceMs/);
  assert.match(problems[3], /safecoder\.command is empty/);
});

test("the server gets camelCase settings, the key only when there is one", () => {
  const withoutKey = serverSettings(settingsWith({ serverUrl: " http://127.0.0.1:8000 ", model: "" }), undefined);
  assert.equal(withoutKey.serverUrl, "http://127.0.0.1:8000");
  assert.equal(withoutKey.model, "default");
  assert.equal("apiKey" in withoutKey, false);
  assert.equal(serverSettings(DEFAULT_SETTINGS, "sk-123").apiKey, "sk-123");
  // An empty key is sent on purpose: it makes the server forget a cleared key.
  assert.equal(serverSettings(DEFAULT_SETTINGS, "").apiKey, "");
  // The extension's own settings (command, extraArgs) are not the server's business.
  assert.equal("command" in withoutKey, false);
  assert.equal("extraArgs" in withoutKey, false);
});

test("the server starts as `safecoder lsp` plus the extra arguments", () => {
  assert.deepEqual(serverCommand(settingsWith({ command: "/opt/venv/bin/safecoder ", extraArgs: ["--engine", "llama"] })), {
    command: "/opt/venv/bin/safecoder",
    args: ["lsp", "--engine", "llama"],
  });
});

test("only a new command or new arguments restart the server", () => {
  assert.equal(needsRestart(DEFAULT_SETTINGS, settingsWith({ gate: "block", serverUrl: "http://x:1" })), false);
  assert.equal(needsRestart(DEFAULT_SETTINGS, settingsWith({ command: "/other/safecoder" })), true);
  assert.equal(needsRestart(DEFAULT_SETTINGS, settingsWith({ extraArgs: ["--no-preload"] })), true);
});
