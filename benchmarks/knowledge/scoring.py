"""Log-likelihood scoring of lettered answers with a transformers model.

Input: `Question`s (prompts ending in "Answer:"). Output: for each, the log-probability
of " A", " B", ... as the next text, and the most likely letter as the prediction
(equivalent to greedy decoding restricted to the valid letters).

Scoring needs the model's logits, which the generation-engine interface does not
expose, so the model is loaded here with `safecoder.models.loading`. Prompts are
scored in left-padded batches with explicit position ids (so padding does not shift
positions); a letter that the tokenizer splits into several tokens is scored as the sum
of its tokens' log-probabilities with one extra forward pass. A prompt too long for
the model's context drops shots, the last first, and records how many it kept.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from safecoder.benchmarks.knowledge.questions import Question
from safecoder.models.loading import DType, context_length, load_for_generation
from safecoder.models.reference import ResolvedModel

logger = logging.getLogger(__name__)


class LetterScorer:
    def __init__(self, model: ResolvedModel, dtype: DType = "auto", device: str = "auto"):
        self.network, self.tokenizer = load_for_generation(model, dtype=dtype, device=device)
        self.device = next(self.network.parameters()).device
        self.context = context_length(self.network)
        self._letter_ids: dict[str, list[int]] = {}

    def describe(self) -> dict[str, Any]:
        return {"scorer": "transformers log-likelihood", "dtype": str(next(self.network.parameters()).dtype),
                "device": str(self.device), "context": self.context}

    def _ids(self, text: str) -> list[int]:
        return self.tokenizer(text, add_special_tokens=True)["input_ids"]

    def _letter(self, letter: str) -> list[int]:
        if letter not in self._letter_ids:
            self._letter_ids[letter] = self.tokenizer(" " + letter, add_special_tokens=False)["input_ids"]
        return self._letter_ids[letter]

    def _fitting_prompt(self, question: Question) -> tuple[list[int], int]:
        shots = len(question.shots)
        while True:
            ids = self._ids(question.prompt(shots))
            if len(ids) + 4 <= self.context or shots == 0:
                return ids[-(self.context - 4):], shots
            shots -= 1

    def score(self, questions: Sequence[Question], batch_size: int = 8) -> list[dict[str, Any]]:
        prepared = [self._fitting_prompt(q) for q in questions]
        results: list[dict[str, Any]] = []
        for start in range(0, len(questions), batch_size):
            chunk = questions[start:start + batch_size]
            ids = [prepared[start + i][0] for i in range(len(chunk))]
            next_logprobs = self._next_token_logprobs(ids)
            for offset, question in enumerate(chunk):
                scores = {}
                for letter in question.letters:
                    letter_ids = self._letter(letter)
                    if len(letter_ids) == 1:
                        scores[letter] = float(next_logprobs[offset][letter_ids[0]])
                    else:
                        scores[letter] = self._continuation_logprob(ids[offset], letter_ids)
                prediction = max(scores, key=scores.__getitem__)
                results.append({"index": question.index, "answer": question.answer, "prediction": prediction,
                                "correct": prediction == question.answer, "shots": prepared[start + offset][1],
                                "scores": {k: round(v, 4) for k, v in scores.items()}})
        return results

    def _next_token_logprobs(self, sequences: list[list[int]]):
        import torch

        pad = self.tokenizer.pad_token_id
        width = max(len(s) for s in sequences)
        input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
        mask = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, sequence in enumerate(sequences):
            input_ids[row, width - len(sequence):] = torch.tensor(sequence)
            mask[row, width - len(sequence):] = 1
        positions = (mask.cumsum(-1) - 1).clamp(min=0)
        with torch.inference_mode():
            logits = self.network(input_ids=input_ids.to(self.device), attention_mask=mask.to(self.device),
                                  position_ids=positions.to(self.device)).logits[:, -1, :].float()
        return torch.log_softmax(logits, dim=-1).cpu()

    def _continuation_logprob(self, prompt_ids: list[int], continuation: list[int]) -> float:
        import torch

        ids = torch.tensor([prompt_ids + continuation], device=self.device)
        with torch.inference_mode():
            logits = self.network(input_ids=ids).logits[0, len(prompt_ids) - 1:-1].float()
        logprobs = torch.log_softmax(logits, dim=-1)
        return float(logprobs.gather(1, torch.tensor(continuation, device=self.device).unsqueeze(1)).sum())
