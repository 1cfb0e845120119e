-- Headless Neovim test script (run by tests/lsp/test_nvim_health.py): set up the SafeCoder
-- plugin, run `:checkhealth safecoder`, and write the report and the LSP API in use.
--   SAFECODER_TEST_CMD  JSON list: the language server's command
--   SAFECODER_TEST_URL  the serverUrl setting
--   SAFECODER_TEST_OUT  where to write the result (JSON)
local safecoder = require("safecoder")
safecoder.setup({
  cmd = vim.json.decode(os.getenv("SAFECODER_TEST_CMD")),
  api_key = "test-key-not-printed",
  settings = { serverUrl = os.getenv("SAFECODER_TEST_URL") },
})
vim.cmd("checkhealth safecoder")
local report = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\n")
local file = assert(io.open(os.getenv("SAFECODER_TEST_OUT"), "w"))
file:write(vim.json.encode({
  report = report,
  lsp_api = safecoder.lsp_api(),
  has_enable = vim.lsp.enable ~= nil and vim.lsp.config ~= nil,
  has_start = vim.lsp.start ~= nil,
}))
file:close()
vim.cmd("qall!")
