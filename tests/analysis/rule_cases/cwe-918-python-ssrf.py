import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/proxy")
def proxy():
    url = request.args.get("url")
    # ruleid: cwe-918-python-ssrf
    response = requests.get(url, timeout=5)
    # ok: cwe-918-python-ssrf
    fixed = requests.get("https://api.example.com/status", timeout=5)
    return response.text + fixed.text
