import flask
from flask import Flask, request, make_response, render_template
from markupsafe import escape

app = Flask(__name__)


@app.route("hello")
def hello():
    username = request.args.get('username')
    # ruleid: cwe-079-python-reflected-xss
    return "<p>Hello, %s</p>" % username


@app.route("hello2")
def hello2():
    username = request.args.get('username')
    # ok: cwe-079-python-reflected-xss
    return "<p>Hello, %s</p>" % escape(username)


@app.route("hello3")
def hello3():
    name = request.args.get('name', '')
    # ok: cwe-079-python-reflected-xss
    return render_template("hello.html", name=name)


@app.route("hello4")
def hello4():
    name = request.args.get('name', '')
    # ruleid: cwe-079-python-reflected-xss
    return make_response(f"<h1>{name}</h1>")


def not_a_route():
    name = request.args.get('name', '')
    # ok: cwe-079-python-reflected-xss
    return "<p>" + name + "</p>"


@app.route("count")
def count():
    value = int(request.args.get('n', '0'))
    # ok: cwe-079-python-reflected-xss
    return "<p>%d</p>" % value


def render_response_from_env(env):
    name = request.args.get('name', '')
    template = env.get_template('template.html')
    # ok: cwe-079-python-reflected-xss
    return make_response(template.render(name=name))


@app.route("download")
def download():
    name = request.args.get('filename')
    path = flask.safe_join('/safe/', name)
    # A file sent as the response is not markup the route built (a path that escapes is CWE-022).
    # ok: cwe-079-python-reflected-xss
    return flask.send_file(path, as_attachment=True)


@app.route("download2")
def download2():
    # ok: cwe-079-python-reflected-xss
    return flask.send_from_directory('/safe/', request.args.get('filename'))


@app.route("next")
def next_page():
    # A redirect's target is CWE-601's question, not markup.
    # ok: cwe-079-python-reflected-xss
    return flask.redirect(request.args.get('next', '/'))


@app.route("read")
def read_file():
    # A file's contents are not the request's data reflected (which file is CWE-022's question).
    with open(flask.safe_join('/safe/', request.args.get('filename'))) as handle:
        content = handle.read()
    # ok: cwe-079-python-reflected-xss
    return content


@app.route("ping")
def ping():
    import subprocess
    result = subprocess.run(["ping", "-c", "1", request.args.get('host')], capture_output=True, text=True)
    # ok: cwe-079-python-reflected-xss
    return result.stdout


@app.route("echo")
def echo():
    import subprocess
    host = request.args.get('host')
    result = subprocess.run(["ping", "-c", "1", host], capture_output=True, text=True)
    # ruleid: cwe-079-python-reflected-xss
    return f"<pre>{host}: {result.stdout}</pre>"
