--- SafeCoder for Neovim: options, their defaults, and their validation.
---
--- Nothing here starts anything; `require("safecoder").setup(opts)` merges the user's
--- options over these defaults with `resolve` and then starts the client.

local M = {}

---@alias safecoder.GateMode "off"|"annotate"|"rerank"|"block"

---@class safecoder.Settings
---What the language server receives (initializationOptions and
---workspace/didChangeConfiguration); see server/lsp/settings.py.
---@field enabled? boolean everything on or off
---@field serverUrl? string a SafeCoder HTTP server; "" runs the embedded model in the language server
---@field gate? safecoder.GateMode the security gate for completions
---@field completions? boolean offer completions
---@field diagnostics? boolean publish CWE diagnostics
---@field fixes? boolean offer "Fix with SafeCoder" code actions
---@field model? string model reference (local) or model name (server)
---@field completionDebounceMs? integer wait after typing before an automatic inline completion
---@field apiKey? string the server's API key (prefer `api_key` below, or SAFECODER_API_KEY)

---@class safecoder.Options
---@field cmd? string[] how to start the language server
---@field filetypes? string[] filetypes the client attaches to
---@field settings? safecoder.Settings
---@field api_key? string|fun():string|nil the server's API key, or a function returning it
---@field inline_completion? boolean native inline completion (Neovim 0.12+); older versions use omnifunc
---@field accept_key? string|nil insert-mode key that accepts the inline suggestion (Neovim 0.12+), e.g. "<Tab>"
---@field omnifunc? boolean set 'omnifunc' to LSP completion in attached buffers
---@field root_markers? string[] files or folders that mark a project's root
---@field on_attach? fun(client: table, bufnr: integer) called after SafeCoder's own setup of a buffer

---@type safecoder.Options
M.defaults = {
  cmd = { "safecoder", "lsp" },
  filetypes = { "python", "javascript", "javascriptreact", "c", "cpp", "go", "java", "ruby" },
  settings = {
    enabled = true,
    serverUrl = "",
    gate = "rerank",
    completions = true,
    diagnostics = true,
    fixes = true,
    model = "default",
    completionDebounceMs = 150,
  },
  api_key = nil,
  inline_completion = true,
  accept_key = nil,
  omnifunc = true,
  root_markers = { ".git" },
}

local GATE_MODES = { off = true, annotate = true, rerank = true, block = true }

---Merge `opts` over the defaults and check every option; errors name the option.
---@param opts? safecoder.Options
---@return safecoder.Options
function M.resolve(opts)
  opts = opts or {}
  vim.validate({ opts = { opts, "table" } })
  local resolved = vim.tbl_deep_extend("force", vim.deepcopy(M.defaults), opts)
  vim.validate({
    cmd = { resolved.cmd, "table" },
    filetypes = { resolved.filetypes, "table" },
    settings = { resolved.settings, "table" },
    api_key = { resolved.api_key, { "string", "function" }, true },
    inline_completion = { resolved.inline_completion, "boolean" },
    accept_key = { resolved.accept_key, "string", true },
    omnifunc = { resolved.omnifunc, "boolean" },
    root_markers = { resolved.root_markers, "table" },
    on_attach = { resolved.on_attach, "function", true },
  })
  if #resolved.cmd == 0 then
    error("safecoder: `cmd` is empty; set it to the language server's command, e.g. { 'safecoder', 'lsp' }")
  end
  local gate = resolved.settings.gate
  if not GATE_MODES[gate] then
    error(("safecoder: settings.gate %q is not one of off, annotate, rerank, block"):format(tostring(gate)))
  end
  local url = resolved.settings.serverUrl
  if url ~= "" and not tostring(url):match("^https?://") then
    error(("safecoder: settings.serverUrl %q must start with http:// or https:// (or be empty)"):format(tostring(url)))
  end
  return resolved
end

return M
