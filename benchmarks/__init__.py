"""SafeCoder's benchmarks and promotion gate (installed as `safecoder.benchmarks`).

- `security/`: the paper's security scenarios, sampled through the engine interface, cut
  per language, judged by the analysis ensemble (paper and strict rates), secure-pass
  with the scenarios' functional tests;
- `functional/`: pass@1 and pass@10 on HumanEval and MBPP, programs run in `sandbox/`;
- `knowledge/`: MMLU and TruthfulQA (mc1) by log-likelihood;
- `answer_rate/`: the refusal detector and the answer rate on benign prompts (HumanEval
  in chat; an answer needs code and no refusal); `chat_sampling` samples chat messages;
- `cyberseceval/`: CyberSecEval's false-refusal and insecure-code sets, judged by the
  refusal detector, CodeShield's Insecure Code Detector and the project's analyzers;
- `protocol`, `catalog`: a benchmark is a plug-in folder (`plugin.py` defines
  `BENCHMARK`), found in this package and on `SAFECODER_BENCHMARK_PATH`;
- `suite`, `run_folder`, `context`: running them together, caching, resuming, recording;
- `reports/`: result JSON, Markdown, plots, comparisons; `promotion`: `safecoder promote`
  (every gated benchmark's checks: security, pass@1, answer rate, plug-ins');
- `judge_bench`: how long judging 66 scenarios x 100 samples takes (`make bench-eval`).

Each benchmark has a `VERSION` that changes when its behaviour changes. Importing this
package loads no model and no torch.
"""
