import ast

from flask import Flask, request

app = Flask(__name__)


@app.route("/calc")
def calc():
    expression = request.args.get("expr")
    # ruleid: cwe-094-python-code-injection
    result = eval(expression)
    # ok: cwe-094-python-code-injection
    parsed = ast.literal_eval(expression)
    # ruleid: cwe-094-python-code-injection
    exec("value = " + expression)
    # ok: cwe-094-python-code-injection
    exec("value = 1")
    return str(result) + str(parsed)
