import html

from flask import Flask, request
from markupsafe import escape

app = Flask(__name__)


def render_greeting(name):
    # ruleid: cwe-079-python-html-built-from-input
    return f"<h1>Hello, {name}!</h1>"


def render_greeting_escaped(name):
    # ok: cwe-079-python-html-built-from-input
    return f"<h1>Hello, {html.escape(name)}!</h1>"


def render_comment(author: str, text: str) -> str:
    # ruleid: cwe-079-python-html-built-from-input
    body = "<div class='comment'><b>" + author + "</b>: "
    # ruleid: cwe-079-python-html-built-from-input
    body += "<p>%s</p>" % text
    return body + "</div>"


def render_list(items):
    rows = ""
    for item in items:
        # ruleid: cwe-079-python-html-built-from-input
        rows += "<li>{}</li>".format(item)
    # ok: cwe-079-python-html-built-from-input
    return f"<ul>{len(items)}</ul>"


def render_safe_list(items):
    # ok: cwe-079-python-html-built-from-input
    return "<ul>" + "".join(f"<li>{escape(item)}</li>" for item in items) + "</ul>"


def plain_text(name):
    # ok: cwe-079-python-html-built-from-input
    return f"Hello, {name}!"


@app.route("/search")
def search():
    query = request.args.get("q", "")
    # ruleid: cwe-079-python-html-built-from-input
    page = f"""<html><body>
    Results for {query}</body></html>"""
    # ok: cwe-079-python-html-built-from-input
    title = f"<title>{escape(query)}</title>"
    return title + page
