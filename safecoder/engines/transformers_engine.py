"""The transformers engine: generation with `model.generate`, on a CPU or a GPU.

The simplest engine, and the one training and evaluation share. One worker thread owns
the model, so requests run one after another (the model and torch's random generator
are not safe to share between concurrent `generate` calls); `generate_batch` packs many
prompts into padded batches instead, which is how offline evaluation gets throughput.

Each batch stops per sequence: at an end-of-sequence token, at a stop string (checked on
the decoded tail of each sequence at every step), or at `max_new_tokens`. Streaming
decodes each sequence's tokens as they arrive and releases text through `StopScanner`.

The sampling extensions map onto `generate`'s own processors (`top_k`, `min_p`,
`repetition_penalty`, `sequence_bias` for `logit_bias`, `suppress_tokens` for
`ignore_eos`); presence and frequency penalties are `OccurrencePenalty`, which
transformers places before temperature, as vLLM applies them. Per-token
log-probabilities come from the generation's own unwarped logits (`output_logits`), so
no second forward pass runs; a stream receives them with each sample's last delta.

A seed applies to its request alone: generation runs inside `torch.random.fork_rng`, so
the process's global generator is neither reseeded nor advanced by a request. Text is
detokenized incrementally (each new token decodes a short window, not the whole row).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from collections import defaultdict
from collections.abc import AsyncGenerator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from safecoder.engines.base import (
    Completion,
    Engine,
    EngineError,
    FinishReason,
    GenerationRequest,
    GenerationResult,
    SamplingParams,
    StreamDelta,
    TokenLogprob,
)
from safecoder.engines.stops import StopScanner, truncate_at_stop
from safecoder.models.loading import DType, context_length, load_for_generation
from safecoder.models.reference import ResolvedModel
from safecoder.prompts.chat import chat_prompt
from safecoder.prompts.fim import detect_fim_format

logger = logging.getLogger(__name__)

_DONE = object()


@dataclass
class _Row:
    """One generated sequence and the sample indices it answers (several when greedy)."""

    indices: list[int]
    tokens: list[int]
    scanner: StopScanner
    finished: bool = False
    finish_reason: FinishReason | None = None
    text: str = ""
    # Incremental detokenization: tokens before `prefix_offset` are settled text; the
    # window [prefix_offset, read_offset) is decoded again with each new token so that
    # tokenizers whose pieces depend on their neighbours (leading spaces) stay exact.
    prefix_offset: int = 0
    read_offset: int = 0

    def append(self, tokenizer, token: int) -> bool:
        """Add a token; returns whether the text grew (False mid UTF-8 character)."""
        self.tokens.append(token)
        before = tokenizer.decode(self.tokens[self.prefix_offset:self.read_offset], skip_special_tokens=True)
        after = tokenizer.decode(self.tokens[self.prefix_offset:], skip_special_tokens=True)
        if after.endswith("\ufffd") or len(after) <= len(before):
            return False
        self.text += after[len(before):]
        self.prefix_offset, self.read_offset = self.read_offset, len(self.tokens)
        return True


class _StopStrings:
    """A `generate` stopping criterion: a row stops once its decoded tail holds a stop
    string; every row stops when the request is cancelled."""

    def __init__(self, tokenizer, stops: tuple[str, ...], prompt_length: int, cancel: threading.Event | None):
        self.tokenizer, self.stops, self.prompt_length, self.cancel = tokenizer, stops, prompt_length, cancel
        self.window = max((len(s) for s in stops), default=0) + 2

    def __call__(self, input_ids, scores, **kwargs):
        import torch

        done = torch.zeros(input_ids.shape[0], dtype=torch.bool, device=input_ids.device)
        if self.cancel is not None and self.cancel.is_set():
            return ~done
        if not self.stops:
            return done
        tail = input_ids[:, max(self.prompt_length, input_ids.shape[1] - self.window):]
        texts = self.tokenizer.batch_decode(tail, skip_special_tokens=True)
        return torch.tensor([any(s in t for s in self.stops) for t in texts], device=input_ids.device)


class _RowStreamer:
    """A `generate` streamer: hands each row its new token, finishes rows at EOS or a stop
    string, and reports released text through `on_text(index, piece, token_count)`."""

    def __init__(self, tokenizer, rows: list[_Row], eos_ids: set[int],
                 on_text: Callable[[int, str, int], None] | None):
        self.tokenizer, self.rows, self.eos_ids, self.on_text = tokenizer, rows, eos_ids, on_text
        self.seen_prompt = False

    def put(self, value) -> None:
        if not self.seen_prompt:  # the first call carries the prompt
            self.seen_prompt = True
            return
        for row, token in zip(self.rows, value.view(-1).tolist(), strict=False):
            if row.finished:
                continue
            if token in self.eos_ids:
                row.finished, row.finish_reason = True, "stop"
                continue
            if not row.append(self.tokenizer, token):
                continue
            piece = row.scanner.feed(row.text)
            if row.scanner.stopped:
                row.finished, row.finish_reason = True, "stop"
            if piece and self.on_text is not None:
                for index in row.indices:
                    self.on_text(index, piece, len(row.tokens))

    def end(self) -> None:
        pass


class TransformersEngine(Engine):
    kind = "transformers"

    def __init__(self, model: ResolvedModel, dtype: DType = "auto", device: str = "auto",
                 max_batch_sequences: int = 16):
        super().__init__(model)
        self._network, self._tokenizer = load_for_generation(model, dtype=dtype, device=device)
        self._device = next(self._network.parameters()).device
        self._max_batch_sequences = max_batch_sequences
        self._context = context_length(self._network)
        self._fim = detect_fim_format(self._tokenizer.get_vocab())
        self._chat = self._detect_chat_format(self._tokenizer.get_vocab(), self._tokenizer.chat_template)
        eos = self._network.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos] if eos is not None else [])
        if self._tokenizer.eos_token_id is not None:
            eos_ids.add(self._tokenizer.eos_token_id)
        self._eos_ids = sorted(eos_ids)
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="safecoder-generate")

    # ----- interface -----------------------------------------------------------------
    @property
    def tokenizer(self):
        return self._tokenizer

    def count_tokens(self, text: str) -> int:
        return len(self._encode([text])["input_ids"][0])

    def _template_chat(self, messages: list[dict[str, str]]) -> str:
        return chat_prompt(self._tokenizer, messages)

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[StreamDelta, None]:
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        cancel = threading.Event()

        def emit(item) -> None:
            loop.call_soon_threadsafe(queue.put_nowait, item)

        def work() -> None:
            try:
                self._run_streaming(request, cancel, emit)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                emit(exc)
            finally:
                emit(_DONE)

        future = loop.run_in_executor(self._executor, work)
        try:
            while True:
                item = await queue.get()
                if item is _DONE:
                    break
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            cancel.set()
            if not future.done():
                future.add_done_callback(lambda f: f.exception())

    def generate_batch(self, requests: Sequence[GenerationRequest], progress: bool = False,
                       description: str = "generating") -> list[GenerationResult]:
        """Pack requests with the same sampling parameters into padded batches."""
        from tqdm.auto import tqdm

        groups: dict[SamplingParams, list[int]] = defaultdict(list)
        for position, request in enumerate(requests):
            groups[request.sampling].append(position)
        completions: dict[int, list[Completion]] = {i: [] for i in range(len(requests))}
        prompt_tokens: dict[int, int] = {}
        bar = tqdm(total=sum(r.sampling.n for r in requests), disable=not progress, desc=description, unit="sample")
        try:
            for sampling, positions in groups.items():
                encoded = {p: len(self._encode([requests[p].prompt])["input_ids"][0]) for p in positions}
                prompt_tokens.update(encoded)
                positions.sort(key=lambda p: encoded[p])
                rows_per_prompt = 1 if sampling.greedy else sampling.n
                per_call = max(1, self._max_batch_sequences // rows_per_prompt)
                chunk_seed = sampling.seed
                for start in range(0, len(positions), per_call):
                    chunk = positions[start:start + per_call]
                    remaining = sampling.n
                    while remaining > 0:
                        n_now = remaining if sampling.greedy else min(remaining, self._max_batch_sequences)
                        call_sampling = _with(sampling, n=n_now, seed=chunk_seed)
                        results = self._run_batch([requests[p].prompt for p in chunk], call_sampling)
                        for p, samples in zip(chunk, results, strict=True):
                            offset = len(completions[p])
                            completions[p].extend(_reindex(samples, offset))
                        remaining -= n_now
                        bar.update(n_now * len(chunk))
                        if chunk_seed is not None:
                            chunk_seed += 1
        finally:
            bar.close()
        return [
            GenerationResult(requests[i].request_id, prompt_tokens[i], tuple(completions[i]))
            for i in range(len(requests))
        ]

    async def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)

    # ----- generation ----------------------------------------------------------------
    def _encode(self, prompts: list[str]):
        bos = self._tokenizer.bos_token
        # A prompt that already starts with the BOS text (chat templates write it) must
        # not get a second one from the tokenizer.
        add_special = not (bos and all(p.startswith(bos) for p in prompts))
        return self._tokenizer(prompts, return_tensors="pt", padding=True, add_special_tokens=add_special)

    def _run_batch(self, prompts: list[str], sampling: SamplingParams) -> list[list[Completion]]:
        rows, _ = self._generate(prompts, sampling, cancel=None, on_text=None)
        return rows

    def _run_streaming(self, request: GenerationRequest, cancel: threading.Event,
                       emit: Callable[[StreamDelta], None]) -> None:
        prompt_tokens = self.count_tokens(request.prompt)

        def on_text(index: int, text: str, count: int) -> None:
            emit(StreamDelta(index=index, text=text, token_count=count, prompt_tokens=prompt_tokens))

        results, tails = self._generate([request.prompt], request.sampling, cancel=cancel, on_text=on_text)
        for completion, tail in zip(results[0], tails[0], strict=True):
            emit(StreamDelta(index=completion.index, text=tail, token_count=completion.token_count,
                             finish_reason=completion.finish_reason, logprob=completion.logprob,
                             prompt_tokens=prompt_tokens, tokens=completion.tokens))

    def _generate(self, prompts: list[str], sampling: SamplingParams, cancel: threading.Event | None,
                  on_text: Callable[[int, str, int], None] | None):
        """Generate for `prompts` x n. Returns (completions per prompt, unreleased text per completion)."""
        import torch
        from transformers import StoppingCriteriaList

        encoded = self._encode(prompts).to(self._device)
        prompt_length = encoded["input_ids"].shape[1]
        for mask in encoded["attention_mask"]:
            self.check_prompt_fits(int(mask.sum()), sampling.max_new_tokens)
        rows_per_prompt = 1 if sampling.greedy else sampling.n
        rows: list[_Row] = []
        for _ in prompts:
            for r in range(rows_per_prompt):
                indices = list(range(sampling.n)) if sampling.greedy else [r]
                rows.append(_Row(indices=indices, tokens=[], scanner=StopScanner(sampling.stop)))
        stops = sampling.stop
        scored = sampling.logprobs or sampling.top_logprobs is not None
        generate_args: dict[str, Any] = dict(
            max_new_tokens=sampling.max_new_tokens,
            do_sample=not sampling.greedy,
            num_return_sequences=rows_per_prompt,
            pad_token_id=self._tokenizer.pad_token_id,
            eos_token_id=self._eos_ids,
            stopping_criteria=StoppingCriteriaList([_StopStrings(self._tokenizer, stops, prompt_length, cancel)]),
            streamer=_RowStreamer(self._tokenizer, rows, set(self._eos_ids), on_text),
            return_dict_in_generate=scored,
            output_logits=scored,
        )
        if not sampling.greedy:
            generate_args.update(temperature=sampling.temperature, top_p=sampling.top_p, top_k=sampling.top_k,
                                 min_p=sampling.min_p or None)
        else:
            generate_args.update(temperature=None, top_p=None, top_k=None)
        if sampling.repetition_penalty != 1.0:
            generate_args["repetition_penalty"] = sampling.repetition_penalty
        embeddings = self._network.get_output_embeddings()
        if embeddings is None:
            raise EngineError(f"{type(self._network).__name__} has no output embeddings: it cannot generate text")
        vocabulary = embeddings.weight.shape[0]
        # Ids outside the vocabulary are dropped, as the llama.cpp engine drops them.
        bias = {(token,): value for token, value in sampling.logit_bias if 0 <= token < vocabulary}
        if bias:
            generate_args["sequence_bias"] = bias
        if sampling.ignore_eos:
            generate_args["suppress_tokens"] = list(self._eos_ids)
        if sampling.presence_penalty or sampling.frequency_penalty:
            generate_args["logits_processor"] = [OccurrencePenalty(prompt_length, sampling.presence_penalty,
                                                                   sampling.frequency_penalty)]
        seed = sampling.seed % 2**63 if sampling.seed is not None else int.from_bytes(os.urandom(4), "little")
        devices = [self._device] if self._device.type == "cuda" else []
        # The request's own random stream: the global generator is restored afterwards.
        with torch.random.fork_rng(devices=devices), torch.inference_mode():
            torch.manual_seed(seed)
            # transformers annotates generate's `self` with a protocol that its own models
            # (the `_BaseModelWithGenerate` from_pretrained returns) do not satisfy.
            output = self._network.generate(**encoded, **generate_args)  # pyright: ignore[reportAttributeAccessIssue]
        cancelled = cancel is not None and cancel.is_set()
        tails: list[str] = []
        reasons: list[FinishReason] = []
        for row in rows:
            row.scanner.feed(self._tokenizer.decode(row.tokens, skip_special_tokens=True))
            tails.append(row.scanner.flush() if not row.scanner.stopped else "")
            if row.finish_reason is None:  # set (to "stop") exactly when the row finished
                row.finish_reason = "cancelled" if cancelled else "length"
            reasons.append(row.finish_reason)
        logprobs, token_logprobs = (self._score(output.logits, rows, sampling.top_logprobs) if scored
                                    else ([None] * len(rows), [()] * len(rows)))
        per_prompt: list[list[Completion]] = []
        per_prompt_tails: list[list[str]] = []
        for p in range(len(prompts)):
            completions, prompt_tails = [], []
            for r in range(rows_per_prompt):
                k = p * rows_per_prompt + r
                row = rows[k]
                text, _ = truncate_at_stop(row.scanner.text, stops)
                for index in row.indices:
                    completions.append(Completion(index, text, len(row.tokens), reasons[k],
                                                  logprobs[k] if sampling.logprobs else None, token_logprobs[k]))
                    prompt_tails.append(tails[k])
            per_prompt.append(completions)
            per_prompt_tails.append(prompt_tails)
        return per_prompt, per_prompt_tails

    def _score(self, step_logits, rows: list[_Row], top_logprobs: int | None = None):
        """Per row: the sum of its tokens' log-probabilities under the unwarped model, and
        (with `top_logprobs`) each token's with its likeliest alternatives.

        `step_logits` are the raw logits `generate` computed at each step (one tensor of
        rows x vocabulary per step); a row's i-th token was sampled at step i.
        """
        import torch

        results: list[float | None] = []
        per_token: list[tuple[TokenLogprob, ...]] = []
        for k, row in enumerate(rows):
            if not row.tokens:
                results.append(0.0)
                per_token.append(())
                continue
            logits = torch.stack([step_logits[i][k] for i in range(len(row.tokens))]).float()
            logprobs = torch.log_softmax(logits, dim=-1)
            chosen = logprobs.gather(1, torch.tensor(row.tokens, device=logits.device).unsqueeze(1))
            results.append(float(chosen.sum()))
            per_token.append(self._token_logprobs(row.tokens, chosen[:, 0], logprobs, top_logprobs)
                             if top_logprobs is not None else ())
        return results, per_token

    def _token_logprobs(self, tokens: list[int], chosen, logprobs, k: int) -> tuple[TokenLogprob, ...]:
        decode = self._tokenizer.decode
        if k:
            values, ids = logprobs.topk(k, dim=-1)
            tops = [tuple((decode([int(t)]), float(v)) for v, t in zip(vs.tolist(), ts.tolist(), strict=True))
                    for vs, ts in zip(values, ids, strict=True)]
        else:
            tops = [()] * len(tokens)
        return tuple(TokenLogprob(decode([token]), float(value), top)
                     for token, value, top in zip(tokens, chosen.tolist(), tops, strict=True))


class OccurrencePenalty:
    """OpenAI's presence and frequency penalties over the generated tokens only:
    logit -= presence * [count > 0] + frequency * count. A `generate` logits processor."""

    def __init__(self, prompt_length: int, presence: float, frequency: float):
        self.prompt_length, self.presence, self.frequency = prompt_length, presence, frequency

    def __call__(self, input_ids, scores):
        import torch

        generated = input_ids[:, self.prompt_length:]
        if generated.shape[1] == 0:
            return scores
        counts = torch.zeros_like(scores).scatter_add_(1, generated, torch.ones_like(generated, dtype=scores.dtype))
        return scores - self.presence * (counts > 0).to(scores.dtype) - self.frequency * counts


def _with(sampling: SamplingParams, **changes) -> SamplingParams:
    import dataclasses

    return dataclasses.replace(sampling, **changes)


def _reindex(samples: list[Completion], offset: int) -> list[Completion]:
    import dataclasses

    return [dataclasses.replace(c, index=c.index + offset) for c in samples]
