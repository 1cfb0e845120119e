from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


@app.route("/search")
def search():
    query = request.args.get("q", "")
    return f"<p>You searched for: {escape(query)}</p>"
