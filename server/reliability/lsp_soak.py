"""The language-server soak: editors typing into `safecoder lsp` for minutes, suggestions from `safecoder serve`.

    python -m safecoder.server.reliability.lsp_soak --minutes 10 --clients 16     # the full soak
    python -m safecoder.server.reliability.lsp_soak --minutes 0.5 --clients 2     # a short one

Input: a server to start (as `safecoder.server.reliability.soak` starts it: the default
model, gate `rerank`) or a running one (`--url`). Each client is one editor: its own
`safecoder lsp` process over stdio (as every editor window starts one), pointed at that
server. Each loops over what a user does: types a character at the end of a document
(an incremental `didChange` with a range, as editors send), asks for an inline
completion there, sometimes leaves one (the request is cancelled at once, as an editor
does when the user types on), and, when the analyzer flagged the document, asks for the
code actions of the first diagnostic. Documents are Python files holding a weakness, so
diagnostics and fixes are exercised, and every client starts a new document after a
while (open, type, close), so the per-document state must not grow.

Output: per minute, requests, errors and p50/p99 latency of the answered ones; resident
memory of the language servers (summed) after a warm-up and at the end; the exit codes
after `shutdown` and `exit`. An *error* is an LSP error answer other than the
cancellation an editor asked for, an "Error in server" message, a request unanswered in
`--timeout-s` (a hang) or a server that exited. Not a latency benchmark (`make bench-lsp`
is one): the point is that nothing fails, leaks or slows down over time.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled

from safecoder.server.lsp.client import EditorClient
from safecoder.server.reliability.soak import SoakReport, aggregate, soak_parser
from safecoder.server.reliability.spawn import resident_mib, start_serve

OK, CANCELLED, FAILED = 200, 200, 500  # a cancellation the client asked for is an answer, counted by kind
DOCUMENT = ("import os\nimport subprocess\n\n\ndef list_folder(name):\n    os.system('ls ' + name)\n\n\n"
            "def handler_{n}(request):\n    ")
TYPED = "path = request.args.get('path')\n    "
EDITS_PER_DOCUMENT = 24


def _type(client: EditorClient, uri: str, text: str) -> None:
    """Insert `text` at the end of the document with a ranged edit."""
    end = _end(client, uri)
    client.versions[uri] += 1
    client.texts[uri] += text
    client.text_document_did_change(types.DidChangeTextDocumentParams(
        text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=client.versions[uri]),
        content_changes=[types.TextDocumentContentChangePartial(range=types.Range(start=end, end=end), text=text)]))


def _end(client: EditorClient, uri: str) -> types.Position:
    """The end of the document, in UTF-16 code units as LSP counts them."""
    lines = client.texts[uri].split("\n")
    return types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)


def _inline_params(uri: str, where: types.Position) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri), position=where,
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked))


async def _timed(future, timeout_s: float, cancelled_ok: bool = False) -> tuple[int, str]:
    """(status, what went wrong) of one request."""
    try:
        await asyncio.wait_for(future, timeout_s)
    except TimeoutError:
        return FAILED, f"no answer in {timeout_s:.0f} s"
    except JsonRpcRequestCancelled:
        return (CANCELLED, "") if cancelled_ok else (FAILED, "cancelled though nobody asked")
    except JsonRpcException as exc:
        return FAILED, f"{type(exc).__name__}: {exc}"
    return OK, ""


async def _editor(number: int, client: EditorClient, until: float, started: float, timeout_s: float,
                  samples: list[tuple[int, str, float, int]]) -> None:
    ids = itertools.count()
    for document in itertools.count():
        if time.monotonic() >= until:
            return
        uri = f"file:///soak/client{number}/doc{document}.py"
        client.open(uri, "python", DOCUMENT.format(n=document))
        for step in range(EDITS_PER_DOCUMENT):
            if time.monotonic() >= until:
                break
            _type(client, uri, TYPED[step % len(TYPED)])
            minute = int((time.monotonic() - started) // 60)
            msg_id = f"c{number}-{next(ids)}"
            future = client.protocol.send_request_async(types.TEXT_DOCUMENT_INLINE_COMPLETION,
                                                        _inline_params(uri, _end(client, uri)), msg_id=msg_id)
            kind = "inline"
            if step % 4 == 3:  # the user typed on: the editor cancels the request it no longer needs
                client.cancel(msg_id)
                kind = "cancel"
            begun = time.monotonic()
            status, problem = await _timed(future, timeout_s, cancelled_ok=kind == "cancel")
            samples.append((minute, f"{kind}: {problem}" if problem else kind, time.monotonic() - begun, status))
            if step % 6 == 5 and client.published[uri]:
                diagnostics = list(client.published[uri][-1].diagnostics)
                if diagnostics:
                    begun = time.monotonic()
                    status, problem = await _timed(client.code_actions(uri, diagnostics[:1]), timeout_s)
                    samples.append((int((begun - started) // 60), f"code_action: {problem}" if problem
                                    else "code_action", time.monotonic() - begun, status))
        client.text_document_did_close(types.DidCloseTextDocumentParams(
            text_document=types.TextDocumentIdentifier(uri=uri)))
        client.texts.pop(uri, None)


def _servers_mib(clients: Sequence[EditorClient]) -> float | None:
    pids = [c._server.pid for c in clients if c._server is not None and c._server.returncode is None]
    return sum(resident_mib(pid) for pid in pids) if len(pids) == len(clients) else None


async def lsp_soak(url: str, clients: int, minutes: float, timeout_s: float = 120.0,
                   warmup_s: float = 20.0) -> tuple[SoakReport, list[int | None]]:
    """Run the soak; the report, and each language server's exit code after shutdown and exit."""
    command = [sys.executable, "-m", "safecoder.server.lsp", "--no-preload", "--server-url", url]
    editors = [EditorClient() for _ in range(clients)]
    await asyncio.gather(*(e.connect(command, initialization_options={"diagnosticsDebounceMs": 50,
                                                                      "completionDebounceMs": 0})
                           for e in editors))
    report = SoakReport(clients, minutes, subject="lsp soak")
    samples: list[tuple[int, str, float, int]] = []
    warm_until = time.monotonic() + warmup_s
    await asyncio.gather(*(_editor(i, e, warm_until, time.monotonic(), timeout_s, []) for i, e in enumerate(editors)))
    report.rss_start_mib = _servers_mib(editors)
    started = time.monotonic()
    await asyncio.gather(*(_editor(i, e, started + minutes * 60, started, timeout_s, samples)
                           for i, e in enumerate(editors)))
    report.rss_end_mib = _servers_mib(editors)
    for number, editor in enumerate(editors):
        shown = [m.message for m in editor.messages if m.message.startswith("Error in server")]
        samples.extend((int(minutes), f"client {number}: {message}", 0.0, FAILED) for message in shown)
        if editor._server is None or editor._server.returncode is not None:
            samples.append((int(minutes), f"client {number}: the language server exited", 0.0, FAILED))
    await asyncio.gather(*(e.close() for e in editors))
    aggregate(report, samples)
    return report, [e._server.returncode if e._server is not None else None for e in editors]


def main(argv: list[str] | None = None) -> int:
    parser = soak_parser(__doc__, "editors, each with its own language server")
    parser.add_argument("--timeout-s", type=float, default=120.0, help="a request unanswered this long is a hang")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.minutes <= 0:
        parser.error("--clients must be at least 1 and --minutes more than 0")

    served = None
    url = args.url
    if url is None:
        log = Path(tempfile.mkdtemp(prefix="safecoder-lsp-soak-")) / "serve.log"
        served = start_serve(args.serve_args.split(), log)
        url = served.url
        print(f"lsp soak: serving at {url} (log {log})", flush=True)
    try:
        report, exit_codes = asyncio.run(lsp_soak(url, args.clients, args.minutes, args.timeout_s, args.warmup_s))
    finally:
        if served is not None:
            served.stop()
    print(report.text())
    print(f"language servers' exit codes after shutdown and exit: {sorted(set(exit_codes), key=str)}")
    if args.json:
        args.json.write_text(json.dumps({**asdict(report), "rss_growth": report.rss_growth,
                                         "exit_codes": exit_codes}, indent=2))
    return 0 if report.errors == 0 and set(exit_codes) == {0} else 1


if __name__ == "__main__":
    sys.exit(main())
