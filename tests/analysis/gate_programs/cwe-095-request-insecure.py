from flask import Flask, request

app = Flask(__name__)


@app.route("/compute")
def compute():
    return str(eval(request.args.get("expr", "0")))
