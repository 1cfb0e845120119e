import logging

from flask import Flask, request

app = Flask(__name__)


@app.route("/search")
def search():
    term = request.args.get("term", "")
    logging.info(f"search term: {term}")
    return "ok"
