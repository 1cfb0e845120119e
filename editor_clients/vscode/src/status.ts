/**
 * The status bar item's text and tooltip for each state of the extension. Pure, so it is
 * tested under node; src/extension.ts puts the result on a `StatusBarItem`.
 */

import type { ServerStatus } from "./protocol";

export type ClientState = "off" | "starting" | "running" | "stopped" | "failed";

export interface StatusView {
  text: string;
  tooltip: string;
}

export function statusView(state: ClientState, status?: ServerStatus, problem?: string): StatusView {
  switch (state) {
    case "off":
      return { text: "$(circle-slash) SafeCoder", tooltip: "SafeCoder is off: click to turn it on" };
    case "starting":
      return { text: "$(sync~spin) SafeCoder", tooltip: "SafeCoder: starting the language server" };
    case "failed":
    case "stopped":
      return {
        text: "$(error) SafeCoder",
        tooltip: `SafeCoder: the language server ${state === "failed" ? "failed" : "stopped"}${problem ? `: ${problem}` : ""}; click for details`,
      };
    case "running": {
      if (status === undefined) {
        return { text: "$(shield) SafeCoder", tooltip: "SafeCoder: running" };
      }
      const loading = !status.backend_ready && status.backend !== null;
      const gate = Object.entries(status.gate_actions)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([action, count]) => `${action} ${count}`)
        .join(", ");
      const lines = [
        `SafeCoder ${status.version}: ${status.backend ?? "suggestions start on first use"}${loading ? " (loading)" : ""}`,
        `completions: ${status.completion_requests} requests, ${status.generations} generated, ${status.cache.hits + status.cache.typed_ahead_hits} from cache`,
        `security gate: ${gate || "no suggestions yet"}`,
        `analyses: ${status.analyses}; fixes offered ${status.fixes_offered}, refused ${status.fixes_refused}`,
      ];
      return { text: loading ? "$(sync~spin) SafeCoder" : "$(shield) SafeCoder", tooltip: lines.join("\n") };
    }
  }
}
