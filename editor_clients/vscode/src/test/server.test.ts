// Integration test: the extension's own settings and start command against the real
// `safecoder lsp`, over stdio with the same JSON-RPC library vscode-languageclient uses.
// VS Code itself cannot run here (downloading it fails offline), so this covers what the
// extension hands the server: the command line, the initializationOptions (settings and
// API key), and that the server answers with the features the extension relies on.
//
// SAFECODER_COMMAND names the safecoder executable (default: `safecoder` on PATH).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";

import {
  createProtocolConnection,
  DidOpenTextDocumentNotification,
  ExitNotification,
  InitializeRequest,
  type PublishDiagnosticsParams,
  PublishDiagnosticsNotification,
  ShutdownRequest,
  StreamMessageReader,
  StreamMessageWriter,
} from "vscode-languageserver-protocol/node";

import { STATUS_REQUEST, type ServerStatus } from "../protocol";
import { DEFAULT_SETTINGS, serverCommand, serverSettings } from "../settings";

const VULNERABLE = [
  "import sqlite3",
  "",
  "def find_user(connection: sqlite3.Connection, name: str):",
  "    cursor = connection.cursor()",
  "    cursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)",
  "    return cursor.fetchone()",
  "",
].join("\n");

test("the server started as the extension starts it publishes a CWE-089 diagnostic", { timeout: 180_000 }, async () => {
  const settings = {
    ...DEFAULT_SETTINGS,
    command: process.env.SAFECODER_COMMAND ?? "safecoder",
    // No completion is asked for here: do not spend a minute loading the model.
    extraArgs: ["--no-preload"],
  };
  const { command, args } = serverCommand(settings);
  const child = spawn(command, args, { stdio: ["pipe", "pipe", "inherit"] });
  const connection = createProtocolConnection(new StreamMessageReader(child.stdout), new StreamMessageWriter(child.stdin));
  const uri = "file:///workspace/users.py";
  const diagnostics = new Promise<PublishDiagnosticsParams>((resolve) => {
    connection.onNotification(PublishDiagnosticsNotification.type, (params) => {
      if (params.uri === uri && params.diagnostics.length > 0) {
        resolve(params);
      }
    });
  });
  connection.listen();
  try {
    const result = await connection.sendRequest(InitializeRequest.type, {
      processId: process.pid,
      rootUri: null,
      capabilities: {},
      initializationOptions: serverSettings(settings, "test-key"),
    });
    assert.ok(result.capabilities.inlineCompletionProvider, "the server offers inline completions");
    assert.ok(result.capabilities.codeActionProvider, "the server offers code actions");
    await connection.sendNotification("initialized", {});
    await connection.sendNotification(DidOpenTextDocumentNotification.type, {
      textDocument: { uri, languageId: "python", version: 1, text: VULNERABLE },
    });
    const published = await diagnostics;
    const sql = published.diagnostics.find((d) => d.code === "CWE-089");
    assert.ok(sql, `a CWE-089 diagnostic among ${JSON.stringify(published.diagnostics)}`);
    assert.equal(sql.range.start.line, 4);
    assert.equal(sql.source, "SafeCoder");
    assert.equal(sql.codeDescription?.href, "https://cwe.mitre.org/data/definitions/89.html");
    const status = await connection.sendRequest<ServerStatus>(STATUS_REQUEST);
    assert.equal(status.api_key_set, true, "the API key from the settings reached the server");
    assert.equal(status.backend_ready, false, "--no-preload kept the model unloaded");
    await connection.sendRequest(ShutdownRequest.type);
    await connection.sendNotification(ExitNotification.type);
  } finally {
    connection.dispose();
    if (child.exitCode === null) {
      await new Promise((resolve) => child.once("exit", resolve));
    }
  }
});
