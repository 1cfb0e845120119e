/**
 * The extension's settings: read from VS Code's configuration, checked, and turned into
 * what the language server understands (its `initializationOptions` and the
 * `workspace/didChangeConfiguration` payload) and the command that starts it.
 *
 * Pure functions over plain values, so they run under node without VS Code (see
 * src/test/settings.test.ts). The API key never comes from here: it lives in VS Code's
 * SecretStorage and is added by the caller.
 */

export const GATE_MODES = ["off", "annotate", "rerank", "block"] as const;
export type GateMode = (typeof GATE_MODES)[number];

export interface SafeCoderSettings {
  enabled: boolean;
  serverUrl: string;
  gate: GateMode;
  completions: boolean;
  diagnostics: boolean;
  fixes: boolean;
  model: string;
  completionDebounceMs: number;
  command: string;
  extraArgs: string[];
  allowInsecureHttp: boolean;
}

export const DEFAULT_SETTINGS: SafeCoderSettings = {
  enabled: true,
  serverUrl: "",
  gate: "rerank",
  completions: true,
  diagnostics: true,
  fixes: true,
  model: "default",
  completionDebounceMs: 150,
  command: "safecoder",
  extraArgs: [],
  allowInsecureHttp: false,
};

/** Reads one setting by its key under `safecoder.` (VS Code's `WorkspaceConfiguration.get`). */
export type SettingReader = <T>(key: string, fallback: T) => T;

export function readSettings(get: SettingReader): SafeCoderSettings {
  const settings = {} as Record<string, unknown>;
  for (const [key, fallback] of Object.entries(DEFAULT_SETTINGS)) {
    settings[key] = get(key, fallback);
  }
  return settings as unknown as SafeCoderSettings;
}

/** What is wrong with the settings, one message per problem, naming the setting and the fix. */
export function settingProblems(settings: SafeCoderSettings): string[] {
  const problems: string[] = [];
  const url = settings.serverUrl.trim();
  if (url !== "" && !/^https?:\/\/[^\s/]+/.test(url)) {
    problems.push(`safecoder.serverUrl "${url}" is not an http:// or https:// URL; leave it empty to run the model locally`);
  }
  if (!(GATE_MODES as readonly string[]).includes(settings.gate)) {
    problems.push(`safecoder.gate "${settings.gate}" is not one of ${GATE_MODES.join(", ")}`);
  }
  if (!Number.isFinite(settings.completionDebounceMs) || settings.completionDebounceMs < 0) {
    problems.push(`safecoder.completionDebounceMs must be a number of milliseconds, 0 or more`);
  }
  if (settings.command.trim() === "") {
    problems.push(`safecoder.command is empty; set it to the safecoder executable (e.g. /path/to/.venv/bin/safecoder)`);
  }
  if (!Array.isArray(settings.extraArgs) || settings.extraArgs.some((arg) => typeof arg !== "string")) {
    problems.push(`safecoder.extraArgs must be a list of strings`);
  }
  return problems;
}

/** The settings object the language server validates (`server/lsp/settings.py`). */
export interface ServerSettings {
  enabled: boolean;
  serverUrl: string;
  gate: GateMode;
  completions: boolean;
  diagnostics: boolean;
  fixes: boolean;
  model: string;
  completionDebounceMs: number;
  apiKey?: string;
}

export function serverSettings(settings: SafeCoderSettings, apiKey: string | undefined): ServerSettings {
  const result: ServerSettings = {
    enabled: settings.enabled,
    serverUrl: settings.serverUrl.trim(),
    gate: settings.gate,
    completions: settings.completions,
    diagnostics: settings.diagnostics,
    fixes: settings.fixes,
    model: settings.model.trim() || "default",
    completionDebounceMs: Math.round(settings.completionDebounceMs),
  };
  // An empty string clears a key the server holds; undefined leaves it alone.
  if (apiKey !== undefined) {
    result.apiKey = apiKey;
  }
  return result;
}

export interface ServerCommand {
  command: string;
  args: string[];
}

/** How to start the language server: `safecoder lsp` plus the user's extra arguments. */
export function serverCommand(settings: SafeCoderSettings): ServerCommand {
  return { command: settings.command.trim(), args: ["lsp", ...settings.extraArgs] };
}

/** Whether a change needs the language server restarted (a new process) or only new settings. */
export function needsRestart(before: SafeCoderSettings, after: SafeCoderSettings): boolean {
  return before.command !== after.command || JSON.stringify(before.extraArgs) !== JSON.stringify(after.extraArgs);
}

/**
 * What an untrusted workspace gets (VS Code's restricted mode): diagnostics only. The
 * command, its arguments, the server URL and the model already come from the user's own
 * settings there (machine scope, `restrictedConfigurations` in package.json); completions
 * and fixes wait until the user trusts the workspace.
 */
export function restrictForUntrusted(settings: SafeCoderSettings, trusted: boolean): SafeCoderSettings {
  return trusted ? settings : { ...settings, completions: false, fixes: false };
}

const LOOPBACK_HOSTS = new Set(["localhost", "127.0.0.1", "[::1]", "::1"]);

function isLoopback(hostname: string): boolean {
  const host = hostname.toLowerCase();
  return LOOPBACK_HOSTS.has(host) || host.endsWith(".localhost") || /^127(\.\d{1,3}){3}$/.test(host);
}

/**
 * Why the API key must not go to `serverUrl`, or undefined when it may: plain http:// to a
 * host other than this machine exposes the key to everyone on the path, so it needs the
 * explicit `safecoder.allowInsecureHttp`.
 */
export function apiKeyRefusal(serverUrl: string, allowInsecureHttp: boolean): string | undefined {
  const url = serverUrl.trim();
  if (url === "") {
    return undefined;
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `safecoder.serverUrl "${url}" is not a URL; the API key is not sent`;
  }
  if (parsed.protocol === "https:" || isLoopback(parsed.hostname) || allowInsecureHttp) {
    return undefined;
  }
  return (
    `the API key is not sent to ${parsed.host} over plain http://: use https://, a server on this machine, ` +
    `or turn on safecoder.allowInsecureHttp in your user settings`
  );
}

/** The key to send with these settings: withheld (undefined) when `apiKeyRefusal` objects. */
export function keyToSend(settings: SafeCoderSettings, key: string | undefined): string | undefined {
  return apiKeyRefusal(settings.serverUrl, settings.allowInsecureHttp) === undefined ? key : undefined;
}
