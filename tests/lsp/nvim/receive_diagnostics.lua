-- Headless Neovim test script (run by tests/lsp/test_nvim_plugin.py): set up the SafeCoder
-- plugin, open a Python file, wait for the language server's diagnostics, and write what
-- Neovim received to a JSON file. Inputs come from the environment:
--   SAFECODER_TEST_CMD   JSON list: the language server's command
--   SAFECODER_TEST_FILE  the file to open
--   SAFECODER_TEST_OUT   where to write the result
local out = assert(os.getenv("SAFECODER_TEST_OUT"), "SAFECODER_TEST_OUT is not set")

local function finish(result, status)
  local file = assert(io.open(out, "w"))
  file:write(vim.json.encode(result))
  file:close()
  vim.cmd(status == 0 and "qall!" or ("cquit " .. status))
end

local ok, problem = pcall(function()
  vim.cmd("filetype on")
  require("safecoder").setup({
    cmd = vim.json.decode(os.getenv("SAFECODER_TEST_CMD")),
    settings = { gate = "rerank" },
  })
end)
if not ok then
  finish({ error = "setup failed: " .. tostring(problem) }, 3)
  return
end

-- A bad option must be refused with a message naming it.
local refused, message = pcall(require("safecoder.config").resolve, { settings = { gate = "strict" } })

vim.cmd("edit " .. vim.fn.fnameescape(os.getenv("SAFECODER_TEST_FILE")))
local buf = vim.api.nvim_get_current_buf()
local received = vim.wait(120000, function()
  return #vim.diagnostic.get(buf) > 0
end, 50)

local diagnostics = {}
for _, diagnostic in ipairs(vim.diagnostic.get(buf)) do
  local lsp = diagnostic.user_data and diagnostic.user_data.lsp or {}
  table.insert(diagnostics, {
    lnum = diagnostic.lnum,
    col = diagnostic.col,
    severity = diagnostic.severity,
    source = diagnostic.source,
    message = diagnostic.message,
    code = diagnostic.code or lsp.code,
    href = lsp.codeDescription and lsp.codeDescription.href or vim.NIL,
  })
end

local status, status_error = nil, nil
require("safecoder").status(function(err, result)
  status, status_error = result, err
end)
vim.wait(30000, function()
  return status ~= nil or status_error ~= nil
end, 20)

local client = require("safecoder").client()
finish({
  nvim = tostring(vim.version().major) .. "." .. tostring(vim.version().minor),
  received = received,
  diagnostics = diagnostics,
  filetype = vim.bo[buf].filetype,
  omnifunc = vim.bo[buf].omnifunc,
  client_name = client and client.name or vim.NIL,
  status = status or vim.NIL,
  status_error = status_error and vim.inspect(status_error) or vim.NIL,
  bad_option_refused = not refused,
  bad_option_message = tostring(message),
}, 0)
