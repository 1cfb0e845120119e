import re

from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    pattern = request.args.get("pattern")
    text = request.args.get("text")
    # ruleid: cwe-1333-python-regex-injection
    found = re.search(pattern, text)
    # ok: cwe-1333-python-regex-injection
    literal = re.search(re.escape(pattern), text)
    # ok: cwe-1333-python-regex-injection
    digits = re.compile(r"\d+").findall(text)
    return str(found) + str(literal) + str(digits)


def find_matches(pattern, text):
    # ruleid: cwe-1333-python-regex-injection
    return re.findall(pattern, text)


def find_literal(word, text):
    # ok: cwe-1333-python-regex-injection
    return re.findall(re.escape(word), text)


def is_email(address):
    # ok: cwe-1333-python-regex-injection
    return re.fullmatch(r"[^@\s]+@[^@\s]+\.[a-z]+", address) is not None
