"""Continuous batching over one llama.cpp context, owned by one worker thread.

llama.cpp contexts are not thread-safe, so a single `ContinuousBatcher` thread owns the
context and every call into it. Requests arrive through `submit` from any thread; each
becomes one or more *rows* (a row is one sequence in the KV cache: one sample, or the
single sequence that answers all n samples of a greedy request). At every step the
thread builds one `llama_batch` with the next token of every decoding row plus a chunk
of the prompt of each newly admitted request (chunked prefill), runs one
`llama_decode`, and samples each row's next token with its own sampler chain. So the k
candidates of the security gate, or 16 concurrent editor requests, share one forward
pass per step instead of taking k.

A request's prompt is decoded once: its tokens carry the sequence ids of all rows
admitted with it (the unified KV cache stores them once), and those rows sample their
first token from the same logits. Rows admitted later (a request with more samples
than free slots runs in waves) take a copy of the prompt's cells from a sibling
(`llama_memory_seq_cp`, which shares cells rather than copying data) or inherit a
finished sibling's sequence, and re-decode only the prompt's last token. Each row
reserves `max_new_tokens` KV cells and each request its prompt, so admission never
overfills the cache.

Prompt cache (llama.cpp's server calls it `cache_prompt`): a row that finishes keeps its
sequence and its prompt's cells instead of clearing them, with the prompt's token ids
(not the generated tokens' cells: see `_keep`). When a new request's prompt shares at
least `prompt_cache_min_tokens` leading tokens with a kept sequence, its first row takes
that sequence over, drops the cells past the shared prefix (`llama_memory_seq_rm`), and
decodes only the rest of the prompt, from the same position as a fresh decode would; the
request's other rows copy the shared cells (`llama_memory_seq_cp`, which shares them).
Taking over rather than copying is llama.cpp server's choice too: the keystrokes of one
file keep reusing one sequence instead of filling the slots with near-copies. The
prompt's last token is always decoded again, for its logits. Reused cells hold the same
tokens at the same positions, but the new tokens are decoded in another batch shape and
land elsewhere in the cache, where llama.cpp's kernels round differently: log-
probabilities move by ~0.1 at most (the same as with another request in flight), which
can flip a greedy near-tie or a seeded draw. Kept cells alone move a new sequence's cells
too. So a request with a `seed` evicts every kept sequence and starts from an empty cache
(its own prompt is kept afterwards): run alone, it reproduces exactly. Kept sequences are evicted, least recently used first, when a request needs a
sequence slot or KV cells; their cells are counted as used until then (cells shared by
several kept sequences are counted once per sequence, so the count errs high). A
cancelled or failed request keeps nothing. So successive keystrokes in one file decode
only the new tokens.

Sampling follows the engine interface (`safecoder.engines.base`): logit bias (and, for
`ignore_eos`, -inf on every end-of-generation token, as llama.cpp's server does), then
the penalties, then top-k, temperature, top-p and min-p on the tempered distribution and
a seeded draw (the order transformers and vLLM use); greedy is argmax after bias and
penalties. The repetition penalty is one llama.cpp penalties sampler that has seen the
prompt; presence and frequency penalties are a second one that sees only generated
tokens (OpenAI's meaning). Stop strings go through `StopScanner`; end-of-generation
tokens are left out of the text and the token count; `logprob` sums the sampled tokens'
log-probabilities under the unwarped logits, and `top_logprobs` reports each token's
with its likeliest alternatives, from the same unwarped logits.

Not here: tokenization policy, chat templates and fill-in-the-middle (`llama_engine`);
sharing cells between two requests that are in flight at the same time (only finished
sequences are reused), and saving the cache to disk.
"""

from __future__ import annotations

import codecs
import collections
import ctypes
import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from safecoder.engines.base import (
    EngineError,
    FinishReason,
    SamplingParams,
    StreamDelta,
    TokenLogprob,
)
from safecoder.engines.stops import StopScanner

logger = logging.getLogger(__name__)

Emit = Callable[[list[StreamDelta] | BaseException | None], None]
"""Receives each step's deltas of one request, an exception, or None when it is over."""

Phase = Literal["prefill", "wait", "first", "sample", "decode", "done"]


@dataclass(eq=False)
class _Row:
    """One sequence in the KV cache and the sample indices it answers."""

    indices: list[int]
    seed: int
    stops: tuple[str, ...]
    seq: int = -1
    phase: Phase = "wait"
    sampler: object = None
    tokens: list[int] = field(default_factory=list)
    text: str = ""
    logprob: float = 0.0
    logits_index: int = -1
    finish_reason: FinishReason | None = None
    # Token log-probabilities not yet handed out (with `top_logprobs`).
    token_logprobs: list[TokenLogprob] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self.scanner = StopScanner(self.stops)


@dataclass(eq=False)
class Job:
    """A request in flight: prompt tokens, sampling, rows, and where its output goes."""

    prompt: list[int]
    sampling: SamplingParams
    emit: Emit
    cancelled: threading.Event = field(default_factory=threading.Event)
    pending: collections.deque = field(default_factory=collections.deque)
    rows: list[_Row] = field(default_factory=list)
    cohort: list[_Row] = field(default_factory=list)
    prompt_fed: int = 0
    reserved: int = 0
    finished_rows: int = 0
    # Leading prompt tokens whose cells came from the prompt cache (not decoded again).
    reused: int = 0

    @property
    def prefix_ready(self) -> bool:
        return self.prompt_fed >= len(self.prompt)

    @property
    def total_rows(self) -> int:
        return 1 if self.sampling.greedy else self.sampling.n


class ContinuousBatcher:
    """The worker thread that owns a llama.cpp context (see the module docstring)."""

    def __init__(self, *, lib, context, vocab, n_vocab: int, slots: int, kv_cells: int,
                 batch_tokens: int, cache_min_tokens: int = 0, name: str = "safecoder-llama"):
        if batch_tokens <= slots:
            raise EngineError(f"batch_tokens ({batch_tokens}) must exceed the parallel sequences ({slots})")
        self._lib = lib
        self._ctx = context
        self._vocab = vocab
        self._memory = lib.llama_get_memory(context)
        self._n_vocab = n_vocab
        self._kv_cells = kv_cells
        self._batch_tokens = batch_tokens
        self._batch = lib.llama_batch_init(batch_tokens, 0, slots)
        self._tokens = np.ctypeslib.as_array(self._batch.token, shape=(batch_tokens,))
        self._positions = np.ctypeslib.as_array(self._batch.pos, shape=(batch_tokens,))
        self._n_seq_id = np.ctypeslib.as_array(self._batch.n_seq_id, shape=(batch_tokens,))
        self._wants_logits = np.ctypeslib.as_array(self._batch.logits, shape=(batch_tokens,))
        self._seq_ids = [self._batch.seq_id[i] for i in range(batch_tokens)]
        self._piece = ctypes.create_string_buffer(256)
        self._free_seqs = list(range(slots - 1, -1, -1))
        # The prompt cache: finished sequences kept with the tokens their cells hold, least
        # recently used first; 0 turns it off.
        self._cache_min_tokens = cache_min_tokens
        self._kept: collections.OrderedDict[int, list[int]] = collections.OrderedDict()
        self._reserved = 0
        self._jobs: list[Job] = []
        self._inbox: collections.deque[Job] = collections.deque()
        self._wake = threading.Condition()
        self._closing = False
        self._failure: BaseException | None = None
        self.counters = {"decode_calls": 0, "sampled_tokens": 0, "peak_rows_per_call": 0,
                         "prompt_tokens_decoded": 0, "prompt_tokens_reused": 0, "prompt_cache_hits": 0,
                         "prompt_cache_evictions": 0}
        # End-of-generation tokens, forbidden by `ignore_eos`.
        self._eog = [t for t in range(n_vocab) if lib.llama_vocab_is_eog(vocab, t)]
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    # ----- called from any thread -----------------------------------------------------
    def submit(self, job: Job) -> None:
        with self._wake:
            if self._closing:
                raise EngineError("the llama.cpp engine is closed")
            if self._failure is not None:
                raise EngineError(f"the llama.cpp engine stopped after an error: {self._failure}")
            job.pending.extend(_new_rows(job.sampling))
            self._inbox.append(job)
            self._wake.notify()

    def cancel(self, job: Job) -> None:
        job.cancelled.set()
        with self._wake:
            self._wake.notify()

    def close(self, timeout: float = 60.0) -> bool:
        """Stop the thread; True when it stopped and the caller may free the context."""
        with self._wake:
            self._closing = True
            self._wake.notify()
        self._thread.join(timeout)
        if self._thread.is_alive():
            logger.warning("the llama.cpp worker did not stop within %.0f s", timeout)
            return False
        self._lib.llama_batch_free(self._batch)
        return True

    @property
    def active_requests(self) -> int:
        with self._wake:
            return len(self._jobs) + len(self._inbox)

    @property
    def kept_sequences(self) -> int:
        """Finished sequences whose cells the prompt cache holds now."""
        return len(self._kept)

    # ----- the worker thread ------------------------------------------------------------
    def _run(self) -> None:
        try:
            while self._take_new_jobs():
                self._drop_cancelled()
                self._admit()
                self._step()
        except BaseException as exc:  # reported to every waiting request, never lost
            logger.exception("the llama.cpp worker failed")
            with self._wake:
                self._failure = exc
            error = exc if isinstance(exc, EngineError) else EngineError(f"the llama.cpp engine failed: {exc}")
            for job in self._jobs + list(self._inbox):
                job.emit(error)
            self._jobs.clear()
            self._inbox.clear()
        for job in self._jobs + list(self._inbox):
            self._release_job(job)
            job.emit(EngineError("the llama.cpp engine was closed while generating"))

    def _take_new_jobs(self) -> bool:
        """Move submitted jobs into the working set; sleep while there is nothing to do."""
        with self._wake:
            while not self._inbox and not self._jobs and not self._closing:
                self._wake.wait()
            if self._closing:
                return False
            self._jobs.extend(self._inbox)
            self._inbox.clear()
            return True

    def _drop_cancelled(self) -> None:
        for job in [j for j in self._jobs if j.cancelled.is_set()]:
            self._release_job(job)
            job.emit(None)

    def _admit(self) -> None:
        """Give sequences to pending rows while their KV cells can be reserved, evicting
        kept sequences of the prompt cache (least recently used first) to make room."""
        for job in self._jobs:
            while job.pending:
                first = job.reserved == 0
                need = job.sampling.max_new_tokens + (len(job.prompt) if first else 0)
                if first and job.sampling.seed is not None:
                    # A seeded request starts from an empty cache, so that it reproduces
                    # exactly when run alone (see the module docstring).
                    self._evict_all()
                source, shared = self._best_kept(job.prompt) if first else (-1, 0)
                seq = self._claim(need, source)
                if seq < 0:
                    break
                row = job.pending.popleft()
                row.seq = seq
                row.sampler = self._make_sampler(job, row.seed)
                self._reserved += need
                job.reserved += need
                job.rows.append(row)
                if first and source >= 0:
                    self._reuse(job, row, shared)
                if job.prefix_ready:
                    self._copy_prefix(job, row)
                elif job.prompt_fed == job.reused:  # no chunk decoded yet: join the prefill
                    if job.reused and job.cohort:
                        self._lib.llama_memory_seq_cp(self._memory, job.cohort[0].seq, row.seq, 0, job.reused)
                    row.phase = "prefill"
                    job.cohort.append(row)
                else:
                    row.phase = "wait"

    # ----- the prompt cache ------------------------------------------------------------
    def _best_kept(self, prompt: list[int]) -> tuple[int, int]:
        """The kept sequence sharing the longest prefix with `prompt` and that prefix's
        length, capped so the prompt's last token is decoded again; (-1, 0) below the minimum."""
        if not self._cache_min_tokens:
            return -1, 0
        best, best_length = -1, 0
        for seq, tokens in self._kept.items():
            length = _common_prefix(tokens, prompt)
            if length > best_length:
                best, best_length = seq, length
        best_length = min(best_length, len(prompt) - 1)
        return (best, best_length) if best_length >= self._cache_min_tokens else (-1, 0)

    def _claim(self, need: int, source: int) -> int:
        """A sequence for a row that reserves `need` cells: the kept sequence `source` when
        given, else a free one; kept sequences are evicted, least recently used first, for
        the slot and the cells. -1 when there is no room even so (the row waits)."""
        while True:
            kept_cells = sum(len(tokens) for seq, tokens in self._kept.items() if seq != source)
            if self._reserved + need + kept_cells <= self._kv_cells and (source >= 0 or self._free_seqs):
                break
            victim = next((seq for seq in self._kept if seq != source), -1)
            if victim < 0:
                return -1
            self._evict(victim)
        if source >= 0:
            del self._kept[source]
            return source
        return self._free_seqs.pop()

    def _reuse(self, job: Job, row: _Row, shared: int) -> None:
        """`row` took over a kept sequence: keep its first `shared` cells, drop the rest."""
        self._lib.llama_memory_seq_rm(self._memory, row.seq, shared, -1)
        job.prompt_fed = job.reused = shared
        self.counters["prompt_cache_hits"] += 1
        self.counters["prompt_tokens_reused"] += shared

    def _keep(self, seq: int, tokens: list[int]) -> None:
        """Keep a finished sequence's prompt cells. Its generated tokens' cells are dropped:
        they were computed one token per batch, which llama.cpp's kernels round differently
        from a prompt chunk in an f16 KV cache, so reusing them could change a later greedy
        answer at a near-tie (measured; llama.cpp's server accepts that difference, we keep
        cached answers equal to uncached ones). Prompt chunks of any length round alike."""
        self._kept[seq] = tokens
        self._kept.move_to_end(seq)

    def _evict(self, seq: int) -> None:
        del self._kept[seq]
        self._lib.llama_memory_seq_rm(self._memory, seq, -1, -1)
        self._free_seqs.append(seq)
        self.counters["prompt_cache_evictions"] += 1

    def _evict_all(self) -> bool:
        evicted = bool(self._kept)
        for seq in list(self._kept):
            self._evict(seq)
        return evicted

    def _step(self) -> None:
        """One llama_decode over every row's next token and the pending prompt chunks."""
        n = 0
        for job in self._jobs:
            for row in job.rows:
                if row.phase == "decode":
                    self._add(n, row.tokens[-1], len(job.prompt) + len(row.tokens) - 1, (row.seq,), True)
                elif row.phase == "first":
                    self._add(n, job.prompt[-1], len(job.prompt) - 1, (row.seq,), True)
                else:
                    continue
                row.logits_index = n
                row.phase = "sample"
                n += 1
        rows_in_call = n
        prefilled: list[tuple[Job, int]] = []
        for job in self._jobs:
            if not job.cohort or job.prefix_ready or n >= self._batch_tokens:
                continue
            start = job.prompt_fed
            chunk = job.prompt[start: start + self._batch_tokens - n]
            seqs = tuple(row.seq for row in job.cohort)
            for offset, token in enumerate(chunk):
                self._add(n + offset, token, start + offset, seqs, False)
            rows_in_call += len(seqs) if start + len(chunk) == len(job.prompt) else 0
            n += len(chunk)
            prefilled.append((job, len(chunk)))
            if start + len(chunk) == len(job.prompt):
                self._wants_logits[n - 1] = 1
                for row in job.cohort:
                    row.logits_index = n - 1
        if n == 0:
            return
        self._batch.n_tokens = n
        code = self._lib.llama_decode(self._ctx, self._batch)
        self.counters["decode_calls"] += 1
        self.counters["peak_rows_per_call"] = max(self.counters["peak_rows_per_call"], rows_in_call)
        if code == 1:
            # Kept sequences go first; the batch is retried at the next step.
            self._no_room([job for job, _ in prefilled], gave_room=self._evict_all())
            return
        if code != 0:
            raise EngineError(f"llama_decode failed with status {code}")
        for job, fed in prefilled:
            job.prompt_fed += fed
            self.counters["prompt_tokens_decoded"] += fed
            if job.prefix_ready:
                for row in job.cohort:
                    row.phase = "sample"
                for row in job.rows:
                    if row.phase == "wait":
                        self._copy_prefix(job, row)
        self._sample_all()

    def _no_room(self, prefilling: list[Job], gave_room: bool) -> None:
        """llama.cpp found no KV slot for the batch and left the cache as it was: the
        requests whose prompts were in it fail (none when the prompt cache could give room
        back), the others retry their tokens at the next step."""
        victims = [] if gave_room else prefilling or self._jobs[-1:]
        for job in victims:
            self._release_job(job)
            job.emit(EngineError("no room in the llama.cpp KV cache for this request: retry, or raise "
                                 "kv_cache_tokens (or lower parallel_sequences)"))
        for job in self._jobs:
            for row in job.rows:
                if row.phase == "sample":
                    row.phase = "first" if not row.tokens else "decode"
                    row.logits_index = -1

    def _sample_all(self) -> None:
        for job in list(self._jobs):
            deltas: list[StreamDelta] = []
            for row in list(job.rows):
                if row.phase != "sample":
                    continue
                self._sample(job, row, deltas)
                if row.finish_reason is not None:
                    self._finish_row(job, row, deltas)
            if deltas:
                job.emit(deltas)
            if job.finished_rows == job.total_rows:
                self._release_job(job)
                job.emit(None)

    def _sample(self, job: Job, row: _Row, deltas: list[StreamDelta]) -> None:
        lib = self._lib
        token = lib.llama_sampler_sample(row.sampler, self._ctx, row.logits_index)
        row.phase = "decode"
        self.counters["sampled_tokens"] += 1
        top_k = job.sampling.top_logprobs
        logprobs = self._logprobs(row.logits_index) if job.sampling.logprobs or top_k is not None else None
        if logprobs is not None:
            row.logprob += float(logprobs[token])
        if lib.llama_vocab_is_eog(self._vocab, token):
            row.finish_reason = "stop"
            return
        row.tokens.append(token)
        piece = self._token_piece(token)
        row.text += row.decoder.decode(piece)
        if top_k is not None and logprobs is not None:  # logprobs is computed whenever top_k is set
            alternatives = np.argsort(-logprobs)[:top_k] if top_k else ()
            row.token_logprobs.append(TokenLogprob(
                piece.decode("utf-8", "replace"), float(logprobs[token]),
                tuple((self._token_piece(int(t)).decode("utf-8", "replace"), float(logprobs[t]))
                      for t in alternatives)))
        released = row.scanner.feed(row.text)
        if released or row.token_logprobs:
            tokens, row.token_logprobs = tuple(row.token_logprobs), []
            deltas.extend(StreamDelta(index=i, text=released, token_count=len(row.tokens),
                                      prompt_tokens=len(job.prompt), tokens=tokens) for i in row.indices)
        if row.scanner.stopped:
            row.finish_reason = "stop"
        elif len(row.tokens) >= job.sampling.max_new_tokens:
            row.finish_reason = "length"

    def _finish_row(self, job: Job, row: _Row, deltas: list[StreamDelta]) -> None:
        tail = ""
        if not row.scanner.stopped:
            row.text += row.decoder.decode(b"", final=True)
            released = row.scanner.feed(row.text)
            tail = released + ("" if row.scanner.stopped else row.scanner.flush())
        logprob = row.logprob if job.sampling.logprobs else None
        deltas.extend(StreamDelta(index=i, text=tail, token_count=len(row.tokens), finish_reason=row.finish_reason,
                                  logprob=logprob, prompt_tokens=len(job.prompt)) for i in row.indices)
        row.phase = "done"
        job.finished_rows += 1
        if job.pending:
            # Hand the sequence, which holds the prompt's cells, to the next waiting row.
            successor = job.pending.popleft()
            successor.seq, row.seq = row.seq, -1
            successor.sampler = self._make_sampler(job, successor.seed)
            self._lib.llama_memory_seq_rm(self._memory, successor.seq, len(job.prompt) - 1, -1)
            successor.phase = "first"
            job.rows.append(successor)
        self._free_row(job, row, keep=job.prompt if self._cache_min_tokens else None)

    def _copy_prefix(self, job: Job, row: _Row) -> None:
        """Share the prompt's cells (all but its last token) from a sibling that holds them."""
        holder = next((r for r in job.rows if r is not row and r.seq >= 0 and r.phase not in ("wait", "prefill")), None)
        if holder is None:
            # No sibling holds the prompt any more: this row decodes it again.
            job.prompt_fed = job.reused = 0
            job.cohort = [row]
            row.phase = "prefill"
            return
        self._lib.llama_memory_seq_cp(self._memory, holder.seq, row.seq, 0, len(job.prompt) - 1)
        row.phase = "first"

    def _free_row(self, job: Job, row: _Row, keep: list[int] | None = None) -> None:
        """Give the row's sequence back: cleared, or kept for the prompt cache with the
        tokens its cells hold."""
        if row in job.rows:
            job.rows.remove(row)
        if row.seq >= 0:
            if keep:
                # Only the prompt's cells are kept (see `_keep`).
                self._lib.llama_memory_seq_rm(self._memory, row.seq, len(keep), -1)
                self._keep(row.seq, keep)
            else:
                self._lib.llama_memory_seq_rm(self._memory, row.seq, -1, -1)
                self._free_seqs.append(row.seq)
            row.seq = -1
            self._reserved -= job.sampling.max_new_tokens
            job.reserved -= job.sampling.max_new_tokens
        if row.sampler is not None:
            self._lib.llama_sampler_free(row.sampler)
            row.sampler = None

    def _release_job(self, job: Job) -> None:
        for row in list(job.rows):
            self._free_row(job, row)
        job.pending.clear()
        job.cohort.clear()
        self._reserved -= job.reserved
        job.reserved = 0
        if job in self._jobs:
            self._jobs.remove(job)

    # ----- helpers ---------------------------------------------------------------------
    def _add(self, i: int, token: int, position: int, seqs: tuple[int, ...], logits: bool) -> None:
        self._tokens[i] = token
        self._positions[i] = position
        self._n_seq_id[i] = len(seqs)
        target = self._seq_ids[i]
        for k, seq in enumerate(seqs):
            target[k] = seq
        self._wants_logits[i] = 1 if logits else 0

    def _make_sampler(self, job: Job, seed: int):
        lib = self._lib
        sampling = job.sampling
        chain = lib.llama_sampler_chain_init(lib.llama_sampler_chain_default_params())
        bias = [(t, b) for t, b in sampling.logit_bias if 0 <= t < self._n_vocab]
        if sampling.ignore_eos:
            bias += [(t, float("-inf")) for t in self._eog]
        if bias:
            entries = (lib.llama_logit_bias * len(bias))(*(lib.llama_logit_bias(t, b) for t, b in bias))
            # llama.cpp copies the entries into the sampler.
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_logit_bias(self._n_vocab, len(bias), entries))
        if sampling.repetition_penalty != 1.0:
            window = len(job.prompt) + sampling.max_new_tokens
            repetition = lib.llama_sampler_init_penalties(self._n_vocab, window, sampling.repetition_penalty,
                                                          0.0, 0.0)
            for token in job.prompt:  # the repetition penalty covers the prompt too
                lib.llama_sampler_accept(repetition, token)
            lib.llama_sampler_chain_add(chain, repetition)
        if sampling.presence_penalty or sampling.frequency_penalty:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_penalties(
                self._n_vocab, sampling.max_new_tokens, 1.0, sampling.frequency_penalty, sampling.presence_penalty))
        if sampling.greedy:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_greedy())
            return chain
        if sampling.top_k:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_k(sampling.top_k))
        # Temperature first, then nucleus sampling on the tempered distribution, as
        # transformers and vLLM do (llama.cpp's own default chain cuts top-p first).
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_temp(sampling.temperature))
        if sampling.top_p < 1.0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_top_p(sampling.top_p, 1))
        if sampling.min_p > 0.0:
            lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_min_p(sampling.min_p, 1))
        lib.llama_sampler_chain_add(chain, lib.llama_sampler_init_dist(seed))
        return chain

    def _logprobs(self, logits_index: int) -> np.ndarray:
        """Log-softmax of the raw (unwarped) logits at a batch position."""
        pointer = self._lib.llama_get_logits_ith(self._ctx, logits_index)
        logits = np.ctypeslib.as_array(pointer, shape=(self._n_vocab,)).astype(np.float64)
        top = logits.max()
        return logits - top - np.log(np.exp(logits - top).sum())

    def _token_piece(self, token: int) -> bytes:
        length = self._lib.llama_token_to_piece(self._vocab, token, self._piece, len(self._piece), 0, False)
        return self._piece.raw[:length] if length > 0 else b""


def _common_prefix(a: list[int], b: list[int]) -> int:
    """How many leading tokens two token lists share."""
    n = min(len(a), len(b))
    if n == 0:
        return 0
    diff = np.flatnonzero(np.asarray(a[:n]) != np.asarray(b[:n]))
    return int(diff[0]) if diff.size else n


def _new_rows(sampling: SamplingParams) -> list[_Row]:
    if sampling.greedy:
        return [_Row(indices=list(range(sampling.n)), seed=0, stops=sampling.stop)]
    base = sampling.seed if sampling.seed is not None else int.from_bytes(os.urandom(4), "little")
    # 0xFFFFFFFF is llama.cpp's "pick a random seed"; keep every seed below it.
    return [_Row(indices=[r], seed=(base + r) % 0xFFFFFFFF, stops=sampling.stop) for r in range(sampling.n)]
