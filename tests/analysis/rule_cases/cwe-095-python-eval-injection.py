import ast

from flask import Flask, request

app = Flask(__name__)


def calculate(expression):
    # ruleid: cwe-095-python-eval-injection
    return eval(expression)


def calculate_sandboxed(expression: str):
    # ruleid: cwe-095-python-eval-injection
    return eval(expression, {"__builtins__": {}}, {})


def parse_literal(text):
    # ok: cwe-095-python-eval-injection
    return ast.literal_eval(text)


def run_snippet(code):
    # ruleid: cwe-095-python-eval-injection
    exec(code)


def square(n):
    # ok: cwe-095-python-eval-injection
    return eval(str(int(n)) + " ** 2")


@app.route("/calc")
def calc():
    # ruleid: cwe-095-python-eval-injection
    result = eval(request.args["expr"])
    # ok: cwe-095-python-eval-injection
    constant = eval("2 + 2")
    return str(result + constant)
