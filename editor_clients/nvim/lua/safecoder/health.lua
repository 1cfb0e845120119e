--- `:checkhealth safecoder`: is the plugin set up, can it start the language server, which
--- LSP API does it use, is the client running, and may the API key go where it is sent.
---
--- Reads state only; it starts nothing and never prints the key.

local M = {}

-- vim.health (0.10+) or the older `health` module (0.7 to 0.9).
local report = vim.health or require("health")
local start = report.start or report.report_start
local ok = report.ok or report.report_ok
local warn = report.warn or report.report_warn
local error = report.error or report.report_error
local info = report.info or report.report_info

local LOOPBACK = { localhost = true, ["127.0.0.1"] = true, ["[::1]"] = true, ["::1"] = true }

---Why an API key must not go to `url`, or nil: plain http:// to another machine exposes it.
---@param url string
---@return string|nil
function M.key_refusal(url)
  local scheme, rest = url:match("^(%a+)://(.*)$")
  if scheme == nil or scheme:lower() ~= "http" then
    return nil
  end
  local authority = rest:match("^([^/?#]*)"):gsub("^.*@", "")
  local host = authority:match("^(%[[^%]]*%])") or authority:match("^([^:]*)")
  host = host:lower()
  if LOOPBACK[host] or host:match("^127%.%d+%.%d+%.%d+$") or host:match("%.localhost$") then
    return nil
  end
  return ("the API key would go to %s over plain http://: use https:// or a server on this machine"):format(host)
end

function M.check()
  start("SafeCoder")
  local safecoder = require("safecoder")
  local version = vim.version()
  info(("Neovim %d.%d.%d; the client starts through %s"):format(
    version.major, version.minor, version.patch, safecoder.lsp_api()))
  local options = safecoder.options()
  if options == nil then
    error("setup() has not run", { 'call require("safecoder").setup({}) in your configuration' })
    return
  end
  local executable = options.cmd[1]
  if vim.fn.executable(executable) == 1 then
    ok(("the language server's command is executable: %s"):format(vim.fn.exepath(executable)))
  else
    error(("the language server's command %q is not executable"):format(executable),
      { "set `cmd` in setup() to the safecoder executable of your installation (e.g. .venv/bin/safecoder)" })
  end
  local url = options.settings.serverUrl or ""
  if url == "" then
    ok("the language server runs the model itself (no serverUrl)")
  else
    local refusal = M.key_refusal(url)
    local has_key = options.api_key ~= nil or options.settings.apiKey ~= nil
    if refusal ~= nil and has_key then
      warn(refusal, { "use an https:// serverUrl" })
    else
      ok(("serverUrl: %s"):format(url))
    end
  end
  local client = safecoder.client()
  if client ~= nil then
    ok(("the language server is running (client %d)"):format(client.id))
  else
    info("the language server is not running (it starts with the first supported file)")
  end
end

return M
