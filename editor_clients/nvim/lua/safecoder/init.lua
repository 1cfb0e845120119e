--- SafeCoder for Neovim: starts `safecoder lsp` for the supported filetypes.
---
--- The language server does the work (completions, CWE diagnostics, verified fixes); this
--- plugin configures and starts it. On Neovim 0.12 and later it turns on native inline
--- completion; on older versions (0.7 and up) completion comes through 'omnifunc', and
--- diagnostics and code actions through the built-in LSP client as usual. It starts the
--- client through the newest API the running Neovim has: vim.lsp.config + vim.lsp.enable
--- (0.11+), vim.lsp.start (0.8+), else vim.lsp.start_client. `:checkhealth safecoder`
--- checks the setup (lua/safecoder/health.lua).
---
---   require("safecoder").setup({ settings = { serverUrl = "http://127.0.0.1:8000" } })
---
--- Commands: :SafeCoderStatus, :SafeCoderFix, :SafeCoderToggle.

local config = require("safecoder.config")

local M = {}

local NAME = "safecoder"

---@type safecoder.Options|nil
local options = nil
---@type integer|nil the client started through vim.lsp.start_client (Neovim < 0.8)
local legacy_client_id = nil

---Which LSP API starts the client here: the newest the running Neovim has.
---@return "vim.lsp.enable"|"vim.lsp.start"|"vim.lsp.start_client"
function M.lsp_api()
  if vim.lsp.config ~= nil and vim.lsp.enable ~= nil then
    return "vim.lsp.enable"
  elseif vim.lsp.start ~= nil then
    return "vim.lsp.start"
  end
  return "vim.lsp.start_client"
end

---Neovim 0.11 made client methods take `self` (client:request); the dot form is deprecated.
---@param client table
---@param method string
local function call(client, method, ...)
  if vim.fn.has("nvim-0.11") == 1 then
    return client[method](client, ...)
  end
  return client[method](...)
end

---@return table|nil the options given to setup (nil before setup)
function M.options()
  return options
end

---@return string|nil
local function api_key()
  local key = options and options.api_key
  if type(key) == "function" then
    key = key()
  end
  if key == nil or key == "" then
    return nil
  end
  return key
end

---The settings the server receives, with the API key when one is configured.
---@return safecoder.Settings
local function server_settings()
  local settings = vim.deepcopy(options.settings)
  settings.apiKey = api_key()
  return settings
end

---@param bufnr integer
---@return string
local function root_dir(bufnr)
  local path = vim.api.nvim_buf_get_name(bufnr)
  local start = path ~= "" and vim.fn.fnamemodify(path, ":p:h") or vim.fn.getcwd()
  for _, marker in ipairs(options.root_markers) do
    local found = vim.fn.finddir(marker, start .. ";")
    if found == "" then
      found = vim.fn.findfile(marker, start .. ";")
    end
    if found ~= "" then
      return vim.fn.fnamemodify(found, ":p:h:h")
    end
  end
  return start
end

---@param client table
---@param bufnr integer
local function on_attach(client, bufnr)
  local inline = vim.lsp.inline_completion
  if options.inline_completion and inline ~= nil and inline.enable ~= nil then
    inline.enable(true, { bufnr = bufnr })
    if options.accept_key ~= nil then
      local key = options.accept_key
      vim.keymap.set("i", key, function()
        -- Accept the suggestion when one is shown; otherwise the key does what it always does.
        if inline.get() then
          return ""
        end
        return key
      end, { buffer = bufnr, expr = true, replace_keycodes = true, desc = "SafeCoder: accept the inline suggestion" })
    end
  elseif options.omnifunc then
    vim.bo[bufnr].omnifunc = "v:lua.vim.lsp.omnifunc"
  end
  if options.on_attach then
    options.on_attach(client, bufnr)
  end
end

---A `vim.lsp.Config`-style table for `safecoder lsp` (also usable with vim.lsp.config on 0.11+).
---@param opts? safecoder.Options
---@return table
function M.lsp_config(opts)
  options = options or config.resolve(opts)
  return {
    name = NAME,
    cmd = options.cmd,
    filetypes = options.filetypes,
    root_markers = options.root_markers,
    init_options = server_settings(),
    settings = { safecoder = server_settings() },
    on_attach = on_attach,
  }
end

---Start the client for `bufnr`, or attach the running one.
---@param bufnr integer
function M.attach(bufnr)
  local lsp_config = M.lsp_config()
  if vim.lsp.start ~= nil then
    lsp_config.root_dir = root_dir(bufnr)
    vim.lsp.start(lsp_config, { bufnr = bufnr })
    return
  end
  -- Neovim 0.7: one client for every buffer, started once.
  if legacy_client_id == nil or vim.lsp.get_client_by_id(legacy_client_id) == nil then
    lsp_config.root_dir = root_dir(bufnr)
    legacy_client_id = vim.lsp.start_client(lsp_config)
    if legacy_client_id == nil then
      vim.notify("safecoder: could not start " .. table.concat(options.cmd, " "), vim.log.levels.ERROR)
      return
    end
  end
  vim.lsp.buf_attach_client(bufnr, legacy_client_id)
end

---The running SafeCoder client, if any.
---@return table|nil
function M.client()
  if vim.lsp.get_clients ~= nil then
    return vim.lsp.get_clients({ name = NAME })[1]
  end
  for _, client in pairs(vim.lsp.get_active_clients()) do
    if client.name == NAME then
      return client
    end
  end
  return nil
end

---Ask the server for its status (`safecoder/status`); `callback(err, status)`.
---@param callback fun(err: table|nil, status: table|nil)
function M.status(callback)
  local client = M.client()
  if client == nil then
    callback({ message = "SafeCoder's language server is not running" }, nil)
    return
  end
  call(client, "request", "safecoder/status", vim.empty_dict(), function(err, result)
    callback(err, result)
  end)
end

---Send changed settings to the running server.
---@param settings safecoder.Settings
function M.update_settings(settings)
  options.settings = vim.tbl_extend("force", options.settings, settings)
  local client = M.client()
  if client ~= nil then
    call(client, "notify", "workspace/didChangeConfiguration", { settings = { safecoder = server_settings() } })
  end
end

local function create_commands()
  vim.api.nvim_create_user_command("SafeCoderStatus", function()
    M.status(function(err, status)
      if err ~= nil then
        vim.notify("safecoder: " .. (err.message or vim.inspect(err)), vim.log.levels.WARN)
        return
      end
      vim.notify(("SafeCoder %s: %s; %d completions, %d analyses, fixes offered %d, refused %d"):format(
        status.version, status.backend or "model not loaded yet", status.completion_requests,
        status.analyses, status.fixes_offered, status.fixes_refused))
    end)
  end, { desc = "Show the SafeCoder language server's status" })
  vim.api.nvim_create_user_command("SafeCoderFix", function()
    -- Code actions of the diagnostics under the cursor; the server only offers verified fixes.
    vim.lsp.buf.code_action()
  end, { desc = "Fix the weakness under the cursor with SafeCoder (verified fixes only)" })
  vim.api.nvim_create_user_command("SafeCoderToggle", function()
    M.update_settings({ enabled = not options.settings.enabled })
    vim.notify("safecoder: " .. (options.settings.enabled and "on" or "off"))
  end, { desc = "Turn SafeCoder's completions, diagnostics and fixes on or off" })
end

---Configure SafeCoder and start its client for the supported filetypes.
---@param opts? safecoder.Options
function M.setup(opts)
  options = config.resolve(opts)
  create_commands()
  if M.lsp_api() == "vim.lsp.enable" then
    -- Neovim 0.11+: the built-in configuration attaches to the filetypes and finds the root.
    vim.lsp.config(NAME, M.lsp_config())
    vim.lsp.enable(NAME)
    return
  end
  local group = vim.api.nvim_create_augroup("safecoder", { clear = true })
  vim.api.nvim_create_autocmd("FileType", {
    group = group,
    pattern = options.filetypes,
    callback = function(args)
      M.attach(args.buf)
    end,
    desc = "Start or attach SafeCoder's language server",
  })
  -- Buffers already open when setup runs (e.g. lazy-loaded plugins).
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(options.filetypes, vim.bo[bufnr].filetype) then
      M.attach(bufnr)
    end
  end
end

return M
