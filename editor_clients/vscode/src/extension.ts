/**
 * SafeCoder for VS Code: starts `safecoder lsp` with vscode-languageclient and shows its
 * state. The language server does the work (inline completions, CWE diagnostics, verified
 * fixes); this extension configures it and displays what it says.
 *
 * - Settings (`safecoder.*`) go to the server as `initializationOptions` and, when they
 *   change, as `workspace/didChangeConfiguration`; changing the command restarts it.
 * - The API key lives in VS Code's SecretStorage (`SafeCoder: Set API Key`) and is sent
 *   with the settings, never written to settings.json.
 * - A status bar item shows whether the server runs and what it reports
 *   (`safecoder/status`); clicking it shows the details.
 */

import * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  TransportKind,
} from "vscode-languageclient/node";

import { SECRET_KEY, STATUS_REQUEST, type ServerStatus } from "./protocol";
import {
  apiKeyRefusal,
  keyToSend,
  needsRestart,
  readSettings,
  restrictForUntrusted,
  serverCommand,
  serverSettings,
  settingProblems,
  type SafeCoderSettings,
} from "./settings";
import { type ClientState, statusView } from "./status";

const LANGUAGES = ["python", "javascript", "javascriptreact", "c", "cpp", "go", "java", "ruby"];

let client: LanguageClient | undefined;
let statusItem: vscode.StatusBarItem;
let output: vscode.LogOutputChannel;
let settings: SafeCoderSettings;

function currentSettings(): SafeCoderSettings {
  const configuration = vscode.workspace.getConfiguration("safecoder");
  const read = readSettings((key, fallback) => configuration.get(key, fallback));
  return restrictForUntrusted(read, vscode.workspace.isTrusted);
}

/** The stored key, or undefined when there is none or the server URL may not receive it. */
async function apiKey(context: vscode.ExtensionContext): Promise<string | undefined> {
  const stored = await context.secrets.get(SECRET_KEY);
  const key = stored === undefined || stored === "" ? undefined : stored;
  const refusal = apiKeyRefusal(settings.serverUrl, settings.allowInsecureHttp);
  if (key !== undefined && refusal !== undefined) {
    output.warn(`SafeCoder: ${refusal}`);
    void vscode.window.showWarningMessage(`SafeCoder: ${refusal}`);
  }
  return keyToSend(settings, key);
}

function show(state: ClientState, status?: ServerStatus, problem?: string): void {
  const view = statusView(state, status, problem);
  statusItem.text = view.text;
  statusItem.tooltip = view.tooltip;
  statusItem.show();
}

async function refreshStatus(): Promise<ServerStatus | undefined> {
  if (client === undefined || client.state !== State.Running) {
    return undefined;
  }
  try {
    const status = await client.sendRequest<ServerStatus>(STATUS_REQUEST);
    show("running", status);
    return status;
  } catch (error) {
    output.warn(`SafeCoder status request failed: ${String(error)}`);
    return undefined;
  }
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  settings = currentSettings();
  const problems = settingProblems(settings);
  if (problems.length > 0) {
    show("failed", undefined, problems[0]);
    void vscode.window.showErrorMessage(`SafeCoder: ${problems.join("; ")}`);
    return;
  }
  if (!settings.enabled) {
    show("off");
    return;
  }
  const { command, args } = serverCommand(settings);
  const serverOptions: ServerOptions = { command, args, transport: TransportKind.stdio };
  const clientOptions: LanguageClientOptions = {
    documentSelector: LANGUAGES.map((language) => ({ language })),
    initializationOptions: serverSettings(settings, await apiKey(context)),
    outputChannel: output,
    middleware: {
      // VS Code shows SafeCoder's suggestion as ghost text (inline completion); the same
      // suggestion as a completion-list item, meant for editors without ghost text, would
      // only duplicate it.
      provideCompletionItem: () => undefined,
    },
  };
  client = new LanguageClient("safecoder", "SafeCoder", serverOptions, clientOptions);
  client.onDidChangeState((event) => {
    if (event.newState === State.Running) {
      void refreshStatus();
    } else if (event.newState === State.Starting) {
      show("starting");
    } else {
      show("stopped");
    }
  });
  show("starting");
  try {
    await client.start();
  } catch (error) {
    show("failed", undefined, String(error));
    void vscode.window.showErrorMessage(
      `SafeCoder: could not start \`${command} ${args.join(" ")}\` (${String(error)}). ` +
        "Set safecoder.command to the safecoder executable of your installation.",
    );
  }
}

async function stop(): Promise<void> {
  if (client !== undefined) {
    const stopping = client;
    client = undefined;
    await stopping.stop();
  }
}

async function pushSettings(context: vscode.ExtensionContext): Promise<void> {
  if (client === undefined || client.state !== State.Running) {
    return;
  }
  await client.sendNotification("workspace/didChangeConfiguration", {
    // "" tells the server to forget a key that was cleared here.
    settings: { safecoder: serverSettings(settings, (await apiKey(context)) ?? "") },
  });
  await refreshStatus();
}

async function onConfigurationChanged(context: vscode.ExtensionContext): Promise<void> {
  const before = settings;
  const after = currentSettings();
  if (client === undefined || needsRestart(before, after) || before.enabled !== after.enabled) {
    await stop();
    await start(context);
    return;
  }
  settings = after;
  const problems = settingProblems(after);
  if (problems.length > 0) {
    void vscode.window.showErrorMessage(`SafeCoder: ${problems.join("; ")}`);
    return;
  }
  await pushSettings(context);
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  output = vscode.window.createOutputChannel("SafeCoder", { log: true });
  statusItem = vscode.window.createStatusBarItem(vscode.StatusBarAlignment.Right, 100);
  statusItem.command = "safecoder.showStatus";
  context.subscriptions.push(output, statusItem);

  context.subscriptions.push(
    vscode.commands.registerCommand("safecoder.setApiKey", async () => {
      const key = await vscode.window.showInputBox({
        title: "SafeCoder API key",
        prompt: "The key of your SafeCoder server (kept in VS Code's secret storage)",
        password: true,
        ignoreFocusOut: true,
      });
      if (key !== undefined) {
        await context.secrets.store(SECRET_KEY, key.trim());
      }
    }),
    vscode.commands.registerCommand("safecoder.clearApiKey", async () => {
      await context.secrets.delete(SECRET_KEY);
    }),
    vscode.commands.registerCommand("safecoder.toggle", async () => {
      const configuration = vscode.workspace.getConfiguration("safecoder");
      await configuration.update("enabled", !configuration.get("enabled", true), vscode.ConfigurationTarget.Global);
    }),
    vscode.commands.registerCommand("safecoder.restart", async () => {
      await stop();
      await start(context);
    }),
    vscode.commands.registerCommand("safecoder.showStatus", async () => {
      if (!settings.enabled) {
        await vscode.commands.executeCommand("safecoder.toggle");
        return;
      }
      const status = await refreshStatus();
      if (status === undefined) {
        output.show();
        return;
      }
      void vscode.window.showInformationMessage(statusView("running", status).tooltip.replace(/\n/g, " · "));
    }),
    context.secrets.onDidChange(async (event) => {
      if (event.key === SECRET_KEY) {
        await pushSettings(context);
      }
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(async () => {
      await stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("safecoder")) {
        await onConfigurationChanged(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await stop();
}
