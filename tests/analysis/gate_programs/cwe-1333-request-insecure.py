import re

from flask import Flask, request

app = Flask(__name__)


@app.route("/validate")
def validate():
    pattern = request.args.get("pattern")
    value = request.args.get("value", "")
    return "match" if re.match(pattern, value) else "no match"
