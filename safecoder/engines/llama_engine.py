"""The llama.cpp engine: GGUF models on a CPU, through `llama-cpp-python`'s C API.

The CPU default of `--engine auto` (see `safecoder.engines.pick_engine`): it serves a
model's GGUF file (`ResolvedModel.gguf`: the embedded model's shipped Q4_1 file, or the
last export recorded in the registry by `safecoder export gguf`). The engine loads the
model and one context with `parallel_sequences` sequence slots and a unified KV cache of
`kv_cache_tokens` cells; a `ContinuousBatcher` thread owns that context and decodes all
requests in flight together (`safecoder.engines.llama_batching`).

Here live the parts that are the same for every request: tokenization (a BOS token is
added when the vocabulary asks for one, unless the prompt already starts with its text;
special-token text in a prompt is parsed as the special token, as transformers does), the
chat template stored in the GGUF (rendered with llama-cpp-python's Jinja formatter), the
fill-in-the-middle format detected from the GGUF's vocabulary, and routing llama.cpp's
log lines into Python logging (nothing is written to stdout, which the language server
needs for its protocol).

The thread count, unless given, is measured once per machine and model
(`measured_threads`). llama.cpp's calls go through ctypes, which releases the GIL for
the whole `llama_decode`, so the event loop runs Python while the worker decodes; what
competes with it is only llama.cpp's threads spinning on the cores.

Not here: GGUF conversion and quantization (`safecoder.models.gguf_export`).
"""

from __future__ import annotations

import asyncio
import ctypes
import dataclasses
import json
import logging
import os
import threading
import time
from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from safecoder.engines.base import Engine, EngineError, GenerationRequest, StreamDelta
from safecoder.engines.llama_batching import ContinuousBatcher, Job
from safecoder.models.reference import ResolvedModel
from safecoder.prompts.chat import ChatTemplateMissingError
from safecoder.prompts.fim import detect_fim_format

if TYPE_CHECKING:
    from llama_cpp.llama_types import ChatCompletionRequestMessage

logger = logging.getLogger(__name__)
native_logger = logging.getLogger("safecoder.engines.llama_cpp")


@dataclass(frozen=True)
class LlamaEngineConfig:
    threads: int = field(default=0, metadata={
        "help": "CPU threads for decoding; 0 takes the count measured fastest on this machine for this model "
                "(measured once, cached in SAFECODER_HOME/llama-threads.json; see measured_threads)"})
    parallel_sequences: int = field(default=16, metadata={
        "help": "sequences decoded together (samples of all requests in flight); more wait for a slot"})
    kv_cache_tokens: int = field(default=16384, metadata={
        "help": "KV-cache cells shared by all sequences; also caps one request's prompt + new tokens"})
    batch_tokens: int = field(default=512, metadata={
        "help": "tokens per llama_decode call (prompt chunks plus one token per decoding sequence)"})
    kv_cache_type: Literal["f16", "f32"] = field(default="f16", metadata={
        "help": "KV-cache precision; f32 removes one source of difference from the original weights"})
    flash_attention: bool = field(default=False, metadata={
        "help": "llama.cpp's fused attention kernel (changes rounding; off matches llama-cpp-python's default)"})
    gguf: str | None = field(default=None, metadata={
        "help": "a .gguf file to serve instead of the model's own (e.g. another quantization)"})
    prompt_cache_min_tokens: int = field(default=16, metadata={
        "help": "reuse the KV cells of a finished request whose tokens share at least this many leading "
                "tokens with a new prompt (llama.cpp server's cache_prompt); 0 turns the prompt cache off"})

    def __post_init__(self) -> None:
        if self.threads < 0:
            raise EngineError(f"threads must be 0 (measured) or positive, got {self.threads}")
        if not 1 <= self.parallel_sequences <= 256:
            raise EngineError(f"parallel_sequences must be between 1 and 256, got {self.parallel_sequences}")
        if self.batch_tokens <= self.parallel_sequences:
            raise EngineError(
                f"batch_tokens ({self.batch_tokens}) must be larger than parallel_sequences "
                f"({self.parallel_sequences}): every sequence adds a token to each batch"
            )
        if self.kv_cache_tokens < 256:
            raise EngineError(f"kv_cache_tokens must be at least 256, got {self.kv_cache_tokens}")
        if self.prompt_cache_min_tokens < 0:
            raise EngineError(f"prompt_cache_min_tokens must be 0 (off) or positive, got {self.prompt_cache_min_tokens}")
        if self.kv_cache_type not in ("f16", "f32"):
            raise EngineError(f"kv_cache_type must be f16 or f32, got {self.kv_cache_type!r}")


class LlamaEngine(Engine):
    kind = "llama"

    def __init__(self, model: ResolvedModel, config: LlamaEngineConfig | None = None, **options):
        super().__init__(model)
        known = {f.name for f in dataclasses.fields(LlamaEngineConfig)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise EngineError(f"unknown llama.cpp engine option(s) {unknown}; known: {', '.join(sorted(known))}")
        self.config = dataclasses.replace(config or LlamaEngineConfig(), **options)
        self.gguf_path = self._pick_gguf(model)
        lib = _library()
        self._lib = lib
        self._threads = self.config.threads or default_threads()
        model_params = lib.llama_model_default_params()
        if amx_in_library(lib):
            # llama.cpp's AMX matrix kernels crash (SIGSEGV in ggml_backend_amx_mul_mat) on
            # some AMX machines (llama.cpp#20824, unfixed), this project's among them. They
            # run only on weights repacked into the AMX "extra" buffer, so loading without
            # extra buffers keeps such a build working on any CPU. `make install` builds
            # without AMX; this covers a llama-cpp-python built elsewhere.
            model_params.use_extra_bufts = False
            logger.info("llama.cpp was built with AMX kernels: loading without extra (AMX) weight buffers")
        loaded = lib.llama_model_load_from_file(str(self.gguf_path).encode(), model_params)
        if not loaded:
            raise EngineError(f"llama.cpp could not load {self.gguf_path}: is it a complete GGUF file of a supported "
                              "architecture? (run with -vv to see llama.cpp's log)")
        self._model = loaded
        vocab = lib.llama_model_get_vocab(self._model)
        if not vocab:
            lib.llama_model_free(self._model)
            raise EngineError(f"llama.cpp found no vocabulary in {self.gguf_path}; it cannot tokenize for this model")
        self._vocab = vocab
        self._n_vocab = lib.llama_vocab_n_tokens(self._vocab)
        self._context_train = lib.llama_model_n_ctx_train(self._model)
        self._context = min(self._context_train, self.config.kv_cache_tokens)
        self._ctx = self._new_context()
        self._lora = self._apply_adapter(model)
        self._token_texts = [lib.llama_vocab_get_text(self._vocab, i).decode("utf-8", "replace")
                             for i in range(self._n_vocab)]
        self._bos_text = self._special_text(_token_id(lib.llama_vocab_bos(self._vocab)))
        self._eos_text = self._special_text(_token_id(lib.llama_vocab_eos(self._vocab)))
        self._add_bos = bool(lib.llama_vocab_get_add_bos(self._vocab))
        self._fim = detect_fim_format(set(self._token_texts))
        self._chat_template = self._metadata("tokenizer.chat_template")
        self._chat = self._detect_chat_format(set(self._token_texts), self._chat_template)
        if not self.config.threads:
            self._threads = measured_threads(self)
            lib.llama_set_n_threads(self._ctx, self._threads, self._threads)
        self._batcher = ContinuousBatcher(
            lib=lib, context=self._ctx, vocab=self._vocab, n_vocab=self._n_vocab,
            slots=self.config.parallel_sequences, kv_cells=self.config.kv_cache_tokens,
            batch_tokens=self.config.batch_tokens, cache_min_tokens=self.config.prompt_cache_min_tokens,
        )
        self._closed = False
        logger.info("llama.cpp engine: %s, %d threads, %d parallel sequences, %d KV cells",
                    self.gguf_path.name, self._threads, self.config.parallel_sequences, self.config.kv_cache_tokens)

    # ----- interface -----------------------------------------------------------------
    @property
    def vocabulary(self) -> list[str]:
        """Token texts by id, as stored in the GGUF file."""
        return list(self._token_texts)

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def tokenize(self, text: str) -> list[int]:
        """Token ids of a prompt, with the BOS policy described in the module docstring."""
        add_special = self._add_bos and not (self._bos_text and text.startswith(self._bos_text))
        data = text.encode("utf-8")
        capacity = len(data) + 8
        while True:
            buffer = (self._lib.llama_token * capacity)()
            count = self._lib.llama_tokenize(self._vocab, data, len(data), buffer, capacity, add_special, True)
            if count >= 0:
                return list(buffer[:count])
            capacity = -count

    def detokenize(self, tokens: list[int]) -> str:
        piece = ctypes.create_string_buffer(256)
        out = bytearray()
        for token in tokens:
            length = self._lib.llama_token_to_piece(self._vocab, token, piece, len(piece), 0, False)
            out += piece.raw[:max(length, 0)]
        return out.decode("utf-8", "replace")

    def _template_chat(self, messages: list[dict[str, str]]) -> str:
        if not self._chat_template:
            raise ChatTemplateMissingError(
                f"{self.gguf_path.name} stores no chat template (tokenizer.chat_template); "
                "use the instruction prompt style instead"
            )
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        formatter = Jinja2ChatFormatter(self._chat_template, eos_token=self._eos_text, bos_token=self._bos_text,
                                        add_generation_prompt=True)
        # The engine's messages are the role/content dicts that llama-cpp-python's
        # ChatCompletionRequestMessage TypedDicts describe; the template reads only those keys.
        return formatter(messages=cast("list[ChatCompletionRequestMessage]", messages)).prompt

    async def stream(self, request: GenerationRequest) -> AsyncGenerator[StreamDelta, None]:
        if self._closed:
            raise EngineError("the llama.cpp engine is closed")
        prompt = self.tokenize(request.prompt)
        if not prompt:
            bos = _token_id(self._lib.llama_vocab_bos(self._vocab))
            if bos < 0:
                raise EngineError("the prompt is empty and the model has no BOS token to start from")
            prompt = [bos]
        self.check_prompt_fits(len(prompt), request.sampling.max_new_tokens)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue()
        job: Job | None = None

        def emit(item) -> None:
            try:
                loop.call_soon_threadsafe(queue.put_nowait, item)
            except RuntimeError:  # the consumer's event loop is gone: nobody reads this any more
                if job is not None:
                    job.cancelled.set()

        job = Job(prompt=prompt, sampling=request.sampling, emit=emit)
        self._batcher.submit(job)
        finished = False
        try:
            while True:
                item = await queue.get()
                if item is None:
                    finished = True
                    return
                if isinstance(item, BaseException):
                    finished = True
                    raise item
                for delta in item:
                    yield delta
        finally:
            if not finished:
                self._batcher.cancel(job)

    def stats(self) -> dict[str, int]:
        """Requests in flight and the worker's counters: llama_decode calls, tokens sampled,
        the most sequences that got a token from one call (how much requests share), and
        the prompt cache's: prompt tokens decoded and reused, hits, evictions, and the
        finished sequences kept now."""
        return {"active_requests": self._batcher.active_requests, "prompt_cache_sequences": self._batcher.kept_sequences,
                **self._batcher.counters}

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        await asyncio.to_thread(self._shutdown)

    def describe(self) -> dict:
        return {
            **super().describe(),
            "gguf": str(self.gguf_path),
            "file_type": self._metadata("general.file_type"),
            "threads": self._threads,
            "config": dataclasses.asdict(self.config),
            "llama_cpp_python": _library_version(),
        }

    # ----- loading -------------------------------------------------------------------
    def _pick_gguf(self, model: ResolvedModel) -> Path:
        if self.config.gguf:
            path = Path(self.config.gguf).expanduser()
            if not path.is_file():
                raise EngineError(f"gguf={self.config.gguf!r} is not a file; pass the path of a .gguf model")
            return path
        if model.gguf is None and model.adapter is not None and model.base_gguf is not None:
            return Path(model.base_gguf)  # the adapter is applied on it (_apply_adapter)
        if model.gguf is None:
            raise EngineError(
                f"model {model.reference!r} has no GGUF file for llama.cpp: export one with "
                f"`safecoder export gguf {model.reference}`, or use --engine transformers"
            )
        if not Path(model.gguf).is_file():
            raise EngineError(f"the GGUF file of {model.reference!r} is missing: {model.gguf}")
        return Path(model.gguf)

    def _apply_adapter(self, model: ResolvedModel):
        """A LoRA adapter without a GGUF of its own, applied on its base's GGUF (see lora_gguf)."""
        if self.config.gguf or model.gguf is not None or model.adapter is None:
            return None
        from safecoder.models.lora_gguf import ensure_lora_gguf

        path = ensure_lora_gguf(Path(model.adapter), model.require_weights())
        lib = self._lib
        adapter = lib.llama_adapter_lora_init(self._model, str(path).encode())
        if not adapter:
            raise EngineError(f"llama.cpp could not load the LoRA adapter {path} on {self.gguf_path.name}")
        adapters = (lib.llama_adapter_lora_p_ctypes * 1)(adapter)
        scales = (ctypes.c_float * 1)(1.0)
        if lib.llama_set_adapters_lora(self._ctx, adapters, 1, scales) != 0:
            raise EngineError(f"llama.cpp could not apply the LoRA adapter {path}")
        logger.info("llama.cpp engine: LoRA adapter %s applied on %s", path.name, self.gguf_path.name)
        return adapter

    def _new_context(self):
        lib = self._lib
        params = lib.llama_context_default_params()
        params.n_ctx = self.config.kv_cache_tokens
        params.n_batch = self.config.batch_tokens
        params.n_ubatch = self.config.batch_tokens
        params.n_seq_max = self.config.parallel_sequences
        params.n_outputs_max = self.config.parallel_sequences
        params.kv_unified = True
        params.n_threads = self._threads
        params.n_threads_batch = self._threads
        params.no_perf = True
        kv_type = lib.GGML_TYPE_F32 if self.config.kv_cache_type == "f32" else lib.GGML_TYPE_F16
        params.type_k = kv_type
        params.type_v = kv_type
        params.flash_attn_type = (lib.LLAMA_FLASH_ATTN_TYPE_ENABLED if self.config.flash_attention
                                  else lib.LLAMA_FLASH_ATTN_TYPE_DISABLED)
        context = lib.llama_init_from_model(self._model, params)
        if not context:
            lib.llama_model_free(self._model)
            raise EngineError(
                f"llama.cpp could not create a context of {self.config.kv_cache_tokens} KV cells and "
                f"{self.config.parallel_sequences} sequences; lower kv_cache_tokens or parallel_sequences"
            )
        return context

    def _metadata(self, key: str) -> str | None:
        size = 1 << 16
        buffer = ctypes.create_string_buffer(size)
        # llama-cpp-python annotates `buf` as bytes; ctypes (argtypes c_char_p) takes the
        # writable string buffer, which llama.cpp fills (its _by_index twin accepts one).
        length = self._lib.llama_model_meta_val_str(
            self._model, key.encode(), buffer, size)  # pyright: ignore[reportArgumentType]
        if length < 0:
            return None
        if length >= size:
            buffer = ctypes.create_string_buffer(length + 1)
            self._lib.llama_model_meta_val_str(
                self._model, key.encode(), buffer, length + 1)  # pyright: ignore[reportArgumentType]
        return buffer.value.decode("utf-8", "replace")

    def _special_text(self, token: int) -> str:
        return self._token_texts[token] if 0 <= token < self._n_vocab else ""

    def _shutdown(self) -> None:
        if self._batcher.close():
            self._lib.llama_free(self._ctx)
            self._lib.llama_model_free(self._model)


THREADS_FILE = "llama-threads.json"
_THREAD_STEPS = 48
_SPEED_KEPT = 0.95


def measured_threads(engine: LlamaEngine) -> int:
    """The thread count that decodes one stream fastest on this machine, for this model:
    the fewest threads within 5% of the best speed (what is left over goes to the event
    loop and the gate's analysis). Measured once on the engine's own context and cached
    in `SAFECODER_HOME/llama-threads.json` under the CPU, the usable cores, the GGUF file
    and the llama-cpp-python version, with the load average of the moment; a count
    measured while the load was at least the core count is measured again at the first
    start with the load under half of it. Delete the file to measure again.

    Each count from 1 to the usable cores decodes a 32-token prompt, then 48 tokens one
    at a time (the shape of single-stream decoding), three times, in the order 1..n,
    n..1, 1..n so that a passing load spike does not favour one end; the best run counts.
    """
    from safecoder import paths
    from safecoder.atomic import write_json

    cores = len(os.sched_getaffinity(0))
    key = f"{_cpu_name()}|{cores} cores|{engine.gguf_path.name}|{engine.gguf_path.stat().st_size}|{_library_version()}"
    target = paths.home() / THREADS_FILE
    try:
        known = json.loads(target.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        known = {}
    record = known.get(key)
    load = os.getloadavg()[0]
    if isinstance(record, dict) and isinstance(record.get("threads"), int):
        # A count measured while the machine was busy is measured again once it is not.
        # A record from before the load was written down counts as busy.
        if not (record.get("load", float(cores)) >= cores and load < cores / 2):
            return record["threads"]
    speeds = _measure_threads(engine, range(1, cores + 1))
    best = max(speeds.values())
    threads = min(t for t, speed in speeds.items() if speed >= _SPEED_KEPT * best)
    known[key] = {"threads": threads, "tokens_per_s": {str(t): round(v, 1) for t, v in speeds.items()},
                  "load": round(load, 2), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    write_json(target, known)
    logger.info("llama.cpp threads: measured %s tokens/s by thread count for %s; using %d",
                known[key]["tokens_per_s"], engine.gguf_path.name, threads)
    return threads


def _measure_threads(engine: LlamaEngine, counts: range) -> dict[int, float]:
    lib, ctx = engine._lib, engine._ctx
    memory = lib.llama_get_memory(ctx)
    prompt = engine.tokenize("def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1)")
    prompt = (prompt * 32)[:32]
    tokens = (lib.llama_token * len(prompt))(*prompt)
    speeds: dict[int, float] = {}
    for count in [*counts, *reversed(counts), *counts]:
        lib.llama_set_n_threads(ctx, count, count)
        lib.llama_memory_clear(memory, True)
        if lib.llama_decode(ctx, lib.llama_batch_get_one(tokens, len(prompt))) != 0:
            raise EngineError("llama.cpp failed to decode while measuring thread counts")
        started = time.perf_counter()
        for step in range(_THREAD_STEPS):
            one = (lib.llama_token * 1)(prompt[step % len(prompt)])
            if lib.llama_decode(ctx, lib.llama_batch_get_one(one, 1)) != 0:
                raise EngineError("llama.cpp failed to decode while measuring thread counts")
        speeds[count] = max(speeds.get(count, 0.0), _THREAD_STEPS / (time.perf_counter() - started))
    lib.llama_memory_clear(memory, True)
    return speeds


def _cpu_name() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    import platform

    return platform.processor() or platform.machine()


def default_threads() -> int:
    """Half the cores this process may run on, at least one: llama-cpp-python's own default
    (the starting point before `measured_threads`, and the direct library's default).

    llama.cpp's threads spin while they wait for each other, so threads that compete with
    other work for a core (the server's event loop, the gate's analyzers, other processes)
    slow every step down; with SMT, half the logical cores is one thread per physical core.
    """
    return max(1, len(os.sched_getaffinity(0)) // 2)


_init_lock = threading.Lock()
_initialised = False
# ggml levels: 1 debug, 2 info, 3 warn, 4 error, 5 continues the previous line. llama.cpp
# warns about settings it cannot know are deliberate (a KV cache larger than the training
# context, which the engine never lets one sequence use), so its warnings are info here;
# real failures surface as EngineErrors.
_NATIVE_LEVELS = {1: logging.DEBUG, 2: logging.DEBUG, 3: logging.INFO, 4: logging.WARNING}
_native_level = [logging.DEBUG]


def _token_id(token: object) -> int:
    """A token id returned by llama.cpp. llama-cpp-python annotates `llama_vocab_bos` and
    its kin as returning the ctypes class `llama_token` (c_int32), but ctypes converts a
    c_int32 result to a Python int, which is what this returns."""
    return cast(int, token)


def _library():
    """llama.cpp's C API, initialised once per process with its log routed to Python logging."""
    global _initialised, _log_callback
    import llama_cpp.llama_cpp as lib

    with _init_lock:
        if not _initialised:
            lib.llama_backend_init()
            _log_callback = lib.llama_log_callback(_forward_native_log)
            lib.llama_log_set(_log_callback, ctypes.c_void_p(0))
            _initialised = True
    return lib


def amx_in_library(lib) -> bool:
    """Whether this llama.cpp build has AMX kernels and the CPU runs them (its system info
    lists `AMX_INT8 = 1` only then)."""
    return "AMX_INT8 = 1" in lib.llama_print_system_info().decode("utf-8", "replace")


def _forward_native_log(level: int, text: bytes, user_data) -> None:
    if level != 5:
        _native_level[0] = _NATIVE_LEVELS.get(level, logging.DEBUG)
    if native_logger.isEnabledFor(_native_level[0]):
        message = text.decode("utf-8", "replace").rstrip()
        if message:
            native_logger.log(_native_level[0], "%s", message)


_log_callback = None


def _library_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        return "unknown"
