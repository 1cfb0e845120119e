"""The language server under fuzzing: hypothesis draws documents, ranged edits and requests.

Input: the command of a language server (`safecoder lsp ...`, started here over stdio as
an editor would) and a budget of messages. Output: a `Tally` where a request answered
with a result counts as ok, an LSP error answer (invalid params, cancelled, not
initialized, method not found) as a client error, and an internal error (-32603), an
"Error in server" message or a traceback in the server's log as a server error.

What hypothesis draws, per example: a document in one of the six supported languages
(code mixed with arbitrary Unicode, astral characters included, so UTF-16 positions
matter) or in an unsupported one; a series of incremental `didChange` edits with ranges,
as real editors send them, some of them out of range; completion, inline-completion and
code-action requests at positions inside and outside the document; cancellation storms
(a burst of requests, each cancelled at once); malformed parameters; `didClose` and
reopening. Separately, `probe_before_initialize` sends requests to a server that was
never initialized.

After every example the server must still answer `safecoder/status`; a server that
exited is a crash, a request unanswered within `timeout_s` a hang (both end the run).
Not a check of suggestion quality: point the server at an unreachable `--server-url`
and completions stop at the backend, after every position was resolved.
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
from collections.abc import Sequence
from typing import Any, cast

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInternalError

from safecoder.server.lsp.client import EditorClient, apply_text_edits
from safecoder.server.reliability.tally import Tally

LANGUAGES = {
    "python": ("py", "import os\n\ndef run(cmd):\n    os.system('ls ' + cmd)\n"),
    "c": ("c", "#include <string.h>\nvoid f(char *s) {\n  char b[8];\n  strcpy(b, s);\n}\n"),
    "cpp": ("cpp", "#include <cstdio>\nint main() { printf(\"%s\", \"x\"); }\n"),
    "go": ("go", "package main\n\nimport \"os/exec\"\n\nfunc f(c string) { exec.Command(\"sh\", \"-c\", c) }\n"),
    "java": ("java", "class A {\n  void f(String q) throws Exception {\n    Runtime.getRuntime().exec(q);\n  }\n}\n"),
    "javascript": ("js", "const cp = require('child_process');\nfunction f(x) { cp.exec('ls ' + x); }\n"),
    "ruby": ("rb", "def f(x)\n  system(\"ls \" + x)\nend\n"),
    "plaintext": ("txt", "not code\n"),
}


# The first line of a log record in the server's stderr (rich's layout, or logging's plain one).
_RECORD = re.compile(r"^(\[\d\d:\d\d:\d\d\])?\s*(DEBUG|INFO|WARNING|ERROR|CRITICAL)\b")


class FuzzClient(EditorClient):
    """The project's LSP client, counting tracebacks in the whole server log (not only its tail),
    except those pygls logs with the reason it refused a malformed message."""

    tracebacks = 0

    async def _drain_stderr(self) -> None:
        stream = self._server.stderr if self._server is not None else None
        if stream is None:
            return
        refused = False
        while line := await stream.readline():
            text = line.decode("utf-8", errors="replace").rstrip()
            if _RECORD.match(text):  # a new log record
                # pygls logs the reason it refused a malformed message with its traceback(s)
                refused = "Unable to deserialize message" in text
            elif "Traceback (most recent call last)" in text and not refused:
                self.tracebacks += 1
            self.stderr_tail.append(text)


def _strategies():
    from hypothesis import strategies as st

    unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
    line = st.one_of(unicode_text, st.sampled_from(["    ", "\t", "x = 1", "}", "😀😀", "é", "\r", "\r\n"]))

    @st.composite
    def position(draw, text: str):
        lines = text.split("\n")
        if draw(st.integers(0, 9)) == 0:  # out of range: past the last line or the line's end
            return types.Position(line=draw(st.integers(0, len(lines) + 5)), character=draw(st.integers(0, 10_000)))
        number = draw(st.integers(0, len(lines) - 1))
        units = sum(2 if ord(c) > 0xFFFF else 1 for c in lines[number])
        return types.Position(line=number, character=draw(st.integers(0, units)))

    @st.composite
    def edit(draw, text: str):
        start, end = draw(position(text)), draw(position(text))
        if (end.line, end.character) < (start.line, start.character) and draw(st.booleans()):
            start, end = end, start  # mostly ordered ranges; some reversed, as a buggy client sends
        return types.TextEdit(range=types.Range(start=start, end=end),
                              new_text="\n".join(draw(st.lists(line, max_size=3))))

    return st, position, edit


async def _ask(tally: Tally, future, what: str, timeout_s: float) -> Any:
    try:
        result = await asyncio.wait_for(future, timeout_s)
    except TimeoutError:
        tally.requests += 1
        tally.hangs += 1
        tally.fail(f"no answer in {timeout_s:.0f} s: {what}")
        raise
    except JsonRpcInternalError as exc:
        tally.requests += 1
        tally.server_errors += 1
        tally.fail(f"internal error for {what}: {exc}")
        return None
    except JsonRpcException:
        tally.requests += 1
        tally.client_errors += 1
        return None
    tally.requests += 1
    tally.ok += 1
    return result


def _document_request(method: str, uri: str, position: types.Position):
    document = types.TextDocumentIdentifier(uri=uri)
    if method == types.TEXT_DOCUMENT_INLINE_COMPLETION:
        return types.InlineCompletionParams(text_document=document, position=position, context=types.
                                            InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.
                                                                    Invoked))
    if method == types.TEXT_DOCUMENT_COMPLETION:
        return types.CompletionParams(text_document=document, position=position)
    if method == types.TEXT_DOCUMENT_HOVER:  # not offered by this server: must be MethodNotFound
        return types.HoverParams(text_document=document, position=position)
    return types.CodeActionParams(text_document=document, range=types.Range(start=position, end=position),
                                  context=types.CodeActionContext(diagnostics=[]))


def _send_raw(client: EditorClient, method: str, params: dict, msg_id: str) -> asyncio.Future:
    """A request whose params are sent as given (the typed client would refuse to build them)."""
    from concurrent.futures import Future

    future: Future = Future()
    client.protocol._request_futures[msg_id] = future
    client.protocol._send_data({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params})
    return asyncio.wrap_future(future)


MALFORMED = [
    {"textDocument": {"uri": "file:///nowhere.py"}, "position": {"line": -1, "character": -5}},
    {"textDocument": {"uri": 7}, "position": {"line": "one", "character": None}},
    {"position": {"line": 0, "character": 0}},
    {},
    {"textDocument": {"uri": "file:///x.py"}, "position": {"line": 2**40, "character": 2**40}},
]


async def fuzz_session(command: Sequence[str], messages: int, seed: int = 0, timeout_s: float = 60.0,
                       cwd: str | None = None) -> Tally:
    """Send about `messages` fuzzed messages to one server; returns the counts."""
    from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    from hypothesis import seed as hypothesis_seed

    st, position, edit = _strategies()
    tally = Tally("lsp")
    started = time.monotonic()
    client = FuzzClient()
    await client.connect(command, cwd=cwd, initialization_options={"diagnosticsDebounceMs": 20})
    loop = asyncio.get_running_loop()
    counter = itertools.count()
    stop: list[str] = []

    def plan(data) -> tuple[str, str, str, list[tuple]]:
        """Draw one example (in hypothesis's thread): a document and its steps, positions
        taken against the text as it will be after the edits before them."""
        language = data.draw(st.sampled_from(sorted(LANGUAGES)), label="language")
        extension, sample = LANGUAGES[language]
        uri = f"file:///fuzz/doc{next(counter)}.{extension}"
        text = data.draw(st.one_of(st.just(sample), st.builds(lambda a, b: a + b, st.just(sample),
                                                               st.text(max_size=200))), label="text")
        current, steps = text, []
        for _ in range(data.draw(st.integers(1, 8), label="steps")):
            kind = data.draw(st.sampled_from(["edit", "edit", "edit", "request", "storm", "malformed", "reopen"]))
            if kind == "edit":
                edits = [data.draw(edit(current)) for _ in range(data.draw(st.integers(1, 3)))]
                for one in edits:  # the server applies them in order, each on the result of the last
                    current = apply_text_edits(current, [one])
                steps.append(("edit", edits, current))
            elif kind == "request":
                method = data.draw(st.sampled_from([types.TEXT_DOCUMENT_INLINE_COMPLETION,
                                                    types.TEXT_DOCUMENT_COMPLETION, types.TEXT_DOCUMENT_CODE_ACTION,
                                                    types.TEXT_DOCUMENT_HOVER]))
                steps.append(("request", method, data.draw(position(current))))
            elif kind == "storm":
                steps.append(("storm", [data.draw(position(current)) for _ in range(data.draw(st.integers(2, 20)))]))
            elif kind == "malformed":
                steps.append(("malformed", data.draw(st.sampled_from(MALFORMED))))
            else:
                steps.append(("reopen", current))
        return uri, language, text, steps

    async def execute(uri: str, language: str, text: str, steps: list[tuple]) -> None:
        client.open(uri, language, text)
        tally.requests += 1
        tally.ok += 1
        for step in steps:
            if step[0] == "edit":
                _, edits, after = step
                client.versions[uri] += 1
                client.text_document_did_change(types.DidChangeTextDocumentParams(
                    text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=client.versions[uri]),
                    content_changes=[types.TextDocumentContentChangePartial(range=e.range, text=e.new_text)
                                     for e in edits]))
                client.texts[uri] = after
                tally.requests += 1
                tally.ok += 1
            elif step[0] == "request":
                _, method, where = step
                params = _document_request(method, uri, where)
                await _ask(tally, client.protocol.send_request_async(method, params), f"{method} on {uri}",
                           timeout_s)
            elif step[0] == "storm":
                ids = [f"storm-{next(counter)}" for _ in step[1]]
                futures = [client.protocol.send_request_async(
                    types.TEXT_DOCUMENT_INLINE_COMPLETION,
                    _document_request(types.TEXT_DOCUMENT_INLINE_COMPLETION, uri, where), msg_id=msg_id)
                    for msg_id, where in zip(ids, step[1], strict=True)]
                for msg_id in ids:
                    client.cancel(msg_id)
                    tally.requests += 1
                    tally.ok += 1
                for msg_id, future in zip(ids, futures, strict=True):
                    await _ask(tally, future, f"cancelled request {msg_id}", timeout_s)
            elif step[0] == "malformed":
                await _ask(tally, _send_raw(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, step[1],
                                            f"malformed-{next(counter)}"), f"malformed params {step[1]}", timeout_s)
            else:
                client.text_document_did_close(types.DidCloseTextDocumentParams(
                    text_document=types.TextDocumentIdentifier(uri=uri)))
                client.open(uri, language, step[1])
                tally.requests += 2
                tally.ok += 2
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        tally.requests += 1
        tally.ok += 1
        await _ask(tally, client.protocol.send_request_async("safecoder/status", None), "status", timeout_s)

    # hypothesis runs synchronously in a worker thread; each example is sent from this loop.
    def run_example(data) -> None:
        drawn = plan(data)  # always drawn, so hypothesis sees the same draws for the same example
        if stop or tally.requests >= messages:
            return
        try:
            asyncio.run_coroutine_threadsafe(execute(*drawn), loop).result(timeout_s * 30)
        except (TimeoutError, ConnectionError, RuntimeError) as exc:
            stop.append(f"{type(exc).__name__}: {exc}")

    rounds = 0
    while tally.requests < messages and not stop:
        before = tally.requests

        # cast: hypothesis iterates HealthCheck through its metaclass's unannotated __iter__,
        # which pyright reads as yielding the metaclass, not the members.
        @hypothesis_seed(seed * 1_000 + rounds)
        @settings(max_examples=max(1, (messages - tally.requests) // 12), database=None, deadline=None,
                  phases=[Phase.generate], suppress_health_check=cast("list[HealthCheck]", list(HealthCheck)),
                  verbosity=Verbosity.quiet)
        @given(data=st.data())
        def run(data) -> None:
            run_example(data)

        await asyncio.to_thread(run)
        rounds += 1
        if tally.requests == before:
            break
    errors_shown = [m.message for m in client.messages if m.message.startswith("Error in server")]
    tally.server_errors += len(errors_shown) + client.tracebacks
    for message in errors_shown:
        tally.fail(message)
    if client.tracebacks:
        tally.fail(f"{client.tracebacks} tracebacks in the server log; its tail:\n" + "\n".join(client.stderr_tail))
    if stop or client._server is None or client._server.returncode is not None:
        tally.crashes += 1
        exit_code = client._server.returncode if client._server is not None else "no process"
        tally.fail(f"the server stopped: {stop or exit_code}")
    else:
        await client.close()
    tally.seconds = time.monotonic() - started
    return tally


async def probe_before_initialize(command: Sequence[str], timeout_s: float = 60.0, cwd: str | None = None) -> Tally:
    """Requests and notifications to a server that was never initialized: each request must be
    answered (an error), and `initialize` must still work afterwards."""
    tally = Tally("lsp before initialize")
    started = time.monotonic()
    client = FuzzClient()
    await client.start_io(command[0], *command[1:], cwd=cwd)
    client._async_tasks.append(asyncio.create_task(client._drain_stderr()))
    uri = "file:///early.py"
    client.text_document_did_open(types.DidOpenTextDocumentParams(
        text_document=types.TextDocumentItem(uri=uri, language_id="python", version=1, text="import os\n")))
    for method in (types.TEXT_DOCUMENT_INLINE_COMPLETION, types.TEXT_DOCUMENT_COMPLETION,
                   types.TEXT_DOCUMENT_CODE_ACTION):
        params = _document_request(method, uri, types.Position(line=0, character=3))
        await _ask(tally, client.protocol.send_request_async(method, params), f"{method} before initialize",
                   timeout_s)
    await _ask(tally, client.protocol.send_request_async("safecoder/status", None), "status before initialize",
               timeout_s)
    await _ask(tally, client.initialize_async(types.InitializeParams(
        process_id=None, root_uri=None, capabilities=types.ClientCapabilities())), "initialize", timeout_s)
    tally.server_errors += client.tracebacks
    await client.close()
    tally.seconds = time.monotonic() - started
    return tally
