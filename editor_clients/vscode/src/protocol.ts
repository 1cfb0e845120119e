/**
 * The SafeCoder-specific parts of the protocol between the extension and `safecoder lsp`,
 * in one place: the status request and the fix command (see server/lsp/lifecycle.py and
 * server/lsp/code_actions.py).
 */

export const STATUS_REQUEST = "safecoder/status";
export const FIX_COMMAND = "safecoder.fix";
export const SECRET_KEY = "safecoder.apiKey";

/** What `safecoder/status` answers (the fields the extension reads). */
export interface ServerStatus {
  server: string;
  version: string;
  backend: string | null;
  backend_ready: boolean;
  api_key_set: boolean;
  completion_requests: number;
  generations: number;
  analyses: number;
  fixes_offered: number;
  fixes_refused: number;
  gate_actions: Record<string, number>;
  cache: { entries: number; hits: number; typed_ahead_hits: number; misses: number };
}
