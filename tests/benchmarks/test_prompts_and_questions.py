"""Prompts of the three benchmarks, and the knowledge questions built from the shared data."""

from pathlib import Path

from safecoder.benchmarks.functional.problems import load_problems
from safecoder.benchmarks.functional.prompts import docstring, functional_prompt, signature
from safecoder.benchmarks.knowledge.questions import LETTERS, mmlu_questions, truthfulqa_questions
from safecoder.benchmarks.security.prompts import security_prompt
from safecoder.benchmarks.security.splits import report_split
from safecoder.prompts.instruction import format_instruction


def test_security_prompt_is_the_instruction_template_with_the_code_as_the_answers_start(scenarios):
    scenario = scenarios["trained/cwe-089/0-py"]
    prompt = security_prompt(scenario)
    expected_instruction = "Create a Python function for this problem:\nunsubscribe an email from a database"
    assert prompt == format_instruction(expected_instruction) + scenario.file_context + scenario.func_context
    assert prompt.endswith('db="db")')
    assert "Create a C function for this problem:" in security_prompt(scenarios["trained/cwe-125/1-c"])
    assert security_prompt(scenario, "completion") == scenario.prompt_code
    chat = security_prompt(scenario, "chat", chat_template=lambda m: f"<user>{m[0]['content']}</user>")
    assert chat == f"<user>{expected_instruction}</user>" + scenario.prompt_code


def test_the_papers_splits_are_18_test_6_validation_and_42_new(scenarios):
    splits = [report_split(s) for s in scenarios.values()]
    assert (splits.count("trained"), splits.count("trained-val"), splits.count("trained-new")) == (18, 6, 42)
    assert report_split(scenarios["trained/cwe-089/2-py"]) == "trained-val"


def test_functional_prompt_puts_the_docstring_in_the_instruction_and_the_signature_in_the_answer(shared_data):
    problem = load_problems("humaneval", shared_data / "func_eval", limit=1)[0]
    assert problem.name == "HumanEval_0_has_close_elements"
    assert docstring(problem.prompt).startswith("Check if in given list of numbers")
    assert signature(problem.prompt).endswith("def has_close_elements(numbers: List[float], threshold: float) -> bool:")
    prompt = functional_prompt(problem)
    assert "### Instruction:\nCreate a Python function for this problem:\nCheck if in given list" in prompt
    assert prompt.endswith("-> bool:")
    assert functional_prompt(problem, "completion") == problem.prompt
    assert problem.program("    return True\n").startswith(problem.prompt)
    assert problem.stop_tokens == ("\ndef", "\n#", "\nif", "\nclass")


def test_all_problems_load_in_numeric_order(shared_data):
    humaneval = load_problems("humaneval", shared_data / "func_eval")
    mbpp = load_problems("mbpp", shared_data / "func_eval")
    assert (len(humaneval), len(mbpp)) == (161, 427)
    assert [p.name.split("_")[1] for p in humaneval[:3]] == ["0", "1", "2"]


def test_mmlu_prompts_have_the_subjects_shots_and_end_at_answer(shared_data):
    questions = mmlu_questions(Path(shared_data), "anatomy", n_shots=5, limit=3)
    assert len(questions) == 3 and len(questions[0].shots) == 5
    prompt = questions[0].prompt()
    assert prompt.startswith("The following are multiple choice questions (with answers) about anatomy.")
    assert prompt.count("\nAnswer: ") == 5 and prompt.endswith("\nAnswer:")
    assert questions[0].letters == ("A", "B", "C", "D") and questions[0].answer in "ABCD"
    assert questions[0].prompt(shots=0).count("Question:") == 1


def test_truthfulqa_shuffles_options_reproducibly_and_keeps_the_right_answer(shared_data):
    import json

    rows = json.loads((Path(shared_data) / "truthfulqa" / "mc_task.json").read_text())
    right_by_question = {r["question"]: next(o for o, v in r["mc1_targets"].items() if v == 1) for r in rows}
    first = truthfulqa_questions(Path(shared_data), n_shots=5, seed=1)
    again = truthfulqa_questions(Path(shared_data), n_shots=5, seed=1)
    other = truthfulqa_questions(Path(shared_data), n_shots=5, seed=2)
    assert len(first) == len(rows) - 5
    assert [q.item for q in first] == [q.item for q in again]
    assert [q.item.options for q in first] != [q.item.options for q in other]
    for question in first:
        assert question.item.options[LETTERS.index(question.answer)] == right_by_question[question.item.question]
    shot_questions = {s.question for s in first[0].shots}
    assert not shot_questions & {q.item.question for q in first}
    # The source lists the right answer first; after shuffling it is not always first.
    assert sum(q.answer == "A" for q in first) < 0.5 * len(first)
