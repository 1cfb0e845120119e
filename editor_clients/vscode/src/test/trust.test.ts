// Unit tests of what a repository cannot do through its settings (src/settings.ts and
// package.json): run a command, redirect the API key, or get completions before trust.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { apiKeyRefusal, DEFAULT_SETTINGS, keyToSend, restrictForUntrusted, type SafeCoderSettings } from "../settings";

interface Manifest {
  capabilities: { untrustedWorkspaces: { supported: string; restrictedConfigurations: string[] } };
  contributes: { configuration: { properties: Record<string, { scope?: string }> } };
}

const manifest = JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf-8")) as Manifest;
const properties = manifest.contributes.configuration.properties;

function settingsWith(overrides: Partial<SafeCoderSettings>): SafeCoderSettings {
  return { ...DEFAULT_SETTINGS, ...overrides };
}

test("the command, its arguments and the server URL are machine settings a workspace cannot set", () => {
  for (const key of ["safecoder.command", "safecoder.extraArgs", "safecoder.serverUrl", "safecoder.allowInsecureHttp"]) {
    assert.equal(properties[key].scope, "machine", key);
  }
  assert.equal(properties["safecoder.model"].scope, "machine-overridable");
});

test("untrusted workspaces are supported in limited mode with the dangerous settings restricted", () => {
  const untrusted = manifest.capabilities.untrustedWorkspaces;
  assert.equal(untrusted.supported, "limited");
  for (const key of ["safecoder.command", "safecoder.extraArgs", "safecoder.serverUrl", "safecoder.model"]) {
    assert.ok(untrusted.restrictedConfigurations.includes(key), key);
  }
  const limited = restrictForUntrusted(settingsWith({ completions: true, fixes: true, diagnostics: true }), false);
  assert.deepEqual([limited.diagnostics, limited.completions, limited.fixes], [true, false, false]);
  const trusted = restrictForUntrusted(settingsWith({ completions: true, fixes: true }), true);
  assert.deepEqual([trusted.completions, trusted.fixes], [true, true]);
});

test("the API key goes over plain HTTP only to this machine unless explicitly allowed", () => {
  for (const url of ["http://127.0.0.1:8000", "http://localhost:8000/v1", "http://[::1]:8000", "http://127.1.2.3",
    "https://safecoder.example.com", "https://10.0.0.5:8443", ""]) {
    assert.equal(apiKeyRefusal(url, false), undefined, url);
    assert.equal(keyToSend(settingsWith({ serverUrl: url }), "k"), "k", url);
  }
  for (const url of ["http://10.0.0.5:8000", "http://safecoder.example.com", "http://127.0.0.1.evil.example",
    "http://localhost@evil.example", "HTTP://Evil.Example"]) {
    const refusal = apiKeyRefusal(url, false);
    assert.ok(refusal?.includes("safecoder.allowInsecureHttp"), `${url}: ${refusal}`);
    assert.equal(keyToSend(settingsWith({ serverUrl: url }), "k"), undefined, url);
    assert.equal(keyToSend(settingsWith({ serverUrl: url, allowInsecureHttp: true }), "k"), "k", url);
  }
  assert.match(apiKeyRefusal("not a url", false) ?? "", /not a URL/);
});
