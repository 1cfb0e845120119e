import urllib.request

from flask import Flask, request

app = Flask(__name__)


@app.route("/preview")
def preview():
    target = request.args["url"]
    with urllib.request.urlopen(target) as response:
        return response.read()[:500]
