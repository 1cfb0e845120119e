import os

from flask import Flask, request, send_file, safe_join
from werkzeug.utils import secure_filename

app = Flask(__name__)


@app.route("/read")
def read():
    requested_file_name = request.args.get('filename')
    safe_dir = '/safe/'
    # ruleid: cwe-022-python-path-injection
    with open(os.path.join(safe_dir, requested_file_name)) as handle:
        data = handle.read()
    # ok: cwe-022-python-path-injection
    with open(safe_join(safe_dir, requested_file_name)) as handle:
        data = handle.read()
    return data


@app.route('/img')
def img():
    img_name = request.args.get('img_name')
    # ruleid: cwe-022-python-path-injection
    return send_file("images/" + img_name, mimetype='image/jpg')


@app.route('/img2')
def img2():
    img_name = secure_filename(request.args.get('img_name'))
    # ok: cwe-022-python-path-injection
    return send_file(os.path.join("images", img_name))


@app.route('/delete')
def delete():
    name = os.path.basename(request.form['name'])
    # ok: cwe-022-python-path-injection
    os.remove(os.path.join('/uploads', name))
    # ruleid: cwe-022-python-path-injection
    os.remove(request.form['name'])
    # ok: cwe-022-python-path-injection
    return open('/etc/motd').read()
