-- Drive `deferfix server` from a real Neovim: open a Go file, wait for the server's diagnostics,
-- ask for code actions of one kind, apply the first one, save the file and log what happened.
--
--   DEFERFIX_BIN=target/debug/deferfix FIXTURE=/tmp/x/main.go ACTION=quickfix OUT=/tmp/x/out.log \
--     nvim --headless --clean -u NONE -i NONE -n -c 'luafile tests/data/lsp/apply_code_action.lua' </dev/null
--
-- Env:  DEFERFIX_BIN  the deferfix binary; the server is started as {DEFERFIX_BIN, "server"}
--       FIXTURE       the Go file to open (it is edited in place and written back)
--       ACTION        the code-action kind to apply: "quickfix" or "source.fixAll.deferfix"
--       OUT           where the result log goes
--       TIMEOUT_MS    (optional) how long each wait lasts, default 10000
--
-- Exit status 0 with `result: ok` as the last line of OUT on success; exit status 1 with
-- `result: error: <reason>` as the last line on any failure or timeout.
--
-- Works with Neovim 0.7 (Debian 12's 0.7.2: no vim.lsp.start, no `nvim -l`) up to 0.11: it uses
-- vim.lsp.start when there is one, vim.lsp.start_client + buf_attach_client otherwise, and only
-- APIs that all of these have (vim.lsp.buf_request_sync, vim.lsp.util.apply_workspace_edit with an
-- offset encoding, vim.diagnostic.get, vim.wait). Under 0.9+ `nvim --headless -l <script>` works too.

local TIMEOUT = tonumber(os.getenv("TIMEOUT_MS") or "") or 10000
local OUT = os.getenv("OUT")
local lines = {}

local function say(fmt, ...)
  lines[#lines + 1] = string.format(fmt, ...)
end

local function flush()
  if not OUT or OUT == "" then
    io.stderr:write(table.concat(lines, "\n") .. "\n")
    return
  end
  local fh = io.open(OUT, "w")
  if fh then
    fh:write(table.concat(lines, "\n") .. "\n")
    fh:close()
  else
    io.stderr:write("apply_code_action.lua: cannot write OUT=" .. OUT .. "\n")
  end
end

-- Raised with error({reason = ...}) by `fail`, so that main's caller can tell a reported failure
-- from a Lua error.
local function fail(fmt, ...)
  error({ reason = string.format(fmt, ...) }, 0)
end

local function env(name)
  local v = os.getenv(name)
  if v == nil or v == "" then
    fail("environment variable %s is not set", name)
  end
  return v
end

-- UTF-16 code units in a UTF-8 string (vim.str_utfindex changed its signature in 0.11).
local function utf16_len(s)
  local n = 0
  for i = 1, #s do
    local b = s:byte(i)
    if b < 0x80 or b >= 0xC0 then -- not a continuation byte: one code point starts here
      n = n + (b >= 0xF0 and 2 or 1)
    end
  end
  return n
end

local function inspect1(v)
  return (vim.inspect(v, { newline = " ", indent = "" }))
end

local server_exit -- set by on_exit: { code = ..., signal = ... }

-- A vim.diagnostic entry back as an LSP Diagnostic. Neovim 0.10+ keeps the server's diagnostic
-- whole in user_data.lsp; 0.7-0.9 keep only some of its fields there, so the range is rebuilt
-- from the 0-based line and byte columns, converted to UTF-16 code units.
local function to_lsp_diagnostic(buf, d)
  local orig = d.user_data and d.user_data.lsp
  if orig and orig.range then
    return orig
  end
  local function pos(lnum, col)
    local text = vim.api.nvim_buf_get_lines(buf, lnum, lnum + 1, false)[1] or ""
    return { line = lnum, character = utf16_len(text:sub(1, col)) }
  end
  local lsp = vim.tbl_extend("force", {}, orig or {})
  lsp.range = { start = pos(d.lnum, d.col), ["end"] = pos(d.end_lnum or d.lnum, d.end_col or d.col) }
  lsp.severity = d.severity
  lsp.message = d.message
  lsp.source = d.source
  lsp.code = d.code or lsp.code
  return lsp
end

local function ranges_overlap(a, b)
  local function before(p, q) -- p < q
    return p.line < q.line or (p.line == q.line and p.character < q.character)
  end
  return not (before(a["end"], b.start) or before(b["end"], a.start))
end

-- The one response of `client_id` to a synchronous request, or fail.
local function request(buf, client_id, method, params)
  local responses, err = vim.lsp.buf_request_sync(buf, method, params, TIMEOUT)
  if not responses then
    fail("%s: no response (%s)", method, tostring(err or "timeout"))
  end
  local r = responses[client_id]
  if not r then
    fail("%s: no response from the deferfix client", method)
  end
  if r.err or r.error then
    fail("%s: error response %s", method, inspect1(r.err or r.error))
  end
  return r.result
end

local function kind_matches(kind, wanted)
  return kind == wanted or (kind ~= nil and kind:sub(1, #wanted + 1) == wanted .. ".")
end

local function main()
  local bin = env("DEFERFIX_BIN")
  local fixture = vim.fn.fnamemodify(env("FIXTURE"), ":p")
  local action_kind = env("ACTION")
  env("OUT")
  if action_kind ~= "quickfix" and action_kind ~= "source.fixAll.deferfix" then
    fail("ACTION must be quickfix or source.fixAll.deferfix, not %q", action_kind)
  end
  if vim.fn.executable(bin) ~= 1 then
    fail("DEFERFIX_BIN=%s is not executable", bin)
  end
  if vim.fn.filereadable(fixture) ~= 1 then
    fail("FIXTURE=%s is not a readable file", fixture)
  end
  say("nvim: %s", tostring(vim.version and vim.version() and
    string.format("%d.%d.%d", vim.version().major, vim.version().minor, vim.version().patch)))
  say("fixture: %s", fixture)
  say("action_kind: %s", action_kind)

  vim.cmd("edit " .. vim.fn.fnameescape(fixture))
  local buf = vim.api.nvim_get_current_buf()
  -- -u NONE: no filetype detection. didOpen's languageId is the filetype.
  vim.bo[buf].filetype = "go"

  local config = {
    name = "deferfix",
    cmd = { bin, "server" },
    root_dir = vim.fn.fnamemodify(fixture, ":h"),
    on_exit = function(code, signal)
      server_exit = { code = code, signal = signal }
    end,
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config, { bufnr = buf })
  else
    client_id = vim.lsp.start_client(config)
    if client_id then
      vim.lsp.buf_attach_client(buf, client_id)
    end
  end
  if not client_id then
    fail("the LSP client did not start (cmd: %s server)", bin)
  end

  local ok = vim.wait(TIMEOUT, function()
    local c = vim.lsp.get_client_by_id(client_id)
    return server_exit ~= nil or (c ~= nil and c.initialized == true)
  end, 20)
  if server_exit then
    fail("the server exited during initialize (code %s, signal %s)", tostring(server_exit.code),
      tostring(server_exit.signal))
  end
  if not ok then
    fail("timeout: the server did not answer initialize within %d ms", TIMEOUT)
  end
  local client = vim.lsp.get_client_by_id(client_id)
  local server_name = client.server_info and client.server_info.name
  if server_name then
    say("server: %s %s", server_name, tostring(client.server_info.version or ""))
  end
  say("offset_encoding: %s", tostring(client.offset_encoding))

  ok = vim.wait(TIMEOUT, function()
    return server_exit ~= nil or #vim.diagnostic.get(buf) > 0
  end, 20)
  if server_exit then
    fail("the server exited before publishing diagnostics (code %s)", tostring(server_exit.code))
  end
  if not ok then
    fail("timeout: no diagnostics for %s within %d ms", fixture, TIMEOUT)
  end

  local diags = vim.diagnostic.get(buf)
  table.sort(diags, function(a, b)
    return a.lnum < b.lnum or (a.lnum == b.lnum and a.col < b.col)
  end)
  say("diagnostics: %d", #diags)
  for i, d in ipairs(diags) do
    say("diagnostic %d: line %d col %d code %s source %s: %s", i, d.lnum + 1, d.col + 1,
      tostring(d.code), tostring(d.source), (d.message:gsub("\n", " ")))
  end

  local lsp_diags = {}
  for _, d in ipairs(diags) do
    lsp_diags[#lsp_diags + 1] = to_lsp_diagnostic(buf, d)
  end

  local uri = vim.uri_from_bufnr(buf)
  local params
  if action_kind == "quickfix" then
    local range = lsp_diags[1].range
    local context_diags = {}
    for _, d in ipairs(lsp_diags) do
      if ranges_overlap(d.range, range) then
        context_diags[#context_diags + 1] = d
      end
    end
    params = {
      textDocument = { uri = uri },
      range = range,
      context = { diagnostics = context_diags, only = { action_kind } },
    }
  else
    local n = vim.api.nvim_buf_line_count(buf)
    local last = vim.api.nvim_buf_get_lines(buf, n - 1, n, false)[1] or ""
    params = {
      textDocument = { uri = uri },
      range = { start = { line = 0, character = 0 }, ["end"] = { line = n - 1, character = utf16_len(last) } },
      context = { diagnostics = lsp_diags, only = { action_kind } },
    }
  end

  local actions = request(buf, client_id, "textDocument/codeAction", params) or {}
  say("actions: %d", #actions)
  local chosen
  for _, a in ipairs(actions) do
    say("action offered: %s (%s)", tostring(a.title), tostring(a.kind))
    -- A bare Command has no kind; take it only when nothing better is there.
    if not chosen and kind_matches(a.kind, action_kind) then
      chosen = a
    end
  end
  if not chosen then
    for _, a in ipairs(actions) do
      if a.kind == nil and type(a.command) == "string" then
        chosen = a
        break
      end
    end
  end
  if not chosen then
    fail("no code action of kind %s among %d returned", action_kind, #actions)
  end

  -- A CodeAction with neither edit nor command may need codeAction/resolve.
  if not chosen.edit and chosen.command == nil then
    local caps = client.server_capabilities or client.resolved_capabilities or {}
    local cap = caps.codeActionProvider
    if type(cap) == "table" and cap.resolveProvider then
      chosen = request(buf, client_id, "codeAction/resolve", chosen)
      say("resolved: codeAction/resolve")
    else
      fail("code action %q has neither an edit nor a command", tostring(chosen.title))
    end
  end

  say("applied: %s", tostring(chosen.title))
  say("applied_kind: %s", tostring(chosen.kind))
  local encoding = client.offset_encoding or "utf-16"
  if chosen.edit then
    vim.lsp.util.apply_workspace_edit(chosen.edit, encoding)
    say("applied_via: edit")
  end
  local command = chosen.command
  if type(command) == "string" then -- a bare Command
    command = { title = chosen.title, command = chosen.command, arguments = chosen.arguments }
  end
  if type(command) == "table" then
    -- The server answers workspace/executeCommand after sending workspace/applyEdit, which
    -- Neovim's default handler applies to the buffer.
    local tick = vim.api.nvim_buf_get_changedtick(buf)
    request(buf, client_id, "workspace/executeCommand",
      { command = command.command, arguments = command.arguments })
    vim.wait(TIMEOUT, function()
      return vim.api.nvim_buf_get_changedtick(buf) ~= tick
    end, 20)
    say("applied_via: command %s", tostring(command.command))
  end

  if not vim.bo[buf].modified then
    fail("applying %q left the buffer unchanged", tostring(chosen.title))
  end
  vim.api.nvim_buf_call(buf, function()
    vim.cmd("silent write")
  end)
  vim.cmd("silent! wall") -- any other file the edit touched
  say("written: %s", fixture)

  -- Shut the server down (shutdown request, then exit) and wait for it to go.
  vim.lsp.stop_client(client_id)
  vim.wait(TIMEOUT, function()
    return server_exit ~= nil
  end, 20)
  if server_exit then
    say("server_exit: code %s signal %s", tostring(server_exit.code), tostring(server_exit.signal))
  else
    say("server_exit: none within %d ms", TIMEOUT)
  end
end

local ok, err = xpcall(main, function(e)
  if type(e) == "table" and e.reason then
    return e.reason
  end
  return "Lua error: " .. debug.traceback(tostring(e), 2)
end)
if ok then
  say("result: ok")
  flush()
  vim.cmd("qall!")
else
  -- The server's stderr goes to Neovim's LSP log: copy this session's part of it (from the last
  -- "[START]" line, at most 40 lines) so that a failure explains itself.
  local ok_path, log_path = pcall(vim.lsp.get_log_path)
  if ok_path and log_path and vim.fn.filereadable(log_path) == 1 then
    local log = vim.fn.readfile(log_path)
    local from = 1
    for i = #log, 1, -1 do
      if log[i]:find("[START]", 1, true) then
        from = i
        break
      end
    end
    from = math.max(from, #log - 39)
    say("lsp_log: %s", log_path)
    for i = from, #log do
      say("  | %s", log[i])
    end
  end
  say("result: error: %s", (tostring(err):gsub("\n", "\n  ")))
  flush()
  vim.cmd("cquit 1")
end
