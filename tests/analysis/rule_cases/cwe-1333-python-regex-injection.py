import re

from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    pattern = request.args.get("pattern")
    text = request.args.get("text")
    # ruleid: cwe-400-python-regex-injection
    found = re.search(pattern, text)
    # ok: cwe-400-python-regex-injection
    literal = re.search(re.escape(pattern), text)
    # ok: cwe-400-python-regex-injection
    digits = re.compile(r"\d+").findall(text)
    return str(found) + str(literal) + str(digits)
